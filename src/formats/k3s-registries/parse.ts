import {LineCounter, parseDocument, type Document} from 'yaml'
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
    out.configs[name] = {tls: plain(c) && plain(c['tls']) ? c['tls'] : null, auth: plain(c) && plain(c['auth'])}
  }
  return out
}

