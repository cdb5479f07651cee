/**
 * Seeded random sequences of add, remove and set over realistic starting files: every step
 * must load as the engines load it, 'set' must converge to exactly its list, and a second run
 * of any step must plan nothing.
 */
import {readFileSync} from 'node:fs'
import {describe, it, expect} from 'vitest'
import {evaluateConfigSet} from '../../../../src/formats/registries-conf/config-set.js'
import {add, applyPlan, files, hub, mirrorsOf, plan, remove, set} from './plan-helpers.js'
import type {MirrorChange} from '../../../../src/policy/mirror-policy.js'

const starts: [string, ReturnType<typeof files>][] = [
  ['fedora default', files(readFileSync('fixtures/registries-conf/fedora-default.conf', 'utf8'))],
  ['hand-written hub entry', files(hub)],
  ['inline array with comments', files(readFileSync('fixtures/registries-conf/inline-mirror-comments.conf', 'utf8'))],
  ['V1 main file', files('[registries.search]\nregistries = ["docker.io"]\n[registries.insecure]\nregistries = ["docker.io"]\n')],
  ['no file at all', files(null)],
  ['CRLF file', files(hub.replace(/\n/g, '\r\n'))],
]

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HOSTS = ['a.example.com', 'b.example.com', 'cache-a.example.com', 'cache-b.example.com', 'm.example.com:5000', 'n.example.com/hub']
const SOURCES = ['docker.io', 'quay.io']

function randomChange(next: () => number): MirrorChange {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
  const some = () => HOSTS.filter(() => next() < 0.35).sort(() => next() - 0.5)
  const source = pick(SOURCES)
  const kind = next()
  if (kind < 0.35) {
    const mirrors = some()
    return add(mirrors.length ? mirrors : [pick(HOSTS)], {source, insecure: next() < 0.3, position: next() < 0.5 ? 'first' : 'last'})
  }
  if (kind < 0.6) return remove(next() < 0.3 ? null : some(), source)
  return set(some().map((h) => (next() < 0.3 ? [h, {insecure: true, pull: next() < 0.5 ? 'digest-only' : undefined}] : h)), {source})
}

describe('random edit sequences', () => {
  it.each(starts)('%s', (_name, start) => {
    for (let seed = 1; seed <= 15; seed++) {
      const next = random(seed)
      let fs = start
      for (let step = 0; step < 12; step++) {
        const change = randomChange(next)
        const where = `seed ${seed} step ${step}: ${JSON.stringify({...change, mirrors: change.mirrors?.map((m) => [m.given, m.insecure, m.pullFromMirror])})}`
        fs = applyPlan(fs, plan(fs, change))
        expect(evaluateConfigSet(fs).firstError, where).toBeNull()
        expect(plan(fs, change), where).toEqual([])
        if (change.action === 'set')
          expect(mirrorsOf(fs, change.source), where).toEqual(change.mirrors.map((m) => [m.path ? `${m.host}/${m.path}` : m.host, m.insecure, m.pullFromMirror ?? '']))
      }
      // Comments that describe no mirror are never lost, whatever the edits.
      const kept = (text: string) => text.split(/\r?\n/).filter((l) => /^#/.test(l) && !l.includes('Managed by mirrorctl') && !/cache|primary/.test(l))
      const main = fs.find((f) => f.path === start[0]?.path)
      if (start[0] && main && !start[0].text.includes('[registries.')) expect(kept(main.text)).toEqual(kept(start[0].text))
    }
  })
})
