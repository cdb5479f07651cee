import {parseMirrorArgument, parseLocationArgument, type MirrorTarget} from '../../policy/mirror-policy.js'
import type {SpecEngine} from '../../policy/spec.js'
import type {EntryAnswer, MirrorKind} from './answers.js'
import type {Prompter} from './prompter.js'
import {validateCache, validateLocation, validateMirror, validateProject} from './validate.js'

export const PUBLIC_HUB_MIRRORS = ['mirror.gcr.io'] as const

/** What the user typed for one source before the reachability check. */
interface Draft {
  kind: MirrorKind
  mirror: string | null
  location: string | null
  insecure: boolean
}

/** Checks a draft along the engines' routes; returns true to keep it (reachable, or kept anyway). */
export type ReachCheck = (source: string, target: MirrorTarget, engines: readonly SpecEngine[]) => Promise<boolean>

export interface MirrorStepContext {
  /** The engines chosen for this setup. */
  engines: readonly SpecEngine[]
  say: (text: string) => void
  check: ReachCheck
}

async function askKind(p: Prompter, source: string): Promise<MirrorKind> {
  return p.select<MirrorKind>(`What should serve ${source} pulls?`, [
    {name: 'An existing mirror or registry (host[:port][/namespace] or URL)', value: 'mirror'},
    ...(source === 'docker.io' ? [{name: 'A public Docker Hub mirror (mirror.gcr.io)', value: 'public' as const}] : []),
    {name: 'A Distribution pull-through cache (registry:2 with proxy.remoteurl)', value: 'cache'},
    {name: 'A Harbor proxy-cache project', value: 'harbor'},
    {name: 'A copy of the images under another registry or namespace (location)', value: 'copy'},
  ])
}

async function askTls(p: Prompter, given: string): Promise<boolean> {
  if (/^http:\/\//i.test(given)) return true
  if (/^https:\/\//i.test(given)) return false
  const tls = await p.select<'tls' | 'insecure'>(`How does ${given} serve?`, [
    {name: 'HTTPS with a certificate the hosts trust', value: 'tls'},
    {name: 'Plain HTTP, or HTTPS with a self-signed certificate (insecure)', value: 'insecure'},
  ])
  return tls === 'insecure'
}

async function askDraft(p: Prompter, source: string, kind: MirrorKind): Promise<Draft> {
  switch (kind) {
    case 'public':
      return {kind, mirror: await p.select('Which public mirror?', PUBLIC_HUB_MIRRORS.map((m) => ({name: m, value: m}))), location: null, insecure: false}
    case 'mirror': {
      const m = (await p.input(`Mirror for ${source}:`, {validate: validateMirror(source)})).trim()
      return {kind, mirror: m, location: null, insecure: await askTls(p, m)}
    }
    case 'cache': {
      const m = (await p.input(`Pull-through cache address for ${source} (host[:port]):`, {validate: validateCache(source)})).trim()
      return {kind, mirror: m, location: null, insecure: await askTls(p, m)}
    }
    case 'harbor': {
      const host = (await p.input('Harbor address (host[:port] or URL):', {validate: validateCache(source)})).trim()
      const project = (await p.input(`Harbor proxy-cache project for ${source}:`, {validate: validateProject(host, source)})).trim()
      const m = `${host.replace(/\/+$/, '')}/${project}`
      return {kind, mirror: m, location: null, insecure: await askTls(p, host)}
    }
    case 'copy': {
      const loc = (await p.input(`Registry or namespace that holds the copies of ${source} (for example quay.io/myorg):`, {validate: validateLocation(source)})).trim()
      return {kind, mirror: null, location: loc, insecure: await askTls(p, loc)}
    }
  }
}

/**
 * Steps 4-6 for one source: the kind of mirror, its address, TLS, and a live check; an
 * unreachable answer can be entered again or kept. Docker takes neither a Harbor project
 * path nor a redirect, so those entries are limited to the registries.conf engines.
 */
export async function askEntry(p: Prompter, source: string, ctx: MirrorStepContext): Promise<EntryAnswer> {
  for (;;) {
    const kind = await askKind(p, source)
    let engines: SpecEngine[] | null = null
    // hosts.toml and registries.yaml mirror whole registries, without redirects.
    const registryOnly: SpecEngine[] = ctx.engines.filter((e) => e === 'containerd' || e === 'k3s')
    if (kind === 'copy' && registryOnly.length) {
      engines = ctx.engines.filter((e) => !registryOnly.includes(e) && e !== 'docker')
      if (!engines.length) {
        ctx.say(`  ${registryOnly.join(' and ')} cannot redirect ${source} to another registry. Choose a mirror or cache instead.`)
        continue
      }
      ctx.say(`  Note: ${[...registryOnly, ...(ctx.engines.includes('docker') ? ['Docker'] : [])].join(', ')} cannot redirect ${source}; this entry is for ${engines.join(', ')} only.`)
    } else if ((kind === 'harbor' || kind === 'copy') && ctx.engines.includes('docker')) {
      engines = ctx.engines.filter((e) => e !== 'docker')
      const why = kind === 'harbor' ? 'Docker sends /v2/library/... to a mirror host and cannot use a Harbor project path' : "daemon.json cannot redirect a registry to another one"
      if (!engines.length) {
        ctx.say(`  Docker is the only engine chosen and ${why}. Choose another kind of mirror for Docker, for example a Distribution pull-through cache.`)
        continue
      }
      ctx.say(`  Note: ${why}; Docker will keep pulling ${source} as before. This entry is for ${engines.join(', ')} only.`)
    } else if (ctx.engines.includes('docker') && source !== 'docker.io') {
      const only = ctx.engines.length === 1 ? ' (with Docker alone, this entry changes nothing)' : ''
      ctx.say(`  Note: Docker's registry-mirrors serve docker.io only; Docker will keep pulling ${source} directly${only}.`)
    }
    for (;;) {
      const draft = await askDraft(p, source, kind)
      const target = draft.mirror !== null ? parseMirrorArgument(draft.mirror, {source, insecure: draft.insecure}) : parseMirrorArgument(parseLocationArgument(draft.location!, source), {insecure: draft.insecure})
      if (await ctx.check(source, target, engines ?? ctx.engines)) return {source, kind, mirrors: draft.mirror !== null ? [draft.mirror] : [], insecure: draft.insecure, engines, location: draft.location}
    }
  }
}
