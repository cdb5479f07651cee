/**
 * Proxy settings kept in engine config files: daemon.json "proxies" (dockerd 23.0+ copies
 * them over its own environment at start) and containers.conf [engine] env (podman fills in
 * variables the process does not have).
 */
import {configFromSourcedEnv, maskUrlCredentials, PROXY_VARIABLES, type ProxyConfig, type Setting, type SourcedEnv} from '../../net/proxy.js'
import {getStaticTOMLValue} from 'toml-eslint-parser'
import {parseTomlGuarded} from '../../formats/toml/toml-guard.js'
import {LineIndex} from '../../core/line-index.js'
import type {SourceWarning} from './source-warning.js'

// ---------------------------------------------------------------------------------------
// daemon.json

export interface DaemonJsonProxies {
  httpProxy?: Setting
  httpsProxy?: Setting
  noProxy?: Setting
}

const DAEMON_PROXY_KEYS = [
  ['httpProxy', 'http-proxy'],
  ['httpsProxy', 'https-proxy'],
  ['noProxy', 'no-proxy'],
] as const

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The "proxies" object of a parsed daemon.json (Engine 23.0+). Empty strings and null mean "not set". */
export function daemonJsonProxies(daemonJson: unknown, file = 'daemon.json'): {proxies: DaemonJsonProxies; warnings: SourceWarning[]} {
  const proxies: DaemonJsonProxies = {}
  const warnings: SourceWarning[] = []
  if (!isObject(daemonJson) || daemonJson.proxies === undefined || daemonJson.proxies === null) return {proxies, warnings}
  const section = daemonJson.proxies
  if (!isObject(section)) {
    warnings.push({file, line: null, message: '"proxies" must be an object; dockerd refuses to start'})
    return {proxies, warnings}
  }
  const known = new Set<string>(DAEMON_PROXY_KEYS.map(([, k]) => k))
  for (const key of Object.keys(section)) {
    if (!known.has(key)) warnings.push({file, line: null, message: `proxies.${key} is not a dockerd option (http-proxy, https-proxy, no-proxy); dockerd refuses to start`})
  }
  for (const [field, key] of DAEMON_PROXY_KEYS) {
    const value = section[key]
    if (value === undefined || value === null) continue
    if (typeof value !== 'string') {
      warnings.push({file, line: null, message: `proxies.${key} must be a string; dockerd refuses to start`})
      continue
    }
    if (value !== '') proxies[field] = {value, source: `${file} proxies.${key}`}
  }
  return {proxies, warnings}
}

/**
 * dockerd's proxy configuration: the service environment, with each non-empty daemon.json
 * proxies value written over both the upper- and lower-case variable (as dockerd does to its
 * own environment at start-up; an empty value leaves the environment alone). Omit
 * daemonJsonProxies for Engine < 23.0, which has no such option.
 */
export function dockerProxyConfig(input: {unitEnv: SourcedEnv; daemonJsonProxies?: DaemonJsonProxies}): ProxyConfig {
  const env: Record<string, Setting | undefined> = {...input.unitEnv}
  const overrides = input.daemonJsonProxies ?? {}
  for (const [field] of DAEMON_PROXY_KEYS) {
    const setting = overrides[field]
    if (setting && setting.value !== '') for (const name of PROXY_VARIABLES[field]) env[name] = setting
  }
  return configFromSourcedEnv(env)
}

// ---------------------------------------------------------------------------------------
// containers.conf

export interface EngineEnvEntry {
  name: string
  value: string
  source: string
}

/**
 * The effective containers.conf [engine] env list from parsed TOML documents in load order
 * (system files, drop-ins, then the user file). A later file's env replaces the list unless
 * its last element is {append = true} (containers/common attributed string slices).
 * Entries must be "KEY=value" (split at the first '='); others are skipped with a warning.
 */
export function containersConfEngineEnv(files: ReadonlyArray<{file: string; config: unknown}>): {entries: EngineEnvEntry[]; warnings: SourceWarning[]} {
  let entries: EngineEnvEntry[] = []
  const warnings: SourceWarning[] = []
  for (const {file, config} of files) {
    if (!isObject(config) || !isObject(config.engine) || config.engine.env === undefined) continue
    const list = config.engine.env
    if (!Array.isArray(list)) {
      warnings.push({file, line: null, message: '[engine] env must be an array of "KEY=value" strings; podman fails to read this file'})
      continue
    }
    const last: unknown = list[list.length - 1]
    const append = isObject(last) && last.append === true
    const items = isObject(last) ? list.slice(0, -1) : list
    const parsed: EngineEnvEntry[] = []
    for (const item of items) {
      if (typeof item !== 'string') {
        warnings.push({file, line: null, message: '[engine] env entries must be strings'})
        continue
      }
      const eq = item.indexOf('=')
      if (eq < 0) {
        warnings.push({file, line: null, message: `[engine] env entry ${JSON.stringify(maskUrlCredentials(item))} is not KEY=value; podman skips it (older podman refuses to run)`})
        continue
      }
      const name = item.slice(0, eq)
      parsed.push({name, value: item.slice(eq + 1), source: `${file} [engine] env: ${name}`})
    }
    entries = append ? [...entries, ...parsed] : parsed
  }
  return {entries, warnings}
}

/**
 * podman's (and buildah's) proxy configuration: the invoking process's environment, plus
 * each containers.conf [engine] env entry whose variable the process does not define. This
 * is containers/common's setupEnv: a variable that is defined, even as '', is kept; within
 * the list the first entry for a name wins, since it defines the variable for the rest.
 * processEnv entries with value '' count as defined.
 */
export function podmanProxyConfig(input: {processEnv: SourcedEnv; containersConfEnv?: readonly EngineEnvEntry[]}): ProxyConfig {
  const env: Record<string, Setting> = {}
  for (const [name, setting] of Object.entries(input.processEnv)) if (setting) env[name] = setting
  for (const entry of input.containersConfEnv ?? []) {
    if (!(entry.name in env)) env[entry.name] = {value: entry.value, source: entry.source}
  }
  return configFromSourcedEnv(env)
}

/** A containers.conf as a plain object, or its TOML syntax error. */
type ContainersConfParse = {value: Record<string, unknown>} | {error: string; line: number | null}

/**
 * The last few texts parsed, and their results: a fleet run reads the same containers.conf
 * (/usr/share/containers/containers.conf is ~30 KB, mostly comments) on every host, and its
 * TOML parse was the largest share of mirrorctl's own CPU per host. Callers only read results.
 */
const recentParses = new Map<string, ContainersConfParse>()
const RECENT_PARSES = 8

export function parseContainersConf(text: string): ContainersConfParse {
  const known = recentParses.get(text)
  if (known) return known
  const parsed = deepFreeze(parseContainersConfText(text))
  if (recentParses.size >= RECENT_PARSES) recentParses.delete(recentParses.keys().next().value!)
  recentParses.set(text, parsed)
  return parsed
}

/** A shared result must not change under another host's feet. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

function parseContainersConfText(text: string): ContainersConfParse {
  // Go's TOML decoder skips a leading BOM; keep offsets by replacing it with a space. Guarded:
  // deep nesting or megabyte strings must not overflow the stack.
  const source = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text
  const {ast, error} = parseTomlGuarded(source)
  if (!ast) return {error: error?.message ?? 'not valid TOML', line: error ? new LineIndex(source).position(error.offset).line : null}
  return {value: getStaticTOMLValue(ast) as Record<string, unknown>}
}
