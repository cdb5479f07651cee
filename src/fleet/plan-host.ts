import {UserError} from '../core/errors.js'
import {unifiedDiff} from '../edit/text-edit.js'
import {selectEngines, type EngineName} from '../cli/engine-selection.js'
import {fixNoProxy} from '../cli/fix-no-proxy.js'
import {collectLintTargets, lintTargets} from '../cli/lint-targets.js'
import {planMirrorRun, type FileResult} from '../cli/mirror-flow.js'
import {detectContainerdVersion} from '../engines/containerd-hosts-dir.js'
import {detectDockerVersion, loadDaemonJson, locateDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {parseDaemonJson} from '../formats/daemon-json/parse.js'
import {dockerVersionMatters} from '../formats/daemon-json/version-matters.js'
import type {Host} from '../hosts/host.js'
import type {FileWrite} from '../hosts/write-plan.js'
import {changesForHost} from '../policy/spec-changes.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import type {Spec} from '../policy/spec.js'
import {OverlayHost} from './overlay-host.js'
import type {HostFile} from './report.js'

/** One host's plan: the whole-file writes (each with the text it was planned from) and what they do. */
export interface HostPlan {
  writes: FileWrite[]
  files: HostFile[]
  warnings: string[]
  /** The engines the spec configures on this host (also when their files already match): what --verify and --canary check. */
  engines?: HostFile['engine'][]
}

export interface PlanHostOptions {
  /** Files live under a --root tree (backups and daemon.json location follow the tree). */
  treeRoot: boolean
}

/** One change for some engines; explicit engines make an impossible change an error, not a skip. */
export interface EngineRun {
  change: MirrorChange
  engines: EngineName[]
  explicit: boolean
}

/** What to do on a host, decided once its engines are known: a spec, or one imperative change. */
export interface HostIntent {
  needsDockerVersion(found: readonly EngineName[]): boolean
  /** The intent's own changes differ by Docker Engine version (not only the files'): ask it first. */
  dependsOnDockerVersion?(found: readonly EngineName[]): boolean
  runs(found: readonly EngineName[], dockerVersion: string | null): {runs: EngineRun[]; warnings: string[]}
  fixNoProxy: boolean
  /** How the user turns fix-no-proxy on, for the warning when it is off. */
  fixNoProxyHint: string
}

export function specIntent(spec: Spec): HostIntent {
  return {
    needsDockerVersion: (found) => found.includes('docker') || spec.entries.some((e) => e.engines?.includes('docker')),
    // changesForHost leaves a docker.io mirror with a path out for Docker before 25.0.
    dependsOnDockerVersion: (found) => spec.entries.some((e) => e.source === 'docker.io' && (e.engines ?? found).includes('docker') && e.mirrors.some((m) => m.path)),
    runs(found, dockerVersion) {
      const changes = changesForHost(spec, found, dockerVersion)
      const warnings = [...changes.warnings]
      if (!found.length && spec.entries.some((e) => !e.engines)) warnings.push('no container engine found: entries without engines = [...] change nothing here')
      const runs: EngineRun[] = [
        ...changes.podman.map((change) => ({change, engines: ['podman' as const], explicit: true})),
        ...changes.docker.map((change) => ({change, engines: ['docker' as const], explicit: true})),
        ...changes.containerd.map((change) => ({change, engines: ['containerd' as const], explicit: true})),
        ...changes.k3s.map((change) => ({change, engines: ['k3s' as const], explicit: true})),
      ]
      return {runs, warnings}
    },
    fixNoProxy: spec.fixNoProxy,
    fixNoProxyHint: 'set fix-no-proxy = true in the spec',
  }
}

/**
 * Plans an intent on one host through reads only: every change is planned with the
 * existing engine code over one OverlayHost, so changes compose and nothing is written.
 * The same function runs over LocalHost, a --root tree and an SSH snapshot, which is why
 * all three produce the same files.
 *
 * dockerd's version is asked only when it can change the plan (`dockerd --version` starts a
 * Go binary on the host, and over SSH a version not gathered costs one more round trip): when
 * daemon.json as found, or any text planned for it, holds something whose check depends on the
 * version (dockerVersionMatters), or the intent itself does. Otherwise the plan made for an
 * unknown version is the plan every version would get.
 */
export async function planHost(base: Host, intent: HostIntent, options: PlanHostOptions): Promise<HostPlan> {
  const daemonJson = await locateDaemonJson(base, {treeRoot: options.treeRoot})
  const found = await foundEngines(base, options.treeRoot)
  const plan = (dockerVersion: string | null) => planWithVersion(base, intent, {daemonJson, found, dockerVersion, treeRoot: options.treeRoot})
  // A --root tree's dockerd is not asked (detectDockerVersion): the version stays unknown.
  if (!intent.needsDockerVersion(found) || options.treeRoot) return (await plan(null)).plan
  const version = () => detectDockerVersion(base, {treeRoot: false})
  if (intent.dependsOnDockerVersion?.(found) || (await foundDaemonJsonMatters(base, daemonJson))) return (await plan(await version())).plan

  let first: Awaited<ReturnType<typeof plan>>
  try {
    first = await plan(null)
  } catch (error) {
    // A refusal may hold only for the newest Engine: decide with the installed one, as before.
    const v = await version()
    if (v === null) throw error
    return (await plan(v)).plan
  }
  if (!first.daemonJsonTexts.some((text) => dockerVersionMatters(parseDaemonJson(text, daemonJson.path)))) return first.plan
  const v = await version()
  return v === null ? first.plan : (await plan(v)).plan
}

/** The file as found; one that cannot be read is left to the plan to report, with the version known as before. */
async function foundDaemonJsonMatters(host: Host, location: DaemonJsonLocation): Promise<boolean> {
  try {
    const loaded = await loadDaemonJson(host, location)
    return loaded.text !== null && dockerVersionMatters(loaded.doc)
  } catch {
    return true
  }
}

/** planHost for one Docker Engine version (null: unknown); also every text it planned for daemon.json. */
async function planWithVersion(
  base: Host,
  intent: HostIntent,
  at: {daemonJson: DaemonJsonLocation; found: EngineName[]; dockerVersion: string | null; treeRoot: boolean},
): Promise<{plan: HostPlan; daemonJsonTexts: string[]}> {
  const {daemonJson, found, dockerVersion} = at
  const overlay = new OverlayHost(base)
  const {runs, warnings} = intent.runs(found, dockerVersion)
  // hosts.toml keys differ between containerd releases: plan for the one installed (or the newest).
  const containerd = runs.some((r) => r.engines.includes('containerd')) ? {version: await detectContainerdVersion(base, {treeRoot: at.treeRoot})} : undefined
  warnings.push(...(await lintWarnings(base, daemonJson, dockerVersion)))

  const results: FileResult[] = []
  const daemonJsonTexts: string[] = []
  const used = new Set<EngineName>()
  for (const run of runs) {
    const r = await planMirrorRun(overlay, run.change, {engines: {engines: run.engines, explicit: run.explicit, daemonJson}, dockerVersion, containerd})
    // Later changes see this one's text (the whole-file writes land in the overlay, mode as a local edit).
    for (const w of r.writes) {
      overlay.put(w.path, w.after)
      if (w.path === daemonJson.path && w.after !== null) daemonJsonTexts.push(w.after)
    }
    results.push(...r.files)
    warnings.push(...r.notes)
    for (const sk of r.skipped) warnings.push(`skipped ${sk.engine}: ${sk.reason}`)
    for (const e of run.engines) if (!r.skipped.some((sk) => sk.engine === e)) used.add(e)
  }

  const mirrors = runs.flatMap((r) => (r.change.action === 'remove' ? [] : r.change.mirrors))
  if (used.size && mirrors.length) {
    // Without fix-no-proxy the proxy fix is only planned on a throw-away overlay, to warn.
    const proxyHost = intent.fixNoProxy ? overlay : new OverlayHost(overlay)
    const proxy = await fixNoProxy(proxyHost, [...used], mirrors, {dryRun: false, backup: false, systemWideBackups: true, daemonJsonPath: daemonJson.path})
    if (intent.fixNoProxy) results.push(...proxy.files)
    else for (const f of proxy.files) warnings.push(`${f.engine} would reach a mirror through its proxy; ${intent.fixNoProxyHint} to ${f.actions[0]} in ${f.path}`)
    warnings.push(...proxy.manual)
  }
  const plan = {...(await collect(base, overlay, results, warnings)), engines: [...used]}
  for (const w of plan.writes) if (w.path === daemonJson.path && w.content !== null) daemonJsonTexts.push(w.content)
  return {plan, daemonJsonTexts}
}

export async function foundEngines(host: Host, treeRoot: boolean): Promise<EngineName[]> {
  try {
    return (await selectEngines(host, treeRoot ? {root: '/'} : {})).engines
  } catch (error) {
    if (error instanceof UserError && /no container engine detected/.test(error.message)) return []
    throw error
  }
}

/** What lint says about the files as found (errors stop the plan later, in the engine code). */
async function lintWarnings(host: Host, daemonJson: DaemonJsonLocation, dockerVersion: string | null): Promise<string[]> {
  const notes: string[] = []
  let targets
  try {
    targets = await collectLintTargets(host, [], {daemonJson, stdin: async () => '', note: (text) => notes.push(text)})
  } catch (error) {
    // A host without any of the files is fine for a plan: they are created.
    if (error instanceof UserError && error.message.startsWith('no configuration to lint')) return []
    throw error
  }
  const {findings} = lintTargets(targets, dockerVersion ? {dockerVersion} : {})
  return [...notes, ...findings.filter((f) => f.severity !== 'info').map((f) => `lint ${f.severity}: ${f.file}:${f.line}:${f.column}: ${f.message} [${f.rule}]`)]
}

/** Turns the overlay into whole-file writes against the texts read from the base host. */
async function collect(base: Host, overlay: OverlayHost, results: readonly FileResult[], warnings: string[]): Promise<HostPlan> {
  const writes: FileWrite[] = []
  const files: HostFile[] = []
  for (const [path, entry] of overlay.entries()) {
    const before = await base.readFile(path)
    if (entry.text === before) continue
    writes.push({path, expect: before, content: entry.text, mode: entry.mode})
    const about = results.filter((r) => r.path === path)
    files.push({
      engine: about[0]?.engine ?? (path.endsWith('.json') ? 'docker' : 'podman'),
      path,
      actions: about.flatMap((r) => r.actions),
      diff: unifiedDiff(path, before, entry.text),
      backup: null,
    })
  }
  return {writes, files, warnings}
}
