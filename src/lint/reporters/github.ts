import {compareFindings, type Finding, type Severity} from '../finding.js'
import {displayPath} from './paths.js'

export interface GithubOptions {
  /** The workspace root; annotations need paths relative to it. */
  baseDir?: string
}

const command: Record<Severity, string> = {error: 'error', warning: 'warning', info: 'notice'}

/**
 * GitHub Actions workflow commands, one line per finding:
 * `::error file=F,line=L,col=C,title=RULE::MESSAGE%0Ahint: HINT`.
 */
export function renderGithub(findings: readonly Finding[], options: GithubOptions = {}): string {
  return [...findings]
    .sort(compareFindings)
    .map((f) => {
      const props = [
        `file=${escapeProperty(displayPath(f.file, options.baseDir))}`,
        `line=${f.line}`,
        `col=${f.column}`,
        `title=${escapeProperty(f.rule)}`,
      ].join(',')
      const text = f.hint === '' ? f.message : `${f.message}\nhint: ${f.hint}`
      return `::${command[f.severity]} ${props}::${escapeData(text)}\n`
    })
    .join('')
}

/** The escaping the runner undoes in a command's message (actions/toolkit escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** Property values also escape the separators ":" and "," (actions/toolkit escapeProperty). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
