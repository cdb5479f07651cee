import type {Finding} from '../lint/finding.js'
import type {TextEdit} from '../edit/text-edit.js'
import type {FormatName} from '../lint/rule.js'

/**
 * The small interface every config format implements (one folder per format under
 * src/formats/). All functions are pure: text in, values out.
 */
export interface Format<Doc, LintContext, Effective, Change> {
  name: FormatName
  /** Syntax errors become findings on the document; parse itself never throws on bad input. */
  parse(text: string, path: string): Doc
  lint(doc: Doc, context: LintContext): Finding[]
  /** The configuration the real consumer would load from this document alone. */
  read(doc: Doc): Effective
  /** Minimal edits; empty when the document already says what the change asks. */
  plan(doc: Doc, change: Change): TextEdit[]
}
