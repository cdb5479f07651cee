import type {TextEdit} from '../../edit/text-edit.js'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {rules} from './rules.js'
import {offsetOf, parseTomlDoc, tomlString, type TomlDoc} from './toml-doc.js'

export const DEFAULT_CONFIG_TOML = '/etc/containerd/config.toml'
export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d'

/** The registry part of containerd's config.toml, as the CRI plugin reads it. */
export interface ContainerdRegistryConfig {
  /** config.toml `version` (1 when absent, as containerd 1.x assumes). */
  version: number
  /** Key path of the CRI registry table for this config version. */
  registryTable: string[]
  /** config_path split on ":" (CRI tries each root in order); [] when unset. */
  configPath: string[]
  /** Deprecated registry.mirrors: registry -> endpoint URLs. */
  mirrors: Record<string, string[]>
}

/** The CRI registry table for a config.toml version. */
export function registryTablePath(version: number): string[] {
  if (version >= 3) return ['plugins', 'io.containerd.cri.v1.images', 'registry']
  if (version === 2) return ['plugins', 'io.containerd.grpc.v1.cri', 'registry']
  return ['plugins', 'cri', 'registry']
}

export function parseContainerdConfig(text: string, path: string): TomlDoc {
  return parseTomlDoc(text, path)
}

function dig(data: unknown, path: readonly string[]): unknown {
  let at = data
  for (const p of path) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string, unknown>)[p]
  }
  return at
}

export function readContainerdConfig(doc: TomlDoc): ContainerdRegistryConfig {
  const data = doc.data ?? {}
  const version = typeof data['version'] === 'number' ? data['version'] : 1
  const registryTable = registryTablePath(version)
  const reg = dig(data, registryTable) as Record<string, unknown> | undefined
  const cp = typeof reg?.['config_path'] === 'string' ? reg['config_path'] : ''
  const mirrors: Record<string, string[]> = {}
  const m = reg?.['mirrors']
  if (m && typeof m === 'object') {
    for (const [name, v] of Object.entries(m as Record<string, unknown>)) {
      const endpoints = (v as Record<string, unknown> | null)?.['endpoint']
      mirrors[name] = Array.isArray(endpoints) ? endpoints.filter((e): e is string => typeof e === 'string') : []
    }
  }
  return {version, registryTable, configPath: cp.split(':').filter(Boolean), mirrors}
}

/** Docker's bundled containerd (and others without Kubernetes) disable the CRI plugin. */
export function criDisabled(doc: TomlDoc): boolean {
  const disabled = doc.data?.['disabled_plugins']
  return Array.isArray(disabled) && disabled.some((p) => p === 'cri' || p === 'io.containerd.grpc.v1.cri' || p === 'io.containerd.cri.v1.images')
}

/** Lints config.toml's registry part: config_path unset, deprecated mirrors, and the pair the CRI plugin refuses. */
export function lintContainerdConfig(doc: TomlDoc): Finding[] {
  if (!doc.data) {
    const at = doc.lines.position(doc.syntaxError?.offset ?? 0)
    return [report(rules['config-toml-syntax'], {file: doc.path, ...at}, `TOML syntax error: ${doc.syntaxError?.message ?? 'invalid'}`)]
  }
  const cfg = readContainerdConfig(doc)
  const at = (path: readonly string[]): {file: string; line: number; column: number} => ({file: doc.path, ...doc.lines.position(offsetOf(doc, path))})
  const out: Finding[] = []
  const mirrorNames = Object.keys(cfg.mirrors)
  if (mirrorNames.length && cfg.configPath.length)
    out.push(report(rules['mirrors-with-config-path'], at([...cfg.registryTable, 'mirrors']), 'registry.mirrors and config_path are both set: the CRI plugin refuses this configuration'))
  else if (mirrorNames.length)
    out.push(report(rules['deprecated-mirrors'], at([...cfg.registryTable, 'mirrors']), `deprecated registry.mirrors for ${mirrorNames.join(', ')}${cfg.version >= 3 ? ' is not read by containerd 2.x' : ''}`))
  if (!cfg.configPath.length && !criDisabled(doc))
    out.push(report(rules['config-path-unset'], at(cfg.registryTable), 'config_path is not set: the CRI plugin reads no hosts.toml files'))
  return out
}

/**
 * Sets config_path (a restart of containerd is needed afterwards). Adds the key to the CRI
 * registry table where it is, or appends the table; keeps every other byte.
 */
export function planConfigPath(doc: TomlDoc | null, hostsDir: string, newVersion: number): {after: string; edits: TextEdit[]} {
  if (!doc) {
    const table = registryTablePath(newVersion)
    const text = `version = ${newVersion}\n\n[${table.map(quoteKey).join('.')}]\n  config_path = ${tomlString(hostsDir)}\n`
    return {after: text, edits: [{start: 0, end: 0, text}]}
  }
  const cfg = readContainerdConfig(doc)
  const eol = doc.eol
  const table = doc.tables.find((t) => t.path.join('\u0000') === cfg.registryTable.join('\u0000'))
  const line = `config_path = ${tomlString(hostsDir)}`
  let edit: TextEdit
  const existing = table?.keys.find((k) => k.name.length === 1 && k.name[0] === 'config_path')
  if (existing) edit = {start: existing.value[0], end: existing.value[1], text: tomlString(hostsDir)}
  else if (table) edit = {start: table.end, end: table.end, text: `${eol}  ${line}`}
  else {
    const sep = doc.text === '' || doc.text.endsWith('\n') ? '' : eol
    edit = {start: doc.text.length, end: doc.text.length, text: `${sep}${eol}[${cfg.registryTable.map(quoteKey).join('.')}]${eol}  ${line}${eol}`}
  }
  return {after: doc.text.slice(0, edit.start) + edit.text + doc.text.slice(edit.end), edits: [edit]}
}

function quoteKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k)
}
