import {compareFindings, type Finding} from '../finding.js'

/**
 * Machine output: `{"findings":[...]}`, each finding with exactly these keys in this order.
 * Built key by key so extra properties a caller's objects may carry never leak into it.
 */
export function renderJson(findings: readonly Finding[]): string {
  const out = [...findings].sort(compareFindings).map((f) => ({
    rule: f.rule,
    severity: f.severity,
    file: f.file,
    line: f.line,
    column: f.column,
    message: f.message,
    hint: f.hint,
  }))
  return `${JSON.stringify({findings: out}, null, 2)}\n`
}
