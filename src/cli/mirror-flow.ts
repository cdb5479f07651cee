import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {unifiedDiff} from '../edit/text-edit.js'
import {evaluateConfigSet} from '../formats/registries-conf/config-set.js'
import {planMirrorChange, type FileChange} from '../formats/registries-conf/plan.js'
import {loadRegistriesConf} from '../engines/registries-conf-engine.js'
import type {RegistriesConfOptions} from '../engines/registries-conf-files.js'
import type {Host} from '../hosts/host.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import {isDockerHubSource} from '../formats/daemon-json/index.js'
import {planDaemonJsonChange} from './docker-change.js'
import {containerdUnsupported, planContainerdChange, type ContainerdChangeOptions} from '../engines/containerd-change.js'
import {planK3sChange} from '../engines/k3s-change.js'
import {detectContainerdVersion} from '../engines/containerd-hosts-dir.js'
import {withCaFiles} from '../engines/ca-files.js'
import type {EngineSelection} from './engine-selection.js'
import type {FileResult, MirrorRunResult, PlannedFile} from './file-result.js'
import {planAndWrite} from './plan-and-write.js'
import {checkDropInName} from './write-flags.js'

export {renderFileResults, type FileResult, type MirrorRunResult} from './file-result.js'

export interface MirrorFlowOptions extends RegistriesConfOptions {
  engines: EngineSelection
  dockerVersion: string | null
  dryRun: boolean
  backup: boolean
  dropIn?: string | undefined
  convert?: boolean | undefined
  /** Whether backups go to the system folder (root user or a --root tree). */
  systemWideBackups: boolean
  /** Where and which containerd, when containerd is selected. */
  containerd?: Pick<ContainerdChangeOptions, 'hostsDir' | 'configToml' | 'version'> | undefined
  /** k3s/RKE2 registries.yaml to edit (default: found under /etc/rancher). */
  k3sRegistries?: string | undefined
}

export interface MirrorPlan {
  /** Whole-file writes, each with the text it was planned from. */
  writes: PlannedFile[]
  /** What to report per file (backup not yet known). */
  files: FileResult[]
  skipped: MirrorRunResult['skipped']
  /** Warnings met while reading (a FIFO in a drop-in folder). */
  notes: string[]
}

/**
 * Plans a mirror change for every selected engine, reading through `host` only, so a
 * read-only snapshot host can plan too. Docker only mirrors Docker Hub and cannot redirect
 * a prefix: when Docker was detected rather than asked for, such a change skips it with a
 * note; when asked for, the reason is an error.
 */
