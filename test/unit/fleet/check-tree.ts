import {cpSync, mkdtempSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {loadRegistriesConf} from '../../../src/engines/registries-conf-engine.js'
import {resolveImage} from '../../../src/formats/registries-conf/resolve.js'
import type {Host} from '../../../src/hosts/host.js'
import {LocalHost} from '../../../src/hosts/local-host.js'

export const STARTS = path.resolve(import.meta.dirname, '../../../fixtures/fleet/starts')
export const START_NAMES = ['empty', 'fedora', 'stale-v2', 'v1', 'docker', 'mixed'] as const

/** A fresh copy of a starting tree. */
export function copyStart(name: string, into?: string): string {
  const dir = into ?? mkdtempSync(path.join(tmpdir(), `mirrorctl-fleet-${name}-`))
  cpSync(path.join(STARTS, name), dir, {recursive: true})
  return dir
}

/** Every file under a folder with its text, for byte-for-byte comparisons. */
export function snapshotTree(dir: string, skip: (rel: string) => boolean = (rel) => rel.startsWith('var/lib/mirrorctl/') || rel.startsWith('run/')): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e)
      const rel = path.relative(dir, p)
      if (skip(rel)) continue
      if (statSync(p).isDirectory()) walk(p)
      else out[rel] = readFileSync(p, 'utf8')
    }
  }
  walk(dir)
  return out
}

/**
 * What the engines would do with a host's files, read with mirrorctl's own resolver (the
 * model of containers/image) and daemon.json parser: the pull sources of a docker.io image
 * and Docker's registry-mirrors.
 */
export async function effectiveMirrors(host: Host): Promise<{podman: {reference: string; insecure: boolean}[]; docker: unknown; rejected: string | null}> {
  const loaded = await loadRegistriesConf(host)
  const merged = loaded.set.merged
  let podman: {reference: string; insecure: boolean}[] = []
  if (merged) {
    const r = resolveImage(merged, 'docker.io/library/alpine:latest')
    if ('sources' in r) podman = r.sources.map((s) => ({reference: s.reference, insecure: s.insecure}))
  }
  const text = await host.readFile('/etc/docker/daemon.json')
  // dockerd reads daemon.json as plain JSON; the fixtures have no comments.
  const docker = text === null ? null : ((JSON.parse(text) as Record<string, unknown>)['registry-mirrors'] ?? null)
  return {podman, docker, rejected: loaded.set.firstError?.message ?? null}
}

export function treeHost(root: string): LocalHost {
  return new LocalHost(root, {PATH: process.env.PATH, HOME: '/root'})
}
