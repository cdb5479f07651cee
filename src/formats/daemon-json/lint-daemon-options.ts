/**
 * Options other than the registry keys that dockerd validates when it loads the file and refuses
 * to start over: the empty file (before 23.0), dns, dns-search, labels, the max-* limits and graph with
 * data-root; plus the proxies object. Version boundaries and sources: value-checks.ts.
 */
import {report} from '../../lint/rule.js'
import {atLeast, classifyName} from './known-keys.js'
import {ASSUMED, type LintScope} from './lint-scope.js'
import {NO_MATCH} from './lint-names.js'
import type {JsonMember} from './parse.js'
import {rules} from './rules.js'
import {BOUNDARIES, LIMIT_KEYS, dnsProblem, dnsSearchProblem, labelConflicts, labelProblem, limitMinimum, limitProblem} from './value-checks.js'

/** The first error the daemon prints is prefixed like this at start. */
const START = 'dockerd refuses to start'

export function lintEmptyFile(s: LintScope): void {
  if (!s.doc.empty || s.doc.bom || atLeast(s.version, BOUNDARIES.emptyFile.since)) return
  // json.Decoder skips only JSON's own white space; another space character (U+00A0…) is a syntax error.
  const other = /[^ \t\n\r]/.exec(s.doc.text)
  const goError = other ? `invalid character '${firstByteAsLatin1(other[0])}' looking for beginning of value` : 'EOF'
  s.out.push(
    report(
      rules['empty-file'],
      {file: s.doc.path, line: 1, column: 1},
      `the file is empty or holds only white space, which ${s.engine} does not accept: ${START}: "unable to configure the Docker daemon with file ${s.doc.path}: ${goError}" (Engine ${BOUNDARIES.emptyFile.since} and newer read it as an empty configuration)`,
    ),
  )
}

/** Go's scanner quotes the first UTF-8 byte of a character, shown as Latin-1 (U+00A0 → 'Â'). */
function firstByteAsLatin1(ch: string): string {
  const byte = new TextEncoder().encode(ch)[0]!
  return String.fromCharCode(byte)
}

/** Only keys the decoder reads in this version: anything else is the name check's finding. */
function readArray(s: LintScope, members: ReadonlyMap<string, JsonMember>, key: string): JsonMember | undefined {
  const m = members.get(key)
  return m && m.value.kind === 'array' && classifyName(key, '', s.version).kind === 'read' ? m : undefined
}

export function lintDns(s: LintScope, members: ReadonlyMap<string, JsonMember>): void {
  const m = readArray(s, members, 'dns')
  if (!m || m.value.kind !== 'array') return
  for (const item of m.value.items) {
    if (item.kind !== 'string') continue
    const problem = dnsProblem(item.value, s.version)
    if (!problem) continue
    const versionNote = s.version ? '' : ASSUMED
    s.out.push(
      report(
        rules['dns-invalid'],
        s.at(item.start),
        `"dns" entry ${JSON.stringify(item.value)} is not an IP address; ${START}: "${problem}"${versionNote}`,
        item.value.trim() !== item.value && dnsProblem(item.value.trim(), s.version) === null
          ? `remove the spaces: "${item.value.trim()}"`
          : rules['dns-invalid'].hint,
      ),
    )
  }
}

export function lintDnsSearch(s: LintScope, members: ReadonlyMap<string, JsonMember>): void {
  const m = readArray(s, members, 'dns-search')
  if (!m || m.value.kind !== 'array') return
  for (const item of m.value.items) {
    if (item.kind !== 'string') continue
    const problem = dnsSearchProblem(item.value)
    if (problem) s.out.push(report(rules['dns-search-invalid'], s.at(item.start), `"dns-search" entry ${JSON.stringify(item.value)} is not a domain; ${START}: "${problem}"`))
  }
}

export function lintLabels(s: LintScope, members: ReadonlyMap<string, JsonMember>): void {
  const m = readArray(s, members, 'labels')
  if (!m || m.value.kind !== 'array') return
  const items = m.value.items
  for (const item of items) {
    if (item.kind !== 'string') continue
    const problem = labelProblem(item.value, s.version)
    if (!problem) continue
    const reserved = problem.startsWith('label ')
    s.out.push(
      report(
        rules['label-invalid'],
        s.at(item.start),
        `label ${JSON.stringify(item.value)} ${reserved ? 'uses a namespace Docker reserves' : 'is not in key=value form'}; ${START}: "${problem}"`,
        reserved ? 'use your own reverse-DNS prefix, such as com.example.role=builder' : `write it as key=value, e.g. "${item.value}=true"`,
      ),
    )
  }
  for (const conflict of labelConflicts(items.map((n) => (n.kind === 'string' ? n.value : null)))) {
    s.out.push(report(rules['label-conflict'], s.at(items[conflict.index]!.start), `the same label key is given two values; ${START}: "${conflict.message}"`))
  }
}

export function lintLimits(s: LintScope, members: ReadonlyMap<string, JsonMember>): void {
  for (const key of LIMIT_KEYS) {
    const m = members.get(key)
    if (!m || m.value.kind !== 'number' || !/^-?\d+$/.test(m.value.raw)) continue
    if (classifyName(key, '', s.version).kind !== 'read') continue
    const problem = limitProblem(key, BigInt(m.value.raw), s.version)
    if (!problem) continue
    const min = limitMinimum(key, s.version)
    s.out.push(
      report(
        rules['limit-out-of-range'],
        s.at(m.value.start),
        `"${key}" is ${m.value.raw}, below ${min}, the smallest value ${s.engine} accepts; ${START}: "${problem}"`,
        `set "${key}" to ${min === 0 ? 'a number of at least 0 (or leave it out for the default)' : 'at least 1 (or leave it out for the default)'}`,
      ),
    )
  }
}

/** getConflictFreeConfiguration before 23.0: both set (non-empty) is an error. From 23.0 "graph" is a removed key. */
export function lintGraph(s: LintScope, members: ReadonlyMap<string, JsonMember>): void {
  const graph = members.get('graph')
  const root = members.get('data-root')
  if (!graph || !root || classifyName('graph', '', s.version).kind !== 'read') return
  const set = (m: JsonMember) => m.value.kind === 'string' && m.value.value !== ''
  if (!set(graph) || !set(root)) return
  s.out.push(
    report(
      rules['graph-and-data-root'],
      s.at(graph.keyStart),
      `"graph" and "data-root" are both set; ${START}: "cannot specify both \\"graph\\" and \\"data-root\\" config file options"`,
    ),
  )
}

export function lintProxies(s: LintScope, member: JsonMember | undefined): void {
  if (!member) return
  const pos = s.at(member.keyStart)
  if (!atLeast(s.version, '23.0')) {
    const names = member.value.kind === 'object' ? member.value.members.map((m) => m.key).join(', ') : 'proxies'
    s.out.push(report(rules['proxies-too-old'], pos, `"proxies" needs Docker Engine 23.0 or newer; ${s.engine} refuses to start: "${NO_MATCH}: ${names}"`))
    return
  }
  s.out.push(report(rules['proxies-not-reloadable'], pos, 'dockerd reads "proxies" only when it starts: `systemctl reload docker` keeps the old proxy settings'))
}
