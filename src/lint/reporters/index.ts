import type {Finding} from '../finding.js'
import type {RuleMeta} from '../rule.js'
import {renderGithub} from './github.js'
import {renderJson} from './json.js'
import {renderSarif} from './sarif.js'
import {renderText} from './text.js'

export type ReportFormat = 'text' | 'json' | 'sarif' | 'github'

/** Every format, for a --format flag's options. */
export const reportFormats: readonly ReportFormat[] = ['text', 'json', 'sarif', 'github']

export interface RenderOptions {
  /** The rule catalog (SARIF descriptors). */
  rules: readonly RuleMeta[]
  /** ANSI colour in text output; decide with shouldColor() from core/color.js. */
  color: boolean
  /** mirrorctl's version (SARIF tool.driver.version). */
  version: string
  /** Paths inside it are reported relative to it (SARIF, GitHub). */
  baseDir?: string
  /** Files checked, for the text summary; defaults to the files with findings. */
  filesChecked?: number
}

/** Renders findings in a format; the result ends with a newline unless it is empty. */
export function renderFindings(findings: readonly Finding[], format: ReportFormat, options: RenderOptions): string {
  switch (format) {
    case 'text':
      return renderText(findings, {color: options.color, filesChecked: options.filesChecked})
    case 'json':
      return renderJson(findings)
    case 'sarif':
      return renderSarif(findings, {rules: options.rules, version: options.version, baseDir: options.baseDir})
    case 'github':
      return renderGithub(findings, {baseDir: options.baseDir})
  }
}

