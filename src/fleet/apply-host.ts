import {BACKUPS_KEPT} from '../hosts/backup.js'
import {reasonCode} from '../hosts/apply-manifest.js'
import type {ApplyRequest, ApplyResult} from '../hosts/write-plan.js'
import type {HostPlan} from './plan-host.js'
import type {HostResult} from './report.js'

/** The one request a host's plan becomes: every file with the text it was planned from. */
export function applyRequest(plan: HostPlan, backupDir: string | null): ApplyRequest {
  return {writes: plan.writes, backupDir, keep: BACKUPS_KEPT}
}

/**
 * Reads a host's apply result: changed when a file was written, unchanged when all already
 * matched, failed with the first file's reason otherwise (the apply script then left every
 * file of the request as it was).
 */
export function hostResultOf(name: string, plan: HostPlan, result: ApplyResult): HostResult {
  const bad = result.files.find((f) => f.status === 'conflict' || f.status === 'failed')
  const files = plan.files.map((f) => ({...f, backup: result.files.find((o) => o.path === f.path)?.backup ?? null}))
  const diff = plan.files.map((f) => f.diff).join('')
  if (bad) {
    const why =
      bad.status === 'conflict'
        ? `${bad.path} changed since it was read; nothing was written (run plan again)`
        : `cannot write ${bad.target}: ${bad.reason ?? 'unknown error'}${reasonCode(bad.reason) === 'ENOSPC' ? ' (disk full)' : ''}; nothing was written`
    return {host: name, status: 'failed', reason: why, diff, files, warnings: plan.warnings}
  }
  const written = result.files.some((f) => f.status === 'written')
  return {host: name, status: written ? 'changed' : 'unchanged', reason: null, diff: written ? diff : '', files: written ? files.filter((f) => result.files.find((o) => o.path === f.path)?.status === 'written') : [], warnings: plan.warnings}
}
