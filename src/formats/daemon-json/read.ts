import {checkInsecureRegistry, normalizeMirror} from './mirror-url.js'
import {lastMember, positionAt, toValue, topMembers, type DaemonJsonDoc} from './parse.js'
import type {MirrorAt} from '../../lint/mirror-route.js'

/** What this file configures, as dockerd would hold it after loading the file alone. */
export interface DaemonJsonConfig {
  /** As dockerd stores them: each with one trailing "/", duplicates removed, in order. */
  registryMirrors: string[]
  /** As dockerd uses them: an http:// or https:// prefix removed. */
  insecureRegistries: string[]
  proxies?: {httpProxy?: string; httpsProxy?: string; noProxy?: string}
  /** Every top-level key with its decoded value (the last one for duplicated keys). */
  keys: Record<string, unknown>
}

/**
 * Reads the effective configuration. Values dockerd would reject (lint reports them) are still
 * returned as written, so a caller can show what the file says.
 */
export function readDaemonJson(doc: DaemonJsonDoc): DaemonJsonConfig {
  const keys: Record<string, unknown> = {}
  for (const m of topMembers(doc)) keys[m.key] = toValue(m.value)
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

  const registryMirrors = [...new Set(strings(keys['registry-mirrors']).map(normalizeMirror))]
  const insecureRegistries = strings(keys['insecure-registries']).map((entry) => {
    const check = checkInsecureRegistry(entry)
    return check.ok ? check.value : entry
  })
  const config: DaemonJsonConfig = {registryMirrors, insecureRegistries, keys}

  const proxies = keys['proxies']
  if (proxies !== null && typeof proxies === 'object' && !Array.isArray(proxies)) {
    const get = (key: string) => {
      const v = (proxies as Record<string, unknown>)[key]
      return typeof v === 'string' ? v : undefined
    }
    const p: NonNullable<DaemonJsonConfig['proxies']> = {}
    if (get('http-proxy') !== undefined) p.httpProxy = get('http-proxy')
    if (get('https-proxy') !== undefined) p.httpsProxy = get('https-proxy')
    if (get('no-proxy') !== undefined) p.noProxy = get('no-proxy')
    config.proxies = p
  }
  return config
}

/** registry-mirrors entries with their positions, for checks that need the host (proxy routing). */
export function mirrorEntries(doc: DaemonJsonDoc): MirrorAt[] {
  const member = lastMember(topMembers(doc), 'registry-mirrors')
  if (!member || member.value.kind !== 'array') return []
  return member.value.items.flatMap((item) => (item.kind === 'string' && /^https?:\/\//i.test(item.value) ? [{url: item.value, at: positionAt(doc, item.start)}] : []))
}
