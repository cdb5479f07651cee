import {isMap, isScalar} from 'yaml'
import type {FindingAt} from '../../lint/rule.js'
import type {K3sRegistriesDoc} from './parse.js'

/** Position of a key path: the map key when the path ends in one, else the node itself. */
export function at(d: K3sRegistriesDoc, path: readonly (string | number)[]): FindingAt {
  const parent = path.length ? d.doc.getIn(path.slice(0, -1), true) : undefined
  const last = path[path.length - 1]
  const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last)) : undefined
  const node = (pair && isScalar(pair.key) ? pair.key : d.doc.getIn(path, true)) as {range?: [number, number, number]} | undefined
  const p = d.lines.linePos(node?.range?.[0] ?? 0)
  return {file: d.path, line: p.line, column: p.col}
}
