import type {MirrorAt} from '../../lint/mirror-route.js'
import type {ConfigSet} from './config-set.js'
import {positionOf} from './load.js'

/**
 * The mirrors the merged configuration uses, each as the URL an engine contacts first (HTTPS,
 * also for insecure mirrors, which fall back to HTTP only after it) and where it is written.
 */
export function mirrorsInEffect(set: ConfigSet): MirrorAt[] {
  if (!set.merged) return []
  const docs = new Map(set.files.map((f) => [f.path, f.doc]))
  const out: MirrorAt[] = []
  for (const r of set.merged.registries) {
    for (const m of r.mirrors) {
      const host = m.location.split('/')[0]!
      const doc = docs.get(r.file)
      if (!host || !doc) continue
      out.push({url: `https://${host}/v2/`, at: positionOf(doc, [...m.path, 'location'], 'value')})
    }
  }
  return out
}
