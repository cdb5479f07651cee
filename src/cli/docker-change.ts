import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {applyEdits} from '../edit/text-edit.js'
import {lintDaemonJson, parseDaemonJson, planDaemonJson} from '../formats/daemon-json/index.js'
import {loadDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {dockerdCommandLine} from '../engines/engine-proxy.js'
import type {Host} from '../hosts/host.js'
import {configRejected} from '../lint/config-rejected.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import type {PlannedFile} from './file-result.js'

/**
 * Plans a registry-mirrors change to daemon.json; reads only. A file dockerd would refuse
 * is reported and left alone, and so is one that is not UTF-8 (rewriting it would lose
 * bytes); the new text must lint clean for the same Engine version, because a bad
 * daemon.json stops dockerd on the next restart. null when nothing changes.
 */
export async function planDaemonJsonChange(
  host: Host,
  location: DaemonJsonLocation,
  change: MirrorChange,
  options: {dockerVersion: string | null},
): Promise<PlannedFile | null> {
  const loaded = await loadDaemonJson(host, location)
  // Checked against dockerd's flags too: a key that is also a flag stops dockerd at start.
  const command = await dockerdCommandLine(host, {daemonJsonPath: location.path})
  const ctx = {
    ...(options.dockerVersion ? {dockerVersion: options.dockerVersion} : {}),
    ...(command ? {dockerdArgs: command.argv.slice(1), unitPath: command.unitPath} : {}),
  }
  const existing = lintDaemonJson(loaded.doc, ctx).find((f) => f.severity === 'error')
  if (existing) throw configRejected(existing)
  if (loaded.invalidUtf8) {
    const at = loaded.invalidUtf8
    throw new UserError(`not valid UTF-8 (byte offset ${at.offset}): mirrorctl does not edit it, because rewriting it would lose those bytes; nothing was written`, {
      exitCode: ExitCode.Findings,
      position: {file: location.path, line: at.line, column: at.column},
      rule: 'daemon-json/invalid-utf8',
      hint: 'save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`), then run mirrorctl again',
    })
  }
  const edits = planDaemonJson(loaded.doc, change)
  const before = loaded.text ?? ''
  const after = applyEdits(before, edits)
  if (after === before) return null
  const problem = lintDaemonJson(parseDaemonJson(after, location.path), ctx).find((f) => f.severity === 'error')
  if (problem) {
    throw new UserError(`after this change dockerd would refuse ${location.path}: ${problem.message}; nothing was written`, {
      exitCode: ExitCode.Findings,
      rule: problem.rule,
      hint: problem.hint,
    })
  }
  return {
    engine: 'docker',
    path: location.path,
    before: loaded.text,
    after,
    actions: [describe(change), 'registry-mirrors is reloadable: systemctl reload docker (SIGHUP) applies it without a restart'],
  }
}

function describe(change: MirrorChange): string {
  if (change.action === 'add') return `add ${change.mirrors.map((m) => m.given).join(', ')} to registry-mirrors`
  if (change.action === 'set') return change.mirrors.length ? `set registry-mirrors to ${change.mirrors.map((m) => m.given).join(', ')}` : 'clear registry-mirrors (written as [] so a reload clears them)'
  return change.mirrors ? `remove ${change.mirrors.map((m) => m.given).join(', ')} from registry-mirrors` : 'clear registry-mirrors (written as [] so a reload clears them)'
}
