import {isCollection, isMap, isScalar, isSeq, type YAMLMap} from 'yaml'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {lintEndpoints} from './lint-endpoints.js'
import {yaml11Bool, type K3sRegistriesDoc} from './parse.js'
import {at} from './position.js'
import {rules} from './rules.js'

/** The keys wharfie's types read (registries.Registry and below); yaml.v2 drops any other. */
const KEYS = {
  top: ['mirrors', 'configs', 'auths'],
  mirror: ['endpoint', 'rewrite'],
  config: ['auth', 'tls'],
  tls: ['ca_file', 'cert_file', 'key_file', 'insecure_skip_verify'],
  auth: ['username', 'password', 'auth', 'identity_token'],
} as const

const isNull = (n: unknown): boolean => n === undefined || n === null || (isScalar(n) && n.value === null)
const keyOf = (k: unknown): string => (isScalar(k) ? String(k.value) : '')

/**
 * Lints registries.yaml as k3s reads it: wharfie decodes it with gopkg.in/yaml.v2, which
 * fails on a wrong type (k3s does not start) and drops unknown keys silently; then k3s turns
 * the endpoints into hosts.toml files (see lint-endpoints.ts).
 */
export function lintK3sRegistries(d: K3sRegistriesDoc): Finding[] {
  if (d.syntaxFindings.length) return [...d.syntaxFindings]
  const findings: Finding[] = []
  const root = d.doc.contents
  if (isNull(root)) return findings
  if (!isMap(root)) return [report(rules['wrong-type'], at(d, []), 'registries.yaml must be a map with mirrors and configs')]
  const wrong = (path: (string | number)[], message: string): void => void findings.push(report(rules['wrong-type'], at(d, path), message))
  const unknown = (map: YAMLMap, path: string[], known: readonly string[], hint?: string): void => {
    for (const item of map.items) {
      const k = keyOf(item.key)
      if (known.includes(k)) continue
      const where = path.length ? `under ${path.join('.')} ` : ''
      findings.push(report(rules['unknown-key'], at(d, [...path, k]), `unknown key "${k}" ${where}is ignored by k3s`, hint))
    }
  }
  /** A map of maps (mirrors, configs): each value a map or empty; returns the maps. */
  const entries = (name: string, what: string): [string, YAMLMap][] => {
    const node = d.doc.get(name, true)
    if (isNull(node)) return []
    if (!isMap(node)) return wrong([name], `${name} must be a map of ${what}`), []
    const out: [string, YAMLMap][] = []
    for (const item of node.items) {
      const k = keyOf(item.key)
      if (isMap(item.value)) out.push([k, item.value])
      else if (!isNull(item.value)) wrong([name, k], `${name}.${k} must be a map (${what})`)
    }
    return out
  }
  const scalars = (map: YAMLMap, path: string[]): void => {
    for (const item of map.items) if (isCollection(item.value)) wrong([...path, keyOf(item.key)], `${[...path, keyOf(item.key)].join('.')} must be a single value`)
  }

  unknown(root, [], KEYS.top)
  // wharfie still decodes the deprecated auths map, but k3s builds nothing from it.
  if (root.has('auths')) findings.push(report(rules['unknown-key'], at(d, ['auths']), 'auths is read but not used by k3s', 'put credentials under configs.<host>.auth'))

  for (const [name, m] of entries('mirrors', 'endpoint and rewrite')) {
    unknown(m, ['mirrors', name], KEYS.mirror)
    const ep = m.get('endpoint', true)
    if (!isNull(ep) && !(isSeq(ep) && ep.items.every((e) => !isCollection(e)))) wrong(['mirrors', name, 'endpoint'], `mirrors.${name}.endpoint must be a list of URLs`)
    const rw = m.get('rewrite', true)
    if (!isNull(rw) && !isMap(rw)) wrong(['mirrors', name, 'rewrite'], `mirrors.${name}.rewrite must be a map of pattern -> replacement`)
    else if (isMap(rw)) scalars(rw, ['mirrors', name, 'rewrite'])
  }
  for (const [name, c] of entries('configs', 'auth and tls')) {
    unknown(c, ['configs', name], KEYS.config)
    for (const part of ['tls', 'auth'] as const) {
      const node = c.get(part, true)
      if (isNull(node)) continue
      if (!isMap(node)) {
        wrong(['configs', name, part], `configs.${name}.${part} must be a map`)
        continue
      }
      unknown(node, ['configs', name, part], KEYS[part])
      scalars(node, ['configs', name, part])
    }
    const skip = c.getIn(['tls', 'insecure_skip_verify'], true)
    if (yaml11Bool(d, skip) === null && !isCollection(skip))
      wrong(['configs', name, 'tls', 'insecure_skip_verify'], `configs.${name}.tls.insecure_skip_verify must be true or false, unquoted`)
  }
  findings.push(...lintEndpoints(d))
  return findings.sort((a, b) => a.line - b.line || a.column - b.column)
}
