import {isScalar, LineCounter, parseDocument, type Document} from 'yaml'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {endpointIsMirror} from './endpoint.js'
import {rules} from './rules.js'

export const K3S_REGISTRIES = '/etc/rancher/k3s/registries.yaml'
export const RKE2_REGISTRIES = '/etc/rancher/rke2/registries.yaml'

export interface K3sRegistriesDoc {
  path: string
  text: string
  doc: Document.Parsed
  lines: LineCounter
  syntaxFindings: Finding[]
}

export interface K3sRegistries {
  mirrors: Record<string, {endpoints: string[]; rewrite: Record<string, string>}>
  configs: Record<string, {tls: Record<string, unknown> | null; auth: boolean}>
}

/** Whether a registries.yaml endpoint is the mirror named host[:port][/namespace] (scheme ignored, read as k3s reads it). */
export function sameEndpoint(endpoint: string, mirror: string): boolean {
  const bare = mirror.replace(/^https?:\/\//, '').replace(/\/+$/, '')
  const slash = bare.indexOf('/')
  return endpointIsMirror(endpoint, slash === -1 ? bare : bare.slice(0, slash), slash === -1 ? '' : bare.slice(slash + 1))
}

export function parseK3sRegistries(text: string, path: string): K3sRegistriesDoc {
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, keepSourceTokens: false})
  const syntaxFindings = doc.errors.map((e) => {
    const at = lines.linePos(e.pos[0])
    return report(rules['yaml-syntax'], {file: path, line: at.line, column: at.col}, `YAML syntax error: ${e.message.split('\n')[0]}`)
  })
  return {path, text, doc, lines, syntaxFindings}
}

const YAML11_TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/
const YAML11_FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/

/**
 * A boolean as gopkg.in/yaml.v2 (YAML 1.1) reads it, which k3s uses: yes/on/y count too; a
 * quoted or other value is a type error (k3s does not start). undefined when the node is absent
 * or null (false for k3s), null when yaml.v2 refuses it.
 */
export function yaml11Bool(d: K3sRegistriesDoc, node: unknown): boolean | null | undefined {
  if (node === undefined || (isScalar(node) && node.value === null)) return undefined
  if (!isScalar(node) || node.type !== 'PLAIN' || !node.range) return null
  const text = d.text.slice(node.range[0], node.range[1])
  return YAML11_TRUE.test(text) ? true : YAML11_FALSE.test(text) ? false : null
}

const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function readK3sRegistries(d: K3sRegistriesDoc): K3sRegistries {
  const data = d.syntaxFindings.length ? {} : (d.doc.toJS() as unknown)
  const out: K3sRegistries = {mirrors: {}, configs: {}}
  if (!plain(data)) return out
  for (const [name, m] of Object.entries(plain(data['mirrors']) ? data['mirrors'] : {})) {
    const ep = plain(m) && Array.isArray(m['endpoint']) ? m['endpoint'].filter((e): e is string => typeof e === 'string') : []
    const rw = plain(m) && plain(m['rewrite']) ? Object.fromEntries(Object.entries(m['rewrite']).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {}
    out.mirrors[name] = {endpoints: ep, rewrite: rw}
  }
  for (const [name, c] of Object.entries(plain(data['configs']) ? data['configs'] : {})) {
    const tls = plain(c) && plain(c['tls']) ? {...c['tls']} : null
    if (tls && 'insecure_skip_verify' in tls) tls['insecure_skip_verify'] = yaml11Bool(d, d.doc.getIn(['configs', name, 'tls', 'insecure_skip_verify'], true)) === true
    out.configs[name] = {tls, auth: plain(c) && plain(c['auth'])}
  }
  return out
}

