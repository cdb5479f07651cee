/**
 * The names dockerd's start-up check sees after flattening (findConfigurationConflicts): unknown,
 * too new, removed or ignored keys, and options set both in the file and on the command line.
 */
import {report} from '../../lint/rule.js'
import {closest} from '../../core/did-you-mean.js'
import {parseDockerdArgs} from './dockerd-flags.js'
import {FREE_FORM, OPTIONS, atLeast, classifyName, optionForKey, readableOptions, type OptionSpec} from './known-keys.js'
import {ASSUMED, type LintScope} from './lint-scope.js'
import type {JsonMember} from './parse.js'
import {rules} from './rules.js'

/** A name as dockerd's start-up check sees it, after flattening nested objects. */
export interface FlatName {
  name: string
  /** The object it was flattened out of, '' at the top level. */
  parent: string
  member: JsonMember
}

export const NO_MATCH = "the following directives don't match any configuration option"

export function lintNames(s: LintScope, flat: readonly FlatName[]): void {
  for (const f of flat) {
    if (f.parent === 'proxies' && !atLeast(s.version, '23.0')) continue // reported once by proxies()
    const where = f.parent ? ` (inside "${f.parent}", whose keys dockerd checks as option names)` : ''
    const status = classifyName(f.name, f.parent, s.version)
    const pos = s.at(f.member.keyStart)
    switch (status.kind) {
      case 'read':
        break
      case 'ignored':
        s.out.push(report(rules['ignored-key'], pos, ...ignoredText(s, f, status.spec, status.useInstead)))
        break
      case 'too-new':
        s.out.push(
          report(
            rules['key-too-new'],
            pos,
            `"${f.name}"${where} needs Docker Engine ${status.spec.since} or newer; ${s.engine} refuses to start: "${NO_MATCH}: ${f.name}"`,
            `upgrade Docker Engine to ${status.spec.since}+, or remove "${f.name}"`,
          ),
        )
        break
      case 'removed': {
        const note = status.spec.note ? ` (${status.spec.note})` : ''
        s.out.push(
          report(
            rules['key-removed'],
            pos,
            `"${f.name}" was removed in Docker Engine ${status.spec.removed}${note}; dockerd refuses to start${s.version ? '' : ASSUMED}`,
            `remove "${f.name}"`,
          ),
        )
        break
      }
      case 'unknown':
        s.out.push(report(rules['unknown-key'], pos, `unknown option "${f.name}"${where}; dockerd refuses to start: "${NO_MATCH}: ${f.name}"`, unknownHint(s, f)))
        break
    }
  }
}

function ignoredText(s: LintScope, f: FlatName, spec: OptionSpec, useInstead: string | null): [string, string] {
  if (spec.ignoredSince && atLeast(s.version, spec.ignoredSince)) {
    const gone = spec.removed ? `, and from ${spec.removed} dockerd refuses to start with it` : ''
    return [
      `"${f.name}" is accepted but has no effect in ${s.engine}${spec.note ? ` (${spec.note})` : ''}${gone}`,
      `remove "${f.name}"`,
    ]
  }
  if (useInstead?.includes('.')) {
    const [parent, key] = useInstead.split('.') as [string, string]
    return [
      `"${f.name}" here is accepted but never read; dockerd reads it only inside "${parent}"`,
      `move it into "${parent}": { "${key}": … }`,
    ]
  }
  if (useInstead) {
    const nested = f.parent ? ` inside "${f.parent}"` : ''
    return [
      `"${f.name}"${nested} is accepted (it is the name of dockerd's --${spec.flag} flag) but never read from the file; the file key is "${useInstead}"`,
      f.parent ? `move it to the top level as "${useInstead}"` : `rename it to "${useInstead}"`,
    ]
  }
  return [
    `"${f.name}" is accepted (it is the name of dockerd's --${spec.flag ?? f.name} flag) but never read from the file${spec.note ? ` (${spec.note})` : ''}`,
    spec.flag ? `remove it; to set it, pass --${spec.flag} on dockerd's command line (a systemd drop-in for docker.service)` : `remove "${f.name}"`,
  ]
}

function unknownHint(s: LintScope, f: FlatName): string {
  if (f.parent) {
    // "log-opt": {…} instead of "log-opts": dockerd only leaves the plural's inner keys alone.
    const parent = classifyName(f.parent, '', s.version)
    if (parent.kind === 'ignored' && parent.useInstead && FREE_FORM.has(parent.useInstead)) {
      return `rename "${f.parent}" to "${parent.useInstead}": only the inner keys of "${parent.useInstead}" are free-form`
    }
  }
  // A non-object "proxies" is checked as a name itself, and no flag has that name.
  if (!f.parent && optionForKey(f.name)?.type === 'object' && f.member.value.kind !== 'object') {
    return `"${f.name}" must be an object, e.g. "${f.name}": { … }; dockerd checks the names inside it`
  }
  const wantParent = f.parent === 'proxies' ? 'proxies' : ''
  const candidates = readableOptions(s.version).filter((o) => (o.parent ?? '') === wantParent)
  const guess = closest(
    f.name,
    candidates.map((o) => o.key),
  )
  return guess ? `did you mean "${guess}"? Option names are case-sensitive` : rules['unknown-key'].hint
}

export function lintFlagConflicts(s: LintScope, flat: readonly FlatName[], args: readonly string[]): void {
  const byName = new Map(flat.map((f) => [f.name, f]))
  const given = new Map<string, string[]>()
  for (const flag of parseDockerdArgs(args)) {
    if (!flag.known) continue
    for (const o of OPTIONS) {
      if (o.flag !== flag.name || !o.key || o.mergesWithFlag) continue
      const fileName = o.named ? o.key : o.flag
      if (byName.has(fileName)) given.set(fileName, [...(given.get(fileName) ?? []), flag.given])
    }
  }
  const unit = s.ctx.unitPath ? ` (ExecStart in ${s.ctx.unitPath})` : ''
  for (const [name, flags] of given) {
    const f = byName.get(name)!
    const shown = f.parent ? `"${f.parent}.${name}"` : `"${name}"`
    const flagText = [...new Set(flags)].join(' ')
    s.out.push(
      report(
        rules['flag-conflict'],
        s.at(f.member.keyStart),
        `${shown} is set in daemon.json and by the dockerd flag ${flagText}${unit}; dockerd refuses to start: "the following directives are specified both as a flag and in the configuration file: ${name}"`,
        conflictHint(shown, flagText, name),
      ),
    )
  }
}

function conflictHint(shown: string, flagText: string, name: string): string {
  const dropIn = 'a drop-in (`systemctl edit docker`) with "ExecStart=" and then "ExecStart=/usr/bin/dockerd …" without the flag'
  if (name === 'hosts') {
    return `the stock docker.service passes -H fd://; remove "hosts" from daemon.json, or drop -H from ExecStart with ${dropIn} (add "fd://" to "hosts" to keep socket activation)`
  }
  if (name === 'containerd') {
    return `the stock docker.service passes --containerd; remove "containerd" from daemon.json, or drop the flag with ${dropIn}`
  }
  return `keep one: remove ${shown} from daemon.json, or remove ${flagText} from ExecStart with ${dropIn}`
}
