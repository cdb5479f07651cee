import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {applyEdits, unifiedDiff} from '../edit/text-edit.js'
import {lintDaemonJson, parseDaemonJson, planDaemonJson} from '../formats/daemon-json/index.js'
import {loadDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {dockerdCommandLine} from '../engines/engine-proxy.js'
import {writePlannedFiles} from '../hosts/apply-changes.js'
import type {Host} from '../hosts/host.js'
import {configRejected} from '../lint/config-rejected.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import type {FileResult} from './mirror-flow.js'

/**
 * Plans and (unless dry-run) writes a registry-mirrors change to daemon.json. A file dockerd
 * would refuse is reported and left alone; the new text must lint clean for the same Engine
 * version before it is written, because a bad daemon.json stops dockerd on the next restart.
 */
export async function runDaemonJsonChange(
  host: Host,
  location: DaemonJsonLocation,
  change: MirrorChange,
  options: {dryRun: boolean; backup: boolean; systemWideBackups: boolean; dockerVersion: string | null},
): Promise<FileResult[]> {
  const loaded = await loadDaemonJson(host, location)
  // Checked against dockerd's flags too: a key that is also a flag stops dockerd at start.
  const command = await dockerdCommandLine(host, {daemonJsonPath: location.path})
  const ctx = {
    ...(options.dockerVersion ? {dockerVersion: options.dockerVersion} : {}),
    ...(command ? {dockerdArgs: command.argv.slice(1), unitPath: command.unitPath} : {}),
  }
  const existing = lintDaemonJson(loaded.doc, ctx).find((f) => f.severity === 'error')
  if (existing) throw configRejected(existing)
  const edits = planDaemonJson(loaded.doc, change)
  const before = loaded.text ?? ''
  const after = applyEdits(before, edits)
  if (after === before) return []
  const problem = lintDaemonJson(parseDaemonJson(after, location.path), ctx).find((f) => f.severity === 'error')
  if (problem) {
    throw new UserError(`after this change dockerd would refuse ${location.path}: ${problem.message}; nothing was written`, {
      exitCode: ExitCode.Findings,
      rule: problem.rule,
      hint: problem.hint,
    })
  }
  const outcomes = options.dryRun
    ? []
    : await writePlannedFiles(host, [{path: location.path, before: loaded.text, after}], {backup: options.backup, systemWideBackups: options.systemWideBackups})
  return [
    {
      engine: 'docker',
      path: location.path,
      actions: [describe(change), 'registry-mirrors is reloadable: systemctl reload docker (SIGHUP) applies it without a restart'],
      diff: unifiedDiff(location.path, loaded.text, after),
      backup: outcomes[0]?.backup ?? null,
    },
  ]
}

function describe(change: MirrorChange): string {
  if (change.action === 'add') return `add ${change.mirrors.map((m) => m.given).join(', ')} to registry-mirrors`
  if (change.action === 'set') return change.mirrors.length ? `set registry-mirrors to ${change.mirrors.map((m) => m.given).join(', ')}` : 'clear registry-mirrors (written as [] so a reload clears them)'
  return change.mirrors ? `remove ${change.mirrors.map((m) => m.given).join(', ')} from registry-mirrors` : 'clear registry-mirrors (written as [] so a reload clears them)'
}