export async function planMirrorRun(host: Host, change: MirrorChange, options: Omit<MirrorFlowOptions, 'dryRun' | 'backup' | 'systemWideBackups'> & {backup?: boolean}): Promise<MirrorPlan> {
  if (options.dropIn !== undefined) checkDropInName(options.dropIn)
  const writes: PlannedFile[] = []
  const skipped: MirrorPlan['skipped'] = []
  const notes: string[] = []
  for (const engine of options.engines.engines) {
    if (engine === 'podman') {
      const planned = await planRegistriesConfChange(host, change, options)
      writes.push(...planned.writes)
      notes.push(...planned.notes)
      continue
    }
    if (engine === 'k3s' || engine === 'containerd') {
      // hosts.toml and registries.yaml mirror whole registries; a detected engine that cannot take the change is skipped.
      const unsupported = containerdUnsupported(change)
      if (unsupported && !options.engines.explicit) {
        skipped.push({engine, reason: unsupported})
        continue
      }
      // Callers that detected containerd without naming its folders get its defaults and its own version.
      const containerd = options.containerd ?? {version: await detectContainerdVersion(host, {treeRoot: false})}
      const planned = engine === 'k3s' ? await planK3sChange(host, change, {file: options.k3sRegistries}) : await planContainerdChange(host, change, containerd)
      writes.push(...planned.map((w) => ({...w, engine})))
      continue
    }
    const unsupported = !isDockerHubSource(change.source)
      ? `registry-mirrors serve Docker Hub only, not ${change.source}`
      : change.action === 'add' && change.location !== null
        ? 'daemon.json cannot redirect Docker Hub (--location)'
        : change.action === 'add' && change.mirrors.some((m) => m.pullFromMirror && m.pullFromMirror !== 'all')
          ? 'daemon.json has no per-mirror pull-from-mirror'
          : null
    if (unsupported && !options.engines.explicit) {
      skipped.push({engine, reason: unsupported})
      continue
    }
    const planned = await planDaemonJsonChange(host, options.engines.daemonJson, change, {dockerVersion: options.dockerVersion})
    if (planned) writes.push(planned)
  }
  if (skipped.length === options.engines.engines.length)
    throw new UserError(`no selected engine can take this change: ${skipped.map((x) => `${x.engine}: ${x.reason}`).join('; ')}`, {
      hint: 'registries.conf can: run again with --engine podman to write it',
    })
  // Private CAs of the mirrors, where each engine that took the change looks for them.
  const ca = await withCaFiles(host, change, writes, {engines: options.engines.engines.filter((e) => !skipped.some((x) => x.engine === e)), containerd: options.containerd, k3sRegistries: options.k3sRegistries})
  notes.push(...ca.notes)
  const files = ca.writes.map((w) => ({engine: w.engine, path: w.path, actions: w.actions, diff: unifiedDiff(w.path, w.before, w.after), backup: null}))
  return {writes: ca.writes, files, skipped, notes}
}

/** Plans, then (unless dry-run) writes all files as one request, planning again when a file changed meanwhile. */
export async function runMirrorChange(host: Host, change: MirrorChange, options: MirrorFlowOptions): Promise<MirrorRunResult & {notes: string[]}> {
  const {plan, outcomes} = await planAndWrite(host, () => planMirrorRun(host, change, options), options)
  return {
    files: plan.files.map((f) => ({...f, backup: outcomes.find((o) => o.path === f.path)?.backup ?? null})),
    skipped: plan.skipped,
    notes: plan.notes,
  }
}

/** The registries.conf part of a plan: the file that holds the entry, or a new drop-in. */
async function planRegistriesConfChange(
  host: Host,
  change: MirrorChange,
  options: RegistriesConfOptions & {dropIn?: string | undefined; convert?: boolean | undefined; backup?: boolean | undefined},
): Promise<{writes: PlannedFile[]; notes: string[]}> {
  const loaded = await loadRegistriesConf(host, options)
  const changes = planMirrorChange(loaded.set, change, {
    mainPath: loaded.locations.main,
    dropInDir: loaded.writableDropInDir,
    dropIn: options.dropIn,
    convert: options.convert,
    backup: options.backup,
  })
  verifyStillLoads(loaded.set.files, changes)
  return {writes: changes.map((c) => ({engine: 'podman', path: c.path, before: c.before, after: c.deleteFile ? null : c.after, actions: c.actions})), notes: loaded.notes}
}

/** A guard before writing: the new set must load as cleanly as the engines require. */
function verifyStillLoads(files: readonly {path: string; text: string; dropIn: boolean}[], changes: readonly FileChange[]): void {
  if (!changes.length) return
  const next = files.map((f) => ({...f, text: changes.find((c) => c.path === f.path)?.after ?? f.text}))
  for (const c of changes) if (!files.some((f) => f.path === c.path)) next.push({path: c.path, text: c.after, dropIn: c.path.includes('/registries.conf.d/')})
  const after = evaluateConfigSet(next)
  if (after.firstError) {
    const e = after.firstError
    throw new UserError(`the planned change would not load (${e.file}:${e.line}:${e.column}: ${e.message}); nothing was written`, {
      exitCode: ExitCode.Findings,
      rule: e.rule,
      hint: 'this is a mirrorctl bug: please report it with the file',
    })
  }
}
