import TOML from '@iarna/toml'
import type {LoadedFile} from './config-set.js'
import {commentsAbove, lineEnd} from './lines.js'
import {MANAGED_COMMENT, tableText, tomlValue, type TableState} from './table-state.js'

/** The comment of one line (from a `#` outside quotes), or null. */
function commentOf(line: string): string | null {
  let quote: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#') return line.slice(i).trimEnd()
  }
  return null
}

/**
 * --convert: the V1 file becomes V2 with the same meaning, plus the requested table. Every
 * comment of the V1 file is kept: those of a [registries.*] section (above its header or on its
 * lines) go above what that section becomes, the others stay at the top.
 */
export function convertToV2(file: LoadedFile, prefix: string, desired: TableState, options: {backup: boolean}): string {
  const config = file.result.config!
  const {text, eol} = file.doc
  const sections = new Map<string, string[]>()
  const claimed = new Set<number>()
  for (const t of file.doc.tables) {
    if (t.path.length !== 2 || t.path[0] !== 'registries') continue
    const from = commentsAbove(text, t.header[0])
    const to = lineEnd(text, t.end)
    const lines: string[] = []
    let at = from
    for (const line of text.slice(from, to).split('\n')) {
      const c = commentOf(line)
      if (c !== null) lines.push(c)
      claimed.add(at)
      at += line.length + 1
    }
    sections.set(String(t.path[1]), lines)
  }
  const loose: string[] = []
  let at = 0
  for (const line of text.split('\n')) {
    const c = claimed.has(at) ? null : commentOf(line)
    if (c !== null) loose.push(c)
    at += line.length + 1
  }
  const note = options.backup
    ? "# Converted from the V1 format by mirrorctl; the previous version is in mirrorctl's backups."
    : '# Converted from the V1 format by mirrorctl.'
  const top = [...loose, note]
  if (config.unqualifiedSearchRegistries !== null)
    top.push(...(sections.get('search') ?? []), `unqualified-search-registries = ${TOML.stringify.value(config.unqualifiedSearchRegistries)}`)
  const placed = new Set<string>()
  const commentsFor = (r: {path: readonly (string | number)[]}) => {
    const section = String(r.path[1])
    if (placed.has(section)) return []
    placed.add(section)
    return sections.get(section) ?? []
  }
  const tables = config.registries
    .filter((r) => r.prefix !== prefix)
    .map((r) =>
      [
        ...commentsFor(r),
        '[[registry]]',
        `location = ${tomlValue(r.location)}`,
        ...(r.insecure ? ['insecure = true'] : []),
        ...(r.blocked ? ['blocked = true'] : []),
      ].join(eol),
    )
  const old = config.registries.find((r) => r.prefix === prefix)
  const extra = [...(old?.insecure ? ['insecure = true'] : []), ...(old?.blocked ? ['blocked = true'] : [])]
  const leftover = [...sections.entries()].filter(([k]) => k !== 'search' && !placed.has(k) && !(old && String(old.path[1]) === k)).flatMap(([, c]) => c)
  tables.push([...(old ? commentsFor(old) : [MANAGED_COMMENT]), ...leftover, tableText(prefix, desired, eol, extra)].join(eol))
  return [top.join(eol), ...tables].join(eol + eol) + eol
}
