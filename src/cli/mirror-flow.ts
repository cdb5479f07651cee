import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {unifiedDiff} from '../edit/text-edit.js'
import {evaluateConfigSet} from '../formats/registries-conf/config-set.js'
import {planMirrorChange, type FileChange} from '../formats/registries-conf/plan.js'
import {loadRegistriesConf} from '../engines/registries-conf-engine.js'
import type {RegistriesConfOptions} from '../engines/registries-conf-files.js'
import {writePlannedFiles} from '../hosts/apply-changes.js'
import {backupFile, backupFolder} from '../hosts/backup.js'
import type {Host} from '../hosts/host.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import {isDockerHubSource} from '../formats/daemon-json/index.js'
import {runDaemonJsonChange} from './docker-change.js'
import {containerdUnsupported, runContainerdChange, type ContainerdChangeOptions} from '../engines/containerd-change.js'
import {runK3sChange} from '../engines/k3s-change.js'
import type {EngineName, EngineSelection} from './engine-selection.js'

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

export interface FileResult {
  engine: 'podman' | 'docker' | 'containerd' | 'k3s'
  path: string
  actions: string[]
  diff: string
  backup: string | null
}

export interface MirrorRunResult {
  files: FileResult[]
  /** Engines left out and why (for example Docker for a registry other than Docker Hub). */
  skipped: {engine: EngineName; reason: string}[]
}

/**
 * Runs a mirror change for every selected engine. Docker only mirrors Docker Hub and cannot
 * redirect a prefix: when Docker was detected rather than asked for, such a change skips it
 * with a note; when asked for, the reason is an error.
 */
export async function runMirrorChange(host: Host, change: MirrorChange, options: MirrorFlowOptions): Promise<MirrorRunResult> {
  const files: FileResult[] = []
  const skipped: MirrorRunResult['skipped'] = []
  for (const engine of options.engines.engines) {
    if (engine === 'podman') {
      files.push(...(await runRegistriesConfChange(host, change, options)))
      continue
    }
    if (engine === 'k3s' || engine === 'containerd') {
      // hosts.toml and registries.yaml mirror whole registries; a detected engine that cannot take the change is skipped.
      const unsupported = containerdUnsupported(change)
      if (unsupported && !options.engines.explicit) {
        skipped.push({engine, reason: unsupported})
        continue
      }
    }
    if (engine === 'k3s') {
      files.push(...(await runK3sChange(host, change, {file: options.k3sRegistries, dryRun: options.dryRun, backup: options.backup, systemWideBackups: options.systemWideBackups})))
      continue
    }
    if (engine === 'containerd') {
      if (!options.containerd) throw new UserError('containerd was selected without its options', {hint: 'this is a mirrorctl bug'})
      files.push(...(await runContainerdChange(host, change, {...options.containerd, dryRun: options.dryRun, backup: options.backup, systemWideBackups: options.systemWideBackups})))
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
    files.push(
      ...(await runDaemonJsonChange(host, options.engines.daemonJson, change, {
        dryRun: options.dryRun,
        backup: options.backup,
        systemWideBackups: options.systemWideBackups,
        dockerVersion: options.dockerVersion,
      })),
    )
  }
  if (skipped.length === options.engines.engines.length)
    throw new UserError(`no selected engine can take this change: ${skipped.map((x) => `${x.engine}: ${x.reason}`).join('; ')}`, {
      hint: 'registries.conf can: run again with --engine podman to write it',
    })
  return {files, skipped}
}

/** Plans a change for the registries.conf engines and, unless dry-run, writes it. */
export async function runRegistriesConfChange(host: Host, change: MirrorChange, options: MirrorFlowOptions): Promise<FileResult[]> {
  const loaded = await loadRegistriesConf(host, options)
  const changes = planMirrorChange(loaded.set, change, {
    mainPath: loaded.locations.main,
    dropInDir: loaded.writableDropInDir,
    dropIn: options.dropIn,
    convert: options.convert,
    backup: options.backup,
  })
  verifyStillLoads(loaded.set.files, changes)
  const writes = changes.filter((c) => !c.deleteFile)
  const outcomes = options.dryRun ? [] : await writePlannedFiles(host, writes, {backup: options.backup, systemWideBackups: options.systemWideBackups})
  // A drop-in that held only mirrorctl's entry goes again (kept in the backups first).
  for (const c of options.dryRun ? [] : changes.filter((x) => x.deleteFile)) {
    const backup = options.backup ? await backupFile(host, c.path, backupFolder(host, options.systemWideBackups)) : null
    await host.remove(c.path)
    outcomes.push({path: c.path, backup})
  }
  return changes.map((c) => ({
    engine: 'podman',
    path: c.path,
    actions: c.actions,
    diff: unifiedDiff(c.path, c.before, c.after),
    backup: outcomes.find((o) => o.path === c.path)?.backup ?? null,
  }))
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

/** Human summary of a change run. */
export function renderFileResults(run: MirrorRunResult, dryRun: boolean): string {
  const results = run.files
  const lines: string[] = run.skipped.map((s) => `skipped ${s.engine}: ${s.reason}`)
  if (!results.length) return [...lines, 'nothing to change: the configuration already says this'].join('\n')
  for (const r of results) {
    if (dryRun) lines.push(r.diff.trimEnd())
    lines.push(`${dryRun ? 'would change' : 'changed'} ${r.path} (${r.engine})`)
    for (const a of r.actions) lines.push(`  - ${a}`)
    if (r.backup) lines.push(`  previous version saved as ${r.backup}`)
  }
  return lines.join('\n')
}
