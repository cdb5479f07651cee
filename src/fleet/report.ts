import type {Styles} from '../core/color.js'
import {renderReload, type ReloadOutcome} from './reload.js'

/** rolled-back: written, then a check after the write failed and the previous files were restored. */
export type HostStatus = 'changed' | 'unchanged' | 'failed' | 'rolled-back'

/** What one check after the write found on a host (verification, the canary pull). */
export interface StepOutcome {
  /** "verify", "canary", ... */
  step: string
  status: 'passed' | 'failed' | 'skipped'
  /** One line: what was proven, why it failed, or why it could not run. */
  reason: string
  /** Step-specific facts for --json (the source that served the canary, probe answers, ...). */
  details?: unknown
}

export interface HostFile {
  engine: 'podman' | 'docker' | 'containerd' | 'k3s'
  path: string
  /** What the change does, in words ("remove mirror a", "add mirror b"). */
  actions: string[]
  /** Unified diff of the planned change. */
  diff: string
  /** After apply: where the previous version was saved. */
  backup: string | null
}

/** One host's outcome, for plan (changes pending) and apply (changes made) alike. */
export interface HostResult {
  /** The inventory or --hosts name (or "localhost" / "--root DIR"). */
  host: string
  status: HostStatus
  /** Why it failed; null otherwise. */
  reason: string | null
  /** All files' unified diffs, concatenated. */
  diff: string
  files: HostFile[]
  /** What the spec asks that an engine there cannot do, and lint findings. */
  warnings: string[]
  /** apply --reload: per engine whose file changed, what was done to its daemon. */
  reload?: ReloadOutcome[]
  /** apply's checks after the write (--verify, --canary), in the order run. */
  checks?: StepOutcome[]
}

export interface FleetReport {
  hosts: HostResult[]
  summary: Record<HostStatus, number>
}

export function fleetReport(hosts: HostResult[]): FleetReport {
  const summary = {changed: 0, unchanged: 0, failed: 0, 'rolled-back': 0}
  for (const h of hosts) summary[h.status]++
  return {hosts, summary}
}

export function failedResult(host: string, reason: string): HostResult {
  return {host, status: 'failed', reason, diff: '', files: [], warnings: []}
}

/** Summary table: one line per host with its status and what changed or why it failed. */
export function renderSummary(report: FleetReport, s: Styles, mode: 'plan' | 'apply'): string {
  const label = (st: HostStatus) => (mode === 'plan' && st === 'changed' ? 'pending' : st)
  const colour = (st: HostStatus) => (st === 'failed' || st === 'rolled-back' ? s.red : st === 'changed' ? s.yellow : s.green)
  const width = Math.max(4, ...report.hosts.map((h) => h.host.length))
  const lines = [s.bold(`${'HOST'.padEnd(width)}  ${'STATUS'.padEnd(11)}  DETAIL`)]
  for (const h of report.hosts) {
    const detail = h.status === 'failed' || h.status === 'rolled-back' ? (h.reason ?? '') : h.files.map((f) => f.path).join(', ')
    lines.push(`${h.host.padEnd(width)}  ${colour(h.status)(label(h.status).padEnd(11))}  ${detail}`)
    if (h.reload?.length) lines.push(`${' '.repeat(width)}  ${'reload'.padEnd(11)}  ${renderReload(h.reload)}`)
    for (const c of h.checks ?? []) lines.push(`${' '.repeat(width)}  ${c.step.padEnd(11)}  ${c.status}: ${c.reason}`)
  }
  const {changed, unchanged, failed} = report.summary
  const rolledBack = report.summary['rolled-back'] ? `, ${report.summary['rolled-back']} rolled back` : ''
  lines.push(`${report.hosts.length} host${report.hosts.length === 1 ? '' : 's'}: ${changed} ${mode === 'plan' ? 'with changes pending' : 'changed'}, ${unchanged} unchanged, ${failed} failed${rolledBack}`)
  return lines.join('\n')
}

/** Per host: its diffs and warnings (the plan the user reads before apply). */
export function renderDiffs(report: FleetReport, s: Styles): string {
  const out: string[] = []
  for (const h of report.hosts) {
    if (!h.diff && !h.warnings.length) continue
    out.push(s.bold(`== ${h.host}`))
    for (const w of h.warnings) out.push(s.yellow(w.startsWith('warning') ? w : `warning: ${w}`))
    if (h.diff) out.push(colourDiff(h.diff.trimEnd(), s))
  }
  return out.join('\n')
}

function colourDiff(diff: string, s: Styles): string {
  return diff
    .split('\n')
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? s.bold(l) : l.startsWith('+') ? s.green(l) : l.startsWith('-') ? s.red(l) : l.startsWith('@@') ? s.cyan(l) : l))
    .join('\n')
}
