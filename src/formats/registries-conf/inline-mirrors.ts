import {UserError} from '../../core/errors.js'
import type {TextEdit} from '../../edit/text-edit.js'
import {blank, lineEnd, lineStart, nextLineStart} from './lines.js'
import type {RegistryTable} from './model.js'
import {pathKey, type KeyPath, type RegistriesConfDocument} from './parse.js'
import {matchMirrors, tomlValue, type DesiredMirror} from './table-state.js'

/**
 * `mirror = [ {...}, ... ]` written inline, edited element by element. With one element per
 * line, each element owns the lines above it (comments, blank lines, indentation) and the
 * comment after it on its line, so removing, adding or reordering mirrors keeps every comment
 * beside its entry and leaves untouched lines byte for byte. Arrays written on one line (which
 * cannot hold comments) keep their separators.
 */
export function editInlineMirrors(doc: RegistriesConfDocument, table: RegistryTable, desired: DesiredMirror[]): TextEdit[] {
  const {text, eol} = doc
  const arrayPath = [...table.path, 'mirror']
  const [start, end] = doc.spans.get(pathKey(arrayPath))!.value!
  const elements = table.mirrors.map((m, i) => {
    const [s, e] = doc.spans.get(pathKey([...arrayPath, i]))!.node
    return {start: s, end: e, text: text.slice(s, e), mirror: m}
  })
  const match = matchMirrors(table.mirrors, desired)
  const render = (k: number): string => {
    const d = desired[k]!
    const i = match[k]!
    if (i === -1) return inlineMirror(d, [])
    const m = table.mirrors[i]!
    if (m.insecure === d.insecure && m.pullFromMirror === d.pullFromMirror) return elements[i]!.text
    return inlineMirror(d, otherKeys(doc, [...arrayPath, i]))
  }
  const items = desired.map((_, k) => render(k))
  const original = text.slice(start, end)

  const lineAfter = (offset: number) => /^([ \t]*,)?([ \t]*(?:#.*)?)$/.exec(text.slice(offset, lineEnd(text, offset)))
  const ownLines = elements.length > 0 && elements.every((el) => blank(text, lineStart(text, el.start), el.start) && lineAfter(el.end) !== null)
  let rendered: string
  if (ownLines) {
    const parts = elements.map((el, i) => {
      const after = lineAfter(el.end)!
      const leadStart = i === 0 ? nextLineStart(text, start) : nextLineStart(text, elements[i - 1]!.end)
      return {lead: text.slice(leadStart, el.start), comma: after[1] !== undefined, trail: after[2]!}
    })
    const header = text.slice(start, nextLineStart(text, start))
    const footer = text.slice(nextLineStart(text, elements.at(-1)!.end), end)
    const indent = text.slice(lineStart(text, elements[0]!.start), elements[0]!.start)
    const lastComma = parts.at(-1)!.comma
    rendered =
      header +
      desired
        .map((_, k) => {
          const i = match[k]!
          const p = i === -1 ? {lead: indent, trail: ''} : parts[i]!
          const comma = k < desired.length - 1 || lastComma ? ',' : ''
          return p.lead + items[k] + comma + p.trail + eol
        })
        .join('') +
      footer
  } else if (!original.includes('#')) {
    // On one line (or without comments): keep the opening, the separator and the closing as written.
    const open = elements.length ? text.slice(start, elements[0]!.start) : '[ '
    const sep = elements.length > 1 ? text.slice(elements[0]!.end, elements[1]!.start) : ', '
    const close = elements.length ? text.slice(elements.at(-1)!.end, end) : ' ]'
    rendered = items.length ? open + items.join(sep) + close : '[]'
  } else if (elements.length === 0 && blank(text, lineStart(text, end - 1), end - 1)) {
    // An empty list with comments: one new mirror per line above the closing bracket.
    const at = lineStart(text, end - 1)
    const indent = text.slice(at, end - 1) + '  '
    return [{start: at, end: at, text: items.map((it) => `${indent}${it},${eol}`).join('')}]
  } else {
    throw new UserError(`${doc.path}: the mirror list of "${table.prefix}" mixes comments with several entries on one line, which mirrorctl does not rewrite`, {
      hint: 'put one { location = ... } per line (comments beside them are kept), or use [[registry.mirror]] tables, then run the command again',
    })
  }
  return rendered === original ? [] : [{start, end, text: rendered}]
}

/** The element's keys other than insecure and pull-from-mirror, as written (e.g. location, proxy). */
function otherKeys(doc: RegistriesConfDocument, path: KeyPath): string[] {
  let value: unknown = doc.data
  for (const k of path) value = (value as Record<string | number, unknown>)[k]
  return Object.keys(value as object)
    .filter((k) => k !== 'insecure' && k !== 'pull-from-mirror')
    .map((k) => {
      const span = doc.spans.get(pathKey([...path, k]))!
      return doc.text.slice(span.node[0], span.node[1])
    })
}

function inlineMirror(d: DesiredMirror, keys: string[]): string {
  const kvs = keys.length ? [...keys] : [`location = ${tomlValue(d.location)}`]
  if (d.insecure) kvs.push('insecure = true')
  if (d.pullFromMirror) kvs.push(`pull-from-mirror = ${tomlValue(d.pullFromMirror)}`)
  return `{ ${kvs.join(', ')} }`
}
