import type {Finding} from '../../lint/finding.js'
import {report, type RuleMeta} from '../../lint/rule.js'
import {closest} from '../../core/did-you-mean.js'
import {isDomain, parseReference, ReferenceError} from '../../core/image-reference.js'
import {pathKey, type KeyPath, type RegistriesConfDocument} from './parse.js'
import {rules} from './rules.js'
import {MIRROR_KEYS, REGISTRY_KEYS, TOP_LEVEL_KEYS, type Endpoint, type FileConfig, type RegistryTable} from './model.js'

export interface LoadResult {
  /** What the file says, as far as it could be decoded (null for TOML or type errors). */
  config: FileConfig | null
  /** The loader refuses this file (errors is not empty). */
  rejected: boolean
  /** Everything the loader rejects, in the order it checks (the first is what the engine prints). */
  errors: Finding[]
  /** Accepted silently but suspicious at the key level (unknown keys, scoping, case). */
  warnings: Finding[]
}

type Table = Record<string, unknown>

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)

/** Position of a key path: the key itself, or the value; falls back to the nearest parent, then 1:1. */
export function positionOf(doc: RegistriesConfDocument, path: KeyPath, part: 'key' | 'value' = 'key'): {file: string; line: number; column: number} {
  for (let n = path.length; n > 0; n--) {
    const span = doc.spans.get(pathKey(path.slice(0, n)))
    if (span) {
      const offset = part === 'value' && span.value && n === path.length ? span.value[0] : span.node[0]
      return {file: doc.path, ...doc.lines.position(offset)}
    }
  }
  return {file: doc.path, line: 1, column: 1}
}

/**
 * Applies the loader's rules to one parsed file, as containers/image does when it loads the
 * main file (dropIn false) or a drop-in (dropIn true).
 */
