import {parseSpec, type Spec} from '../../policy/spec.js'
import type {SpecAnswers} from './answers.js'

const str = (s: string) => JSON.stringify(s)

/** The fleet spec file for the answers: plain TOML a person can read and edit. */
export function renderSpec(answers: SpecAnswers): string {
  const lines = ['# Written by `mirrorctl setup`. Apply it again with: mirrorctl apply --spec THIS-FILE --yes', '']
  if (answers.fixNoProxy) lines.push('fix-no-proxy = true', '')
  for (const e of answers.entries) {
    lines.push('[[mirror]]', `source = ${str(e.source)}`, `mirrors = [${e.mirrors.map(str).join(', ')}]`)
    if (e.insecure) lines.push('insecure = true')
    if (e.engines) lines.push(`engines = [${e.engines.map(str).join(', ')}]`)
    if (e.location !== null) lines.push(`location = ${str(e.location)}`)
    lines.push('')
  }
  return lines.join('\n')
}

/** The spec text and the Spec the fleet code reads from it (parsed, so both always agree). */
export function buildSpec(answers: SpecAnswers, file: string): {text: string; spec: Spec} {
  const text = renderSpec(answers)
  return {text, spec: parseSpec(text, file)}
}
