import {isMap, isScalar, isSeq} from 'yaml'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import type {K3sRegistriesDoc} from './parse.js'
import {rules} from './rules.js'

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