export function loadFile(doc: RegistriesConfDocument, options: {dropIn: boolean}): LoadResult {
  const errors: Finding[] = [...doc.syntaxFindings]
  const warnings: Finding[] = []
  if (!doc.data) return {config: null, rejected: true, errors, warnings}
  const data = doc.data
  const fail = (rule: RuleMeta, path: KeyPath, message: string, part: 'key' | 'value' = 'key', hint?: string) =>
    errors.push(report(rule, positionOf(doc, path, part), message, hint))
  const warn = (rule: RuleMeta, path: KeyPath, message: string, hint?: string) =>
    warnings.push(report(rule, positionOf(doc, path), message, hint))

  // Keys are looked up as the Go decoder does: exact name first, then ignoring case.
  const get = (table: Table, base: KeyPath, name: string): {value: unknown; path: KeyPath} | undefined => {
    if (name in table) return {value: table[name], path: [...base, name]}
    const other = Object.keys(table).find((k) => k.toLowerCase() === name)
    if (other === undefined) return undefined
    warn(rules['key-case'], [...base, other], `key "${other}" is read as "${name}"`)
    return {value: table[other], path: [...base, other]}
  }
  const expectType = (entry: {value: unknown; path: KeyPath} | undefined, type: 'string' | 'boolean' | 'string[]'): boolean => {
    if (!entry) return false
    const v = entry.value
    const ok =
      type === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === type
    if (!ok) {
      const shown = type === 'string[]' ? 'a list of strings' : type === 'string' ? 'a string' : 'a boolean (true or false, unquoted)'
      fail(rules['wrong-type'], entry.path, `"${entry.path.at(-1)}" must be ${shown}, not ${describe(v)}`, 'value')
    }
    return ok
  }
  const str = (t: Table, base: KeyPath, k: string) => {
    const e = get(t, base, k)
    return e && expectType(e, 'string') ? (e.value as string) : undefined
  }
  const bool = (t: Table, base: KeyPath, k: string) => {
    const e = get(t, base, k)
    return e && expectType(e, 'boolean') ? (e.value as boolean) : undefined
  }
  const strList = (t: Table, base: KeyPath, k: string) => {
    const e = get(t, base, k)
    return e && expectType(e, 'string[]') ? (e.value as string[]) : e ? [] : null
  }

  // ---- unknown keys (ignored by the loader, so warnings)
  const known = (keys: readonly string[], k: string) => keys.includes(k) || keys.includes(k.toLowerCase())
  for (const k of Object.keys(data)) if (!known(TOP_LEVEL_KEYS, k)) warn(rules['unknown-key'], [k], `unknown key "${k}" is ignored by the engines`, suggest(k, TOP_LEVEL_KEYS))

  // ---- V1 tables
  const v1 = isTable(data.registries) ? data.registries : undefined
  if (data.registries !== undefined && !v1) fail(rules['wrong-type'], ['registries'], '"registries" must be a table ([registries.search] etc.)')
  const v1Lists: Record<'search' | 'insecure' | 'block', string[] | null> = {search: null, insecure: null, block: null}
  if (v1) {
    for (const k of Object.keys(v1)) {
      if (!['search', 'insecure', 'block'].includes(k)) {
        warn(rules['unknown-key'], ['registries', k], `unknown V1 table [registries.${k}] is ignored`, 'V1 knows [registries.search], [registries.insecure] and [registries.block]')
        continue
      }
      const t = v1[k]
      if (!isTable(t)) {
        fail(rules['wrong-type'], ['registries', k], `[registries.${k}] must be a table`)
        continue
      }
      for (const inner of Object.keys(t)) if (inner !== 'registries') warn(rules['unknown-key'], ['registries', k, inner], `unknown key "${inner}" in [registries.${k}] is ignored`)
      v1Lists[k as 'search'] = strList(t, ['registries', k], 'registries')
    }
  }

  // ---- V2 top level
  const search = strList(data, [], 'unqualified-search-registries')
  const helpers = strList(data, [], 'credential-helpers')
  const mode = str(data, [], 'short-name-mode')
  const alsHelper = str(data, [], 'additional-layer-store-auth-helper')
  const aliasesEntry = get(data, [], 'aliases')
  let aliases: Record<string, string> | null = null
  if (aliasesEntry) {
    if (!isTable(aliasesEntry.value)) fail(rules['wrong-type'], aliasesEntry.path, '"aliases" must be a table of "name" = "value"')
    else {
      aliases = {}
      for (const [name, value] of Object.entries(aliasesEntry.value)) {
        if (typeof value !== 'string') fail(rules['wrong-type'], [...aliasesEntry.path, name], `alias "${name}" must be a string`, 'value')
        else aliases[name] = value
      }
    }
  }

  const registries: RegistryTable[] = []
  const regEntry = get(data, [], 'registry')
  const regList = regEntry?.value
  if (regEntry && !(Array.isArray(regList) && regList.every(isTable))) {
    fail(rules['wrong-type'], regEntry.path, '"registry" must be an array of tables: write [[registry]], not [registry]')
  } else if (Array.isArray(regList)) {
    regList.forEach((raw, index) => {
      const base: KeyPath = [...regEntry!.path, index]
      const t = raw as Table
      for (const k of Object.keys(t)) {
        if (known(REGISTRY_KEYS, k)) continue
        warn(rules['unknown-key'], [...base, k], `unknown key "${k}" in [[registry]] is ignored by the engines`, suggest(k, REGISTRY_KEYS))
      }
      const mirrors: Endpoint[] = []
      const mEntry = get(t, base, 'mirror')
      if (mEntry && !(Array.isArray(mEntry.value) && mEntry.value.every(isTable))) {
        fail(rules['wrong-type'], mEntry.path, '"mirror" must be an array of tables: write [[registry.mirror]]')
      } else if (mEntry) {
        ;(mEntry.value as Table[]).forEach((m, j) => {
          const mb: KeyPath = [...mEntry.path, j]
          for (const k of Object.keys(m)) {
            if (known(MIRROR_KEYS, k)) continue
            if (['prefix', 'blocked', 'mirror-by-digest-only'].includes(k.toLowerCase()))
              warn(
                rules['key-in-mirror-scope'],
                [...mb, k],
                `"${k}" is written after [[registry.mirror]], so TOML puts it in the mirror, where it is ignored; the registry does not get it`,
              )
            else warn(rules['unknown-key'], [...mb, k], `unknown key "${k}" in [[registry.mirror]] is ignored by the engines`, suggest(k, MIRROR_KEYS))
          }
          mirrors.push({
            location: str(m, mb, 'location') ?? '',
            insecure: bool(m, mb, 'insecure') ?? false,
            pullFromMirror: str(m, mb, 'pull-from-mirror') ?? '',
            proxy: str(m, mb, 'proxy') ?? '',
            path: mb,
          })
        })
      }
      const prefix = str(t, base, 'prefix') ?? ''
      registries.push({
        prefix,
        prefixWritten: prefix !== '',
        location: str(t, base, 'location') ?? '',
        insecure: bool(t, base, 'insecure') ?? false,
        blocked: bool(t, base, 'blocked') ?? false,
        mirrorByDigestOnly: bool(t, base, 'mirror-by-digest-only') ?? false,
        pullFromMirror: str(t, base, 'pull-from-mirror') ?? '',
        proxy: str(t, base, 'proxy') ?? '',
        mirrors,
        path: base,
        file: doc.path,
        index,
      })
    })
  }
  // A type error fails decoding before any other check.
  if (errors.length) return {config: null, rejected: true, errors, warnings}

  // containers/image up to 5.23 treats empty lists as absent when telling V1 from V2 (Nonempty);
  // 5.24 (podman 4.4) and later count any written V1 list or V2 key (hasSetField).
  const v2Set =
    regEntry !== undefined || search !== null || helpers !== null || mode !== undefined || alsHelper !== undefined || aliasesEntry !== undefined
  const v2Nonempty =
    registries.length > 0 || Boolean(search?.length) || Boolean(helpers?.length) || Boolean(mode) || Boolean(alsHelper) || Object.keys(aliases ?? {}).length > 0
  const v1Keys = (['search', 'insecure', 'block'] as const).filter((k) => v1Lists[k] !== null)
  const v1Nonempty = v1Keys.some((k) => v1Lists[k]!.length > 0)
  if (v1Keys.length && (options.dropIn || v2Set) && !(v1Nonempty && (options.dropIn || v2Nonempty)))
    warn(
      rules['empty-v1-v2-mix'],
      v1Nonempty ? [Object.keys(data).find((k) => known(TOP_LEVEL_KEYS, k) && k.toLowerCase() !== 'registries') ?? 'registries'] : ['registries', v1Keys[0]!],
      v1Nonempty
        ? 'this V1 file also writes V2 keys with empty values: containers/image 5.23 and earlier ignore them, 5.24 and later refuse the file ("mixing sysregistry v1/v2 is not supported")'
        : `[registries.${v1Keys[0]}] holds only empty lists: containers/image 5.23 and earlier ignore it, 5.24 and later refuse the file (${options.dropIn ? '"registry must be in v2 format but is in v1"' : '"mixing sysregistry v1/v2 is not supported"'})`,
    )
  if (v1Nonempty) {
    const firstV1 = v1Keys.find((k) => v1Lists[k]!.length > 0)!
    if (options.dropIn) {
      fail(rules['v1-in-drop-in'], ['registries', firstV1], 'registry must be in v2 format but is in v1: drop-ins cannot use V1 tables')
      return {config: null, rejected: true, errors, warnings}
    }
    if (v2Nonempty) {
      fail(rules['mixed-v1-v2'], ['registries', firstV1], 'mixing sysregistry v1/v2 is not supported: this file has V1 tables and V2 keys')
      return {config: null, rejected: true, errors, warnings}
    }
    warn(rules['v1-format'], ['registries', firstV1], 'this file uses the deprecated V1 format; it cannot configure mirrors')
    return convertV1(doc, v1Lists, errors, warnings)
  }

  validateRegistries(doc, registries, fail)
  if (search) {
    search.forEach((entry, i) => {
      const trimmed = entry.replace(/\/+$/, '')
      if (/^https?:\/\//.test(trimmed))
        fail(rules['uri-scheme'], ['unqualified-search-registries', i], `invalid location '${entry}': URI schemes are not supported`, 'value')
      else if (!isDomain(trimmed))
        fail(rules['invalid-search-registry'], ['unqualified-search-registries', i], `Invalid unqualified-search-registries entry "${entry}"`, 'value')
    })
  }
  if (mode !== undefined && mode !== '' && !['enforcing', 'permissive', 'disabled'].includes(mode))
    fail(rules['invalid-short-name-mode'], ['short-name-mode'], `invalid short-name mode: "${mode}"`, 'value')
  for (const r of registries) {
    if (r.prefix.startsWith('*.') && /[/@:]/.test(r.prefix))
      fail(rules['invalid-wildcard-prefix'], [...r.path, 'prefix'], `Wildcarded prefix should be in the format: *.example.com. Current prefix "${r.prefix}" is incorrectly formatted`, 'value')
  }
  if (aliases) validateAliases(aliases, aliasesEntry!.path, fail)

  const config: FileConfig = {
    file: doc.path,
    dropIn: options.dropIn,
    format: v2Set ? 'v2' : 'empty',
    registries,
    unqualifiedSearchRegistries: search ? search.map((s) => s.replace(/\/+$/, '')) : null,
    credentialHelpers: helpers,
    shortNameMode: mode ?? null,
    aliases,
    additionalLayerStoreAuthHelper: alsHelper ?? null,
  }
  return {config, rejected: errors.length > 0, errors, warnings}
}

type Fail = (rule: RuleMeta, path: KeyPath, message: string, part?: 'key' | 'value', hint?: string) => void

/** postProcessRegistries: location/prefix normalisation, mirror checks, per-location conflicts. */
function validateRegistries(doc: RegistriesConfDocument, registries: RegistryTable[], fail: Fail): void {
  const hasScheme = (s: string) => /^https?:\/\//.test(s.replace(/\/+$/, ''))
  for (const r of registries) {
    if (hasScheme(r.location)) fail(rules['uri-scheme'], [...r.path, 'location'], `invalid location '${r.location}': URI schemes are not supported`, 'value')
    r.location = r.location.replace(/\/+$/, '')
    if (!r.prefixWritten) {
      if (r.location === '') fail(rules['prefix-location-unset'], r.path, 'invalid condition: both location and prefix are unset')
      r.prefix = r.location
    } else {
      if (hasScheme(r.prefix)) fail(rules['uri-scheme'], [...r.path, 'prefix'], `invalid location '${r.prefix}': URI schemes are not supported`, 'value')
      r.prefix = r.prefix.replace(/\/+$/, '')
      if (!r.prefix.startsWith('*.') && r.location === '')
        fail(rules['location-unset'], [...r.path, 'prefix'], 'invalid condition: location is unset and prefix is not in the format: *.example.com')
    }
    checkProxy(r.proxy, [...r.path, 'proxy'], fail)
    if (r.pullFromMirror !== '')
      fail(rules['pull-from-mirror-on-registry'], [...r.path, 'pull-from-mirror'], `pull-from-mirror must not be set for a non-mirror registry "${r.prefix}"`)
    for (const m of r.mirrors) {
      if (hasScheme(m.location)) fail(rules['uri-scheme'], [...m.path, 'location'], `invalid location '${m.location}': URI schemes are not supported`, 'value')
      m.location = m.location.replace(/\/+$/, '')
      if (m.location === '') fail(rules['mirror-location-unset'], m.path, 'invalid condition: mirror location is unset')
      checkProxy(m.proxy, [...m.path, 'proxy'], fail)
      if (r.mirrorByDigestOnly && m.pullFromMirror !== '')
        fail(
          rules['digest-only-conflict'],
          [...m.path, 'pull-from-mirror'],
          `cannot set mirror usage mirror-by-digest-only for the registry ("${r.prefix}") and pull-from-mirror for per-mirror ("${m.location}") at the same time`,
        )
      if (m.pullFromMirror !== '' && !['all', 'digest-only', 'tag-only'].includes(m.pullFromMirror))
        fail(rules['invalid-pull-from-mirror'], [...m.path, 'pull-from-mirror'], `unsupported pull-from-mirror value "${m.pullFromMirror}" for mirror "${m.location}"`, 'value')
    }
  }
  reportLocationConflicts(registries, fail)
}

const CONFLICT_FIELDS = ['insecure', 'proxy', 'blocked'] as const

/**
 * Tables sharing a location (or, without one, a wildcard prefix) must agree on insecure, proxy
 * and blocked. The loader compares every pair; a table conflicts exactly when an earlier table of
 * its group has another value, so one pass with the values seen so far per group finds the same
 * tables in linear time. Each conflicting table is reported once per field.
 */
export function reportLocationConflicts(registries: readonly RegistryTable[], fail: Fail): void {
  const seen = new Map<string, {insecure: Set<unknown>; proxy: Set<unknown>; blocked: Set<unknown>}>()
  for (const r of registries) {
    const key = r.location === '' ? r.prefix : r.location
    let group = seen.get(key)
    if (!group) seen.set(key, (group = {insecure: new Set(), proxy: new Set(), blocked: new Set()}))
    for (const field of CONFLICT_FIELDS) {
      const values = group[field]
      // The loader compares parsed proxies as *url.URL pointers: two tables that both set a
      // proxy conflict even when they spell the same URL.
      const value = field === 'proxy' && r.proxy !== '' ? Symbol(r.proxy) : r[field]
      // At most two distinct values are kept: enough to know whether another one was seen.
      if (values.size > 1 || (values.size === 1 && !values.has(value)))
        fail(rules[`conflicting-${field}`], r.path, `registry '${r.location}' is defined multiple times with conflicting '${field}' setting`)
      if (values.size < 2) values.add(value)
    }
  }
}

function checkProxy(proxy: string, path: KeyPath, fail: Fail): void {
  if (proxy === '') return
  let scheme = ''
  try {
    scheme = new URL(proxy).protocol.replace(/:$/, '')
  } catch {
    scheme = /^([a-z][a-z0-9+.-]*):/i.exec(proxy)?.[1] ?? ''
  }
  if (!['http', 'https', 'socks5', 'socks5h'].includes(scheme))
    fail(rules['invalid-proxy'], path, `proxy URL scheme "${scheme}" is not supported. Supported are http, https, socks5, socks5h`, 'value')
}

/** Short-name aliases: the name must be short and untagged; the value fully qualified and untagged. */
function validateAliases(aliases: Record<string, string>, base: KeyPath, fail: Fail): void {
  for (const [name, value] of Object.entries(aliases)) {
    try {
      const n = parseReference(name)
      const slash = name.indexOf('/')
      const first = slash === -1 ? '' : name.slice(0, slash)
      if (/[.:]/.test(first) || first === 'localhost') throw new ReferenceError(`invalid short name "${name}": must not contain a registry`)
      if (n.tag !== null || n.digest !== null) throw new ReferenceError(`invalid short name "${name}": must not contain a tag or digest`)
    } catch (error) {
      fail(rules['invalid-alias'], [...base, name], `validating short-name aliases: ${(error as Error).message}`)
      continue
    }
    if (value === '') continue // "" erases an alias from an earlier file
    try {
      const v = parseReference(value)
      const slash = value.indexOf('/')
      const first = slash === -1 ? '' : value.slice(0, slash)
      if (!(/[.:]/.test(first) || first === 'localhost')) throw new ReferenceError(`invalid alias value "${value}": must include a registry and repository`)
      if (v.tag !== null || v.digest !== null) throw new ReferenceError(`invalid alias value "${value}": must not contain a tag or digest`)
    } catch (error) {
      fail(rules['invalid-alias'], [...base, name], `validating short-name aliases: ${(error as Error).message}`, 'value')
    }
  }
}

/** V1 becomes V2 the way the loader converts it: each insecure or blocked host one [[registry]]. */
function convertV1(
  doc: RegistriesConfDocument,
  lists: Record<'search' | 'insecure' | 'block', string[] | null>,
  errors: Finding[],
  warnings: Finding[],
): LoadResult {
  const byLocation = new Map<string, RegistryTable>()
  const table = (location: string, listName: string, i: number): RegistryTable | undefined => {
    const trimmed = location.replace(/\/+$/, '')
    if (/^https?:\/\//.test(trimmed)) {
      errors.push(report(rules['uri-scheme'], positionOf(doc, ['registries', listName, 'registries', i], 'value'), `invalid location '${location}': URI schemes are not supported`))
      return undefined
    }
    let t = byLocation.get(trimmed)
    if (!t) {
      t = {
        prefix: trimmed,
        prefixWritten: false,
        location: trimmed,
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        pullFromMirror: '',
        proxy: '',
        mirrors: [],
        path: ['registries', listName, 'registries', i],
        file: doc.path,
        index: byLocation.size,
      }
      byLocation.set(trimmed, t)
    }
    return t
  }
  ;(lists.block ?? []).forEach((l, i) => {
    const t = table(l, 'block', i)
    if (t) t.blocked = true
  })
  ;(lists.insecure ?? []).forEach((l, i) => {
    const t = table(l, 'insecure', i)
    if (t) t.insecure = true
  })
  if (errors.length) return {config: null, rejected: true, errors, warnings}
  return {
    rejected: false,
    config: {
      file: doc.path,
      dropIn: false,
      format: 'v1',
      registries: [...byLocation.values()],
      unqualifiedSearchRegistries: lists.search,
      credentialHelpers: null,
      shortNameMode: null,
      aliases: null,
      additionalLayerStoreAuthHelper: null,
    },
    errors,
    warnings,
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list'
  if (v instanceof Date) return 'a date'
  if (isTable(v)) return 'a table'
  return typeof v === 'string' ? `the string "${v}"` : `${typeof v} ${String(v)}`
}

/** A did-you-mean hint for a misspelt key. */
function suggest(key: string, candidates: readonly string[]): string | undefined {
  const best = closest(key, candidates)
  return best === null ? undefined : `did you mean "${best}"?`
}
