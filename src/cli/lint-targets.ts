import path from 'node:path'
import {UserError} from '../core/errors.js'
import {ioUserError} from '../core/io-errors.js'
import {InvalidUtf8Error} from '../core/text-decode.js'
import type {Host} from '../hosts/host.js'
import {LocalHost} from '../hosts/local-host.js'
import type {Finding} from '../lint/finding.js'
import {compareFindings} from '../lint/finding.js'
import {report} from '../lint/rule.js'
import {evaluateConfigSet, type ConfigSet, type SourceFile} from '../formats/registries-conf/config-set.js'
import {lintDaemonJson, mirrorEntries, parseDaemonJson, rules as daemonJsonRules, type DaemonJsonDoc, type DaemonJsonLintContext} from '../formats/daemon-json/index.js'
import {rules as registriesConfRules} from '../formats/registries-conf/rules.js'
import {mirrorsInEffect} from '../formats/registries-conf/mirrors-in-effect.js'
import {mirrorRouteFindings} from '../lint/mirror-route.js'
import {loadDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {invalidUtf8Finding, locateRegistriesConf, scanDropIns, scanRegistriesConf, type RegistriesConfOptions} from '../engines/registries-conf-files.js'

/**
 * A group of files linted together (a clash between files is only visible within one group).
 * `rejected` are findings about files the engines refuse before parsing (not UTF-8).
 */
export type LintTarget =
  | {kind: 'registries-conf'; set: ConfigSet; rejected: Finding[]}
  | {kind: 'daemon-json'; doc: DaemonJsonDoc; rejected: Finding[]}

function registriesConfTarget(files: SourceFile[], rejected: Finding[] = []): LintTarget {
  return {kind: 'registries-conf', set: evaluateConfigSet(files), rejected}
}

/** daemon.json is JSON: known by its name, or by content that opens an object. */
export function looksLikeDaemonJson(file: string, text: string): boolean {
  return file.endsWith('.json') || /^\uFEFF?\s*\{/.test(text)
}

/** dockerd starts with such a file (encoding/json replaces the bytes in strings), so it is a warning, not an error. */
function daemonJsonUtf8Finding(file: string, at: {line: number; column: number; offset: number}): Finding {
  return report(daemonJsonRules['invalid-utf8'], {file, line: at.line, column: at.column}, `not valid UTF-8 (byte offset ${at.offset}): dockerd reads U+FFFD in its place, and mirrorctl will not edit this file`)
}

/** One file given on the command line, as daemon.json or registries.conf; bytes that are not UTF-8 become a finding. */
function targetFor(file: string, text: string | InvalidUtf8Error, dropIn: boolean): LintTarget {
  if (text instanceof InvalidUtf8Error) {
    if (looksLikeDaemonJson(file, text.lossy)) return {kind: 'daemon-json', doc: parseDaemonJson(text.lossy, file), rejected: [daemonJsonUtf8Finding(file, text)]}
    return registriesConfTarget([], [invalidUtf8Finding(file, text)])
  }
  return looksLikeDaemonJson(file, text) ? {kind: 'daemon-json', doc: parseDaemonJson(text, file), rejected: []} : registriesConfTarget([{path: file, text, dropIn}])
}

/**
 * Turns PATH arguments into lint targets. A file is a main file (a drop-in when it sits in a
 * registries.conf.d folder); a folder is a drop-in set; "-" is stdin; none means the files
 * the engines on this host read. Nothing to lint at all is a usage error (exit 2), never
 * "no findings in 0 files".
 */
export async function collectLintTargets(
  host: Host,
  paths: readonly string[],
  options: RegistriesConfOptions & {stdin: () => Promise<string | InvalidUtf8Error>; daemonJson: DaemonJsonLocation; note: (text: string) => void},
): Promise<LintTarget[]> {
  if (!paths.length) {
    const locations = await locateRegistriesConf(host, options)
    const read = await scanRegistriesConf(host, locations)
    for (const n of read.notes) options.note(n)
    const targets: LintTarget[] = [registriesConfTarget(read.files, read.rejected)]
    const daemon = await loadDaemonJson(host, options.daemonJson)
    if (daemon.text !== null) targets.push({kind: 'daemon-json', doc: daemon.doc, rejected: daemon.invalidUtf8 ? [daemonJsonUtf8Finding(options.daemonJson.path, daemon.invalidUtf8)] : []})
    if (!read.files.length && !read.rejected.length && daemon.text === null)
      throw new UserError(`no configuration to lint on ${host.name}: none of ${[locations.main, ...locations.dropInDirs.map((d) => `${d}/*.conf`), options.daemonJson.path].join(', ')} exists`, {
        hint: 'give the files to lint as PATH, or check --root',
      })
    return targets
  }
  // Paths given on the command line are the user's own files, read as they are (not under --root).
  const local = new LocalHost()
  const targets: LintTarget[] = []
  for (const p of paths) {
    if (p === '-') {
      targets.push(targetFor('<stdin>', await options.stdin(), false))
      continue
    }
    const file = path.resolve(p)
    const info = await local.stat(file).catch((error: unknown) => {
      throw ioUserError(p, error, 'read')
    })
    if (!info) throw ioUserError(p, Object.assign(new Error('no such file'), {code: 'ENOENT'}), 'read')
    if (info.kind === 'directory') {
      const scan = await scanDropIns(local, file)
      for (const s of scan.skipped) options.note(`warning: ${s.path}: ${s.reason}`)
      if (!scan.files.length) throw new UserError('no *.conf files in this folder: nothing to lint', {position: {file: p, line: null}, hint: 'the engines read only *.conf files in a registries.conf.d folder'})
      const files: SourceFile[] = []
      const rejected: Finding[] = []
      for (const f of scan.files) {
        const text = await readText(local, f)
        if (text instanceof InvalidUtf8Error) rejected.push(invalidUtf8Finding(f, text))
        else files.push({path: f, text, dropIn: true})
      }
      targets.push(registriesConfTarget(files, rejected))
    } else {
      const dropIn = path.basename(path.dirname(file)) === 'registries.conf.d'
      targets.push(targetFor(p, await readText(local, file, p), dropIn))
    }
  }
  return targets
}

/** A file's text, or the decoding error when it is not UTF-8; other failures are UserErrors (exit 2). */
async function readText(host: Host, file: string, shown = file): Promise<string | InvalidUtf8Error> {
  try {
    const text = await host.readFile(file)
    if (text === null) throw Object.assign(new Error('no such file'), {code: 'ENOENT'})
    return text
  } catch (error) {
    if (error instanceof InvalidUtf8Error) return error
    throw ioUserError(shown, error, 'read')
  }
}

export function lintTargets(targets: readonly LintTarget[], docker: DaemonJsonLintContext): {findings: Finding[]; filesChecked: number} {
  const findings: Finding[] = []
  let filesChecked = 0
  for (const t of targets) {
    findings.push(...t.rejected)
    if (t.kind === 'daemon-json') {
      filesChecked += 1
      findings.push(...lintDaemonJson(t.doc, docker))
      continue
    }
    filesChecked += t.set.files.length + t.rejected.length
    findings.push(...t.set.findings)
  }
  return {findings: findings.sort(compareFindings), filesChecked}
}

/**
 * For the machine's own files: mirrors each engine would send through its proxy. Proxy
 * settings are facts of the host (systemd units, containers.conf, environment), so this is
 * only judged when linting what the engines on this host read.
 */
export async function proxyRouteFindings(host: Host, targets: readonly LintTarget[], daemonJson: DaemonJsonLocation): Promise<Finding[]> {
  const findings: Finding[] = []
  // Loaded only here: reading the engines' proxy settings is the heavy part of lint's start-up.
  const {loadEngineProxyConfig} = await import('../engines/engine-proxy.js')
  for (const t of targets) {
    if (t.kind === 'registries-conf') {
      const mirrors = mirrorsInEffect(t.set)
      if (!mirrors.length) continue
      const proxy = await loadEngineProxyConfig(host, 'podman')
      findings.push(...mirrorRouteFindings(mirrors, {engine: 'podman', config: proxy.config, restart: proxy.needsRestart}, registriesConfRules['mirror-through-proxy']))
    } else {
      const mirrors = mirrorEntries(t.doc)
      if (!mirrors.length) continue
      const proxy = await loadEngineProxyConfig(host, 'docker', {daemonJsonPath: daemonJson.path})
      findings.push(...mirrorRouteFindings(mirrors, {engine: 'docker', config: proxy.config, restart: proxy.needsRestart}, daemonJsonRules['mirror-through-proxy']))
    }
  }
  return findings
}
