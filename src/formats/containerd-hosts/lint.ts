import {compareFindings, type Finding} from '../../lint/finding.js'
import {report, type RuleMeta} from '../../lint/rule.js'
import {decodeHostsToml, knownHostKeys} from './decode.js'
import {rules} from './rules.js'
import type {HostsDirSnapshot} from './resolve.js'
import {offsetOf, type TomlDoc} from './toml-doc.js'
import type {ContainerdVersion} from './version.js'

export interface HostsLintContext {
  version: ContainerdVersion
  /** The folder name the file sits in (docker.io, host_port_, _default); null when unknown. */
  folder?: string | null
}

/** Lints one hosts.toml: every way containerd silently ignores it or reads it differently than written. */
export function lintHostsToml(doc: TomlDoc, context: HostsLintContext): Finding[] {
  const findings: Finding[] = []
  const at = (offset: number): {file: string; line: number; column: number} => ({file: doc.path, ...doc.lines.position(offset)})
  const add = (rule: RuleMeta, path: readonly string[], message: string, hint?: string): void => {
    findings.push(report(rule, at(offsetOf(doc, path)), message, hint))
  }
  if (doc.syntaxError || !doc.data) {
    findings.push(
      report(rules['toml-syntax'], at(doc.syntaxError?.offset ?? 0), `TOML syntax error: ${doc.syntaxError?.message ?? 'invalid'}; containerd ignores this file and pulls upstream`),
    )
    return findings
  }
  const dir = doc.path.replace(/\/[^/]*$/, '') || '.'
  const decoded = decodeHostsToml(doc, dir, context.version)
  if (!decoded.ok) {
    const rule = decoded.message === 'invalid `host` tree' ? rules['no-host-table'] : rules['decode-error']
    add(rule, decoded.at, `containerd ${context.version === '2' ? '2.x' : context.version} fails to decode this file (${decoded.message}): it is ignored and pulls go upstream`)
  }
  const data = doc.data
  const known = knownHostKeys(context.version)
  const check = (table: Record<string, unknown>, base: string[], isRoot: boolean): void => {
    for (const key of Object.keys(table)) {
      if (isRoot && (key === 'server' || key === 'host')) continue
      if (!known.includes(key)) add(rules['unknown-key'], [...base, key], `unknown key "${key}" is ignored by containerd`)
    }
  }
  check(data, [], true)
  const hostTree = data['host']
  const hostTables = typeof hostTree === 'object' && hostTree !== null && !Array.isArray(hostTree) ? (hostTree as Record<string, unknown>) : {}
  for (const [name, value] of Object.entries(hostTables)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
    const t = value as Record<string, unknown>
    check(t, ['host', name], false)
    lintAddress(name, t, ['host', name], add)
    const caps = t['capabilities']
    if (Array.isArray(caps) && caps.length && !caps.some((c) => typeof c === 'string' && ['pull', 'resolve'].includes(c.toLowerCase())))
      add(rules['no-pull-capability'], ['host', name, 'capabilities'], `host "${name}" is never used to pull (capabilities: ${caps.join(', ')})`)
    if (caps === undefined) add(rules['push-to-mirror'], ['host', name], `host "${name}" has no capabilities list: containerd also pushes to it`)
  }
  const server = data['server']
  if (typeof server === 'string') {
    lintAddress(server, data, ['server'], add)
    if (/^(?:https?:\/\/)?(?:index\.)?docker\.io\/?$/.test(server))
      add(rules['server-docker-io'], ['server'], `server "${server}" does not serve the registry API; the upstream fallback fails`)
    if (context.folder === '_default') add(rules['default-folder-server'], ['server'], `_default sets server "${server}": every registry without its own folder is pulled from it`)
  }
  if (context.version === '2' && decoded.ok && Object.keys(hostTables).length && !doc.tables.some((t) => t.path[0] === 'host' && t.path.length >= 2))
    add(rules['decode-error'], ['host'], 'containerd 2.x only uses hosts written as [host."…"] table headers; these inline hosts are never tried')
  return findings.sort(compareFindings)
}

function lintAddress(
  address: string,
  table: Record<string, unknown>,
  path: string[],
  add: (rule: RuleMeta, path: readonly string[], message: string, hint?: string) => void,
): void {
  if (address.startsWith('http') && !/^https?:\/\//.test(address)) {
    add(rules['http-prefix-no-scheme'], path, `"${address}" starts with "http" but has no scheme: containerd does not add https:// and reads "${address.split(':')[0]}" as the scheme`)
    return
  }
  const m = /^(?:https?:\/\/)?[^/]+(\/.*)?$/.exec(address)
  const p = (m?.[1] ?? '').replace(/\/+$/, '')
  if (p && !p.endsWith('/v2') && table['override_path'] !== true)
    add(rules['path-gets-v2'], path, `containerd requests "${address}" as ${address.replace(/\/+$/, '')}/v2/…; a registry serving the API under ${p} needs override_path = true`)
}

/** Folder-level findings: two folders for one registry, and folders without hosts.toml that still win the lookup. */
export function lintHostsDir(snapshot: HostsDirSnapshot): Finding[] {
  const findings: Finding[] = []
  const root = snapshot.root.replace(/\/+$/, '')
  for (const [name, content] of snapshot.folders) {
    const file = `${root}/${name}`
    const m = /^(.*)_(\d+)_$/.exec(name)
    if (m && snapshot.folders.has(`${m[1]}:${m[2]}`))
      findings.push(report(rules['shadowed-folder'], {file: `${root}/${m[1]}:${m[2]}`, line: 1, column: 1}, `containerd reads ${file} for ${m[1]}:${m[2]}; this folder is never used`))
    if (!content.hostsToml && name !== '_default' && !content.files.some((f) => /\.(crt|cert|key)$/.test(f)))
      findings.push(report(rules['empty-folder'], {file, line: 1, column: 1}, `${file} has no hosts.toml but wins the lookup for ${name}: pulls go upstream, _default is skipped`))
  }
  return findings
}
