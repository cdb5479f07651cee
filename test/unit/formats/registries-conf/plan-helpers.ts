import {evaluateConfigSet, type SourceFile} from '../../../../src/formats/registries-conf/config-set.js'
import {planMirrorChange, type FileChange, type PlanOptions} from '../../../../src/formats/registries-conf/plan.js'
import {parseMirrorArgument, type MirrorChange, type PullFromMirror} from '../../../../src/policy/mirror-policy.js'

export const MAIN = '/etc/containers/registries.conf'
export const DIR = '/etc/containers/registries.conf.d'

/** A hand-written Docker Hub entry with comments everywhere an edit could lose them. */
export const hub = `# Docker Hub through our caches
[[registry]]
prefix = "docker.io"   # all of Docker Hub
location = "docker.io"

# primary cache
[[registry.mirror]]
location = "cache-a.example.com"  # rack A

[[registry.mirror]]
location = "cache-b.example.com"

# trailing comment stays
`

/** A file set: the main file (null = absent) and drop-ins by name. */
export function files(main: string | null, dropIns: Record<string, string> = {}): SourceFile[] {
  const out: SourceFile[] = main === null ? [] : [{path: MAIN, text: main, dropIn: false}]
  for (const [name, text] of Object.entries(dropIns).sort()) out.push({path: `${DIR}/${name}`, text, dropIn: true})
  return out
}

export const add = (mirrors: string[], opts: {insecure?: boolean; position?: 'first' | 'last'; location?: string; source?: string} = {}): MirrorChange => ({
  action: 'add',
  source: opts.source ?? 'docker.io',
  mirrors: mirrors.map((m) => parseMirrorArgument(m, {insecure: opts.insecure})),
  location: opts.location ?? null,
  position: opts.position ?? 'first',
})

export const remove = (mirrors: string[] | null, source = 'docker.io'): MirrorChange => ({
  action: 'remove',
  source,
  mirrors: mirrors && mirrors.map((m) => parseMirrorArgument(m)),
})

/** 'set' with per-mirror settings: "host" or ["host", {insecure, pull}]. */
export const set = (
  mirrors: (string | [string, {insecure?: boolean; pull?: PullFromMirror}])[],
  opts: {source?: string; location?: string | null} = {},
): MirrorChange => ({
  action: 'set',
  source: opts.source ?? 'docker.io',
  mirrors: mirrors.map((m) => (typeof m === 'string' ? parseMirrorArgument(m) : parseMirrorArgument(m[0], {insecure: m[1].insecure, pullFromMirror: m[1].pull ?? null}))),
  ...('location' in opts ? {location: opts.location} : {}),
})

export function plan(fs: SourceFile[], change: MirrorChange, extra: Partial<PlanOptions> = {}): FileChange[] {
  return planMirrorChange(evaluateConfigSet(fs), change, {mainPath: MAIN, dropInDir: DIR, ...extra})
}

/** Applies a plan to the file list, as the writer would (a deleted file leaves the list). */
export function applyPlan(fs: SourceFile[], changes: FileChange[]): SourceFile[] {
  const next = fs.map((f) => ({...f, text: changes.find((c) => c.path === f.path)?.after ?? f.text}))
  for (const c of changes) if (!fs.some((f) => f.path === c.path)) next.push({path: c.path, text: c.after, dropIn: c.path.startsWith(DIR)})
  return next.filter((f) => !changes.some((c) => c.path === f.path && c.deleteFile))
}

/** The merged mirrors of a prefix after applying, as [location, insecure, pull-from-mirror]. */
export function mirrorsOf(fs: SourceFile[], prefix = 'docker.io'): [string, boolean, string][] {
  const merged = evaluateConfigSet(fs).merged!
  return (merged.registries.find((r) => r.prefix === prefix)?.mirrors ?? []).map((m) => [m.location, m.insecure, m.pullFromMirror])
}
