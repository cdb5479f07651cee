import {isMap, isSeq, isScalar, LineCounter, parseDocument, type Document} from 'yaml'
import type {TextEdit} from '../../edit/text-edit.js'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import type {Format} from '../format.js'
import {mirrorUrl, type MirrorChange} from '../../policy/mirror-policy.js'
import {rules} from './rules.js'

export {rules}

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

/** A MIRROR argument names host[:port][/path]: the scheme written in the file does not matter. */
export function sameEndpoint(a: string, b: string): boolean {
  const bare = (u: string): string => u.replace(/^https?:\/\//, '').replace(/\/+$/, '')
  return bare(a) === bare(b)
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
    out.configs[name] = {tls: plain(c) && plain(c['tls']) ? c['tls'] : null, auth: plain(c) && c['auth'] !== undefined}
  }
  return out
}

/** Position of a key path: the map key when the path ends in one, else the node itself. */
function at(d: K3sRegistriesDoc, path: readonly (string | number)[]): {file: string; line: number; column: number} {
  let offset = 0
  const parent = path.length ? d.doc.getIn(path.slice(0, -1), true) : undefined
  const last = path[path.length - 1]
  const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last)) : undefined
  const node = (pair && isScalar(pair.key) ? pair.key : d.doc.getIn(path, true)) as {range?: [number, number, number]} | undefined
  offset = node?.range?.[0] ?? 0
  const p = d.lines.linePos(offset)
  return {file: d.path, line: p.line, column: p.col}
}

export function lintK3sRegistries(d: K3sRegistriesDoc): Finding[] {
  if (d.syntaxFindings.length) return [...d.syntaxFindings]
  const findings: Finding[] = []
  const root = d.doc.contents
  if (root === null || (isScalar(root) && root.value === null)) return findings
  if (!isMap(root)) return [report(rules['wrong-type'], at(d, []), 'registries.yaml must be a map with mirrors and configs')]
  for (const item of root.items) {
    const key = isScalar(item.key) ? String(item.key.value) : ''
    if (key !== 'mirrors' && key !== 'configs') findings.push(report(rules['unknown-key'], at(d, [key]), `unknown top-level key "${key}" is ignored`))
  }
  const mirrors = d.doc.get('mirrors', true)
  if (mirrors !== undefined && !isMap(mirrors)) findings.push(report(rules['wrong-type'], at(d, ['mirrors']), 'mirrors must be a map of registry -> {endpoint, rewrite}'))
  if (isMap(mirrors)) {
    for (const item of mirrors.items) {
      const name = isScalar(item.key) ? String(item.key.value) : ''
      if (!isMap(item.value)) {
        findings.push(report(rules['wrong-type'], at(d, ['mirrors', name]), `mirrors.${name} must be a map with endpoint (and rewrite)`))
        continue
      }
      for (const sub of item.value.items) {
        const k = isScalar(sub.key) ? String(sub.key.value) : ''
        if (k !== 'endpoint' && k !== 'rewrite') findings.push(report(rules['unknown-key'], at(d, ['mirrors', name, k]), `unknown key "${k}" under mirrors.${name} is ignored`))
      }
      const ep = item.value.get('endpoint', true)
      if (ep !== undefined && !(isSeq(ep) && ep.items.every((e) => isScalar(e) && typeof e.value === 'string')))
        findings.push(report(rules['wrong-type'], at(d, ['mirrors', name, 'endpoint']), `mirrors.${name}.endpoint must be a list of URLs`))
      else if (isSeq(ep))
        ep.items.forEach((e, i) => {
          const v = String((e as {value: unknown}).value)
          if (!/^https?:\/\//.test(v)) findings.push(report(rules['endpoint-no-scheme'], at(d, ['mirrors', name, 'endpoint', i]), `endpoint "${v}" has no scheme`))
        })
      const rw = item.value.get('rewrite', true)
      if (rw !== undefined && !isMap(rw)) findings.push(report(rules['wrong-type'], at(d, ['mirrors', name, 'rewrite']), `mirrors.${name}.rewrite must be a map of pattern -> replacement`))
    }
  }
  const configs = d.doc.get('configs', true)
  if (configs !== undefined && !isMap(configs)) findings.push(report(rules['wrong-type'], at(d, ['configs']), 'configs must be a map of host -> {auth, tls}'))
  return findings
}

/**
 * Plans a mirror change on registries.yaml through yaml's Document API, which keeps comments.
 * Returns the new text (the old text when converged).
 */
export function planK3sRegistries(d: K3sRegistriesDoc | null, change: MirrorChange): {after: string; actions: string[]} {
  const source = change.source
  const doc = d ? d.doc.clone() : parseDocument('')
  const current = d ? readK3sRegistries(d).mirrors[source]?.endpoints ?? [] : []
  const urls = (change.mirrors ?? []).map(mirrorUrl)
  let next: string[]
  if (change.action === 'add') {
    const fresh = urls.filter((u) => !current.includes(u))
    next = change.position === 'first' ? [...fresh, ...current] : [...current, ...fresh]
  } else if (change.action === 'remove') {
    next = change.mirrors === null ? [] : current.filter((u) => !urls.some((w) => sameEndpoint(w, u)))
  }
  else next = urls
  if (next.length === current.length && next.every((u, i) => u === current[i])) return {after: d?.text ?? '', actions: []}
  // Edit the endpoint list in place so the entries kept keep their comments.
  const seq = doc.getIn(['mirrors', source, 'endpoint'], true)
  if (next.length && isSeq(seq)) {
    seq.items = seq.items.filter((n) => next.includes(String(isScalar(n) ? n.value : '')))
    const kept = seq.items.map((n) => String(isScalar(n) ? n.value : ''))
    const fresh = next.filter((u) => !kept.includes(u)).map((u) => doc.createNode(u))
    if (change.action === 'add' && change.position === 'last') seq.items.push(...fresh)
    else seq.items.unshift(...fresh)
  } else if (next.length) doc.setIn(['mirrors', source, 'endpoint'], doc.createNode(next))
  else {
    doc.deleteIn(['mirrors', source, 'endpoint'])
    const left = doc.getIn(['mirrors', source], true)
    if (isMap(left) && left.items.length === 0) doc.deleteIn(['mirrors', source])
  }
  const actions = [
    ...next.filter((u) => !current.includes(u)).map((u) => `add endpoint ${u} for ${source}`),
    ...current.filter((u) => !next.includes(u)).map((u) => `remove endpoint ${u} for ${source}`),
    'restart k3s (or rke2-server / rke2-agent) to apply it: registries.yaml is read at start',
  ]
  return {after: doc.toString(), actions}
}

export const k3sRegistries: Format<K3sRegistriesDoc, Record<string, never>, K3sRegistries, MirrorChange> = {
  name: 'k3s-registries',
  parse: parseK3sRegistries,
  lint: (d) => lintK3sRegistries(d),
  read: readK3sRegistries,
  plan(d, change): TextEdit[] {
    const {after} = planK3sRegistries(d, change)
    return after === d.text ? [] : [{start: 0, end: d.text.length, text: after}]
  },
}
