/** Severity has one meaning across all formats. */
export type Severity =
  /** The real consumer rejects it: the loader fails, the daemon refuses to start. */
  | 'error'
  /** Accepted by the consumer, but it will not work as the author meant. */
  | 'warning'
  /** Advice. */
  | 'info'

/** One lint result. line and column are 1-based; columns count characters, not bytes. */
export interface Finding {
  rule: string
  severity: Severity
  file: string
  line: number
  column: number
  message: string
  hint: string
}

const severityRank: Record<Severity, number> = {error: 0, warning: 1, info: 2}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    severityRank[a.severity] - severityRank[b.severity] ||
    a.rule.localeCompare(b.rule)
  )
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error')
}
