import type {PlannedWrite} from '../hosts/apply-changes.js'
import type {EngineName} from './engine-selection.js'

/** One changed file as commands report it. */
export interface FileResult {
  engine: 'podman' | 'docker'
  path: string
  actions: string[]
  diff: string
  backup: string | null
}

/** A whole-file write with what to tell the user about it. */
export interface PlannedFile extends PlannedWrite {
  engine: FileResult['engine']
  actions: string[]
}

export interface MirrorRunResult {
  files: FileResult[]
  /** Engines left out and why (for example Docker for a registry other than Docker Hub). */
  skipped: {engine: EngineName; reason: string}[]
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
