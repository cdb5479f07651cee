import {compareFindings, type Finding, type Severity} from '../finding.js'
import {styles, type Style, type Styles} from '../../core/color.js'

export interface TextOptions {
  color: boolean
  /** How many files were checked, for the summary; defaults to the files with findings. */
  filesChecked?: number
}

/**
 * Human output, grouped by file:
 *
 *     registries.conf:3:5  error  message  [rule]
 *       hint: what to do
 *
 *     1 error, 0 warnings, 0 info in 1 file
 */
export function renderText(findings: readonly Finding[], options: TextOptions): string {
  const s = styles(options.color)
  const sorted = [...findings].sort(compareFindings)
  const lines: string[] = []
  let previousFile: string | undefined
  for (const f of sorted) {
    if (previousFile !== undefined && f.file !== previousFile) lines.push('')
    previousFile = f.file
    lines.push(`${s.bold(`${f.file}:${f.line}:${f.column}`)}  ${severityStyle(s, f.severity)(f.severity)}  ${f.message}  ${s.dim(`[${f.rule}]`)}`)
    if (f.hint !== '') lines.push(`  ${s.cyan('hint:')} ${f.hint}`)
  }
  if (lines.length > 0) lines.push('')
  lines.push(summary(sorted, options.filesChecked ?? new Set(sorted.map((f) => f.file)).size, s))
  return `${lines.join('\n')}\n`
}

function severityStyle(s: Styles, severity: Severity): Style {
  return severity === 'error' ? s.red : severity === 'warning' ? s.yellow : s.cyan
}

function summary(findings: readonly Finding[], files: number, s: Styles): string {
  const inFiles = `in ${files} ${files === 1 ? 'file' : 'files'}`
  if (findings.length === 0) return s.green(`no findings ${inFiles}`)
  const count = (severity: Severity) => findings.filter((f) => f.severity === severity).length
  const errors = count('error')
  const warnings = count('warning')
  const parts = [
    plural(errors, 'error', 'errors'),
    plural(warnings, 'warning', 'warnings'),
    `${count('info')} info`,
  ]
  const text = `${parts.join(', ')} ${inFiles}`
  return errors > 0 ? s.bold(s.red(text)) : warnings > 0 ? s.bold(s.yellow(text)) : s.bold(text)
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
