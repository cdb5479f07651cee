import {isMap, isScalar, isSeq, parseDocument} from 'yaml'
import {mirrorUrl, type MirrorChange} from '../../policy/mirror-policy.js'
import {readK3sRegistries, sameEndpoint, type K3sRegistriesDoc} from './parse.js'

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
    // 'set' means this order too: kept entries move (with their comments) to their place.
    if (change.action === 'set') seq.items.sort((a, b) => next.indexOf(String(isScalar(a) ? a.value : '')) - next.indexOf(String(isScalar(b) ? b.value : '')))
  } else if (next.length) doc.setIn(['mirrors', source, 'endpoint'], doc.createNode(next))
  else {
    doc.deleteIn(['mirrors', source, 'endpoint'])
    const left = doc.getIn(['mirrors', source], true)
    if (isMap(left) && left.items.length === 0) doc.deleteIn(['mirrors', source])
  }
  const reordered = change.action === 'set' && next.every((u) => current.includes(u)) && current.every((u) => next.includes(u))
  const actions = [
    ...(reordered ? [`reorder the endpoints of ${source}: ${next.join(', ')}`] : []),
    ...next.filter((u) => !current.includes(u)).map((u) => `add endpoint ${u} for ${source}`),
    ...current.filter((u) => !next.includes(u)).map((u) => `remove endpoint ${u} for ${source}`),
    'restart k3s (or rke2-server / rke2-agent) to apply it: registries.yaml is read at start',
  ]
  return {after: doc.toString(), actions}
}

