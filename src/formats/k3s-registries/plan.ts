import {isMap, isScalar, isSeq, parseDocument} from 'yaml'
import type {MirrorChange, MirrorTarget} from '../../policy/mirror-policy.js'
import {endpointIdentity, endpointIsMirror, namespacePath} from './endpoint.js'
import {readK3sRegistries, type K3sRegistriesDoc} from './parse.js'

/**
 * The endpoint mirrorctl writes for a mirror. k3s keeps any path other than "", "/" and "/v2"
 * as the API root (override_path), so a namespace is written below /v2, where containerd then
 * asks for <namespace>/<repository>, as podman does for the same MIRROR in registries.conf.
 */
export function k3sMirrorEndpoint(m: MirrorTarget): string {
  const scheme = m.scheme ?? (m.insecure ? 'http' : 'https')
  return `${scheme}://${m.host}${namespacePath(m.path)}`
}

/**
 * Plans a mirror change on registries.yaml through yaml's Document API, which keeps comments.
 * Endpoints are compared as k3s reads them (mirror.example.com is https://mirror.example.com/v2),
 * and an endpoint already listed keeps its spelling. Returns the new text (the old text when converged).
 */
export function planK3sRegistries(d: K3sRegistriesDoc | null, change: MirrorChange): {after: string; actions: string[]} {
  const source = change.source
  const doc = d ? d.doc.clone() : parseDocument('')
  const current = d ? readK3sRegistries(d).mirrors[source]?.endpoints ?? [] : []
  const targets = change.mirrors ?? []
  // The wanted endpoints, each in the spelling the file already has for it.
  const urls = targets.map((m) => current.find((c) => endpointIdentity(c) === endpointIdentity(k3sMirrorEndpoint(m))) ?? k3sMirrorEndpoint(m))
  let next: string[]
  if (change.action === 'add') {
    const fresh = urls.filter((u) => !current.includes(u))
    next = change.position === 'first' ? [...fresh, ...current] : [...current, ...fresh]
  } else if (change.action === 'remove') {
    next = change.mirrors === null ? [] : current.filter((c) => !targets.some((m) => endpointIsMirror(c, m.host, m.path)))
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

