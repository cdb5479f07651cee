/**
 * Pure text edits that extend NO_PROXY where an engine reads it: a systemd drop-in, an
 * EnvironmentFile= file, a containers.conf [engine] env list. Every other byte is kept.
 */
import type {AST} from 'toml-eslint-parser'
import {parseTomlGuarded} from '../../formats/toml/toml-guard.js'
import {UserError} from '../../core/errors.js'
import {parseContainersConf} from './engine-env.js'
import {serviceEnvironment, parseEnvironmentFile} from './environment-file.js'
import {mergeUnitEnvironment, parseSystemdUnit} from './systemd-unit.js'


function assertPlainValue(value: string): void {
  // A NO_PROXY list never holds control characters; refusing them keeps every format simple.
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UserError('the NO_PROXY value contains a control character (a newline or tab?); write it as one line of comma-separated entries')
}

function eolOf(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n'
}

interface PhysicalLine {
  text: string
  start: number
  /** Offset after the text, before the line break. */
  end: number
}

function physicalLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = []
  const re = /\r\n|\r|\n/g
  let start = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({text: text.slice(start, m.index), start, end: m.index})
    start = m.index + m[0].length
  }
  out.push({text: text.slice(start), start, end: text.length})
  return out
}

/** Insert lines after `offset` (the end of a line's text), or at the end of the text. */
function insertLines(text: string, offset: number, lines: readonly string[], eol: string): string {
  if (lines.length === 0) return text
  const block = lines.join(eol)
  if (offset >= text.length) return text === '' ? `${block}${eol}` : /[\r\n]$/.test(text) ? `${text}${block}${eol}` : `${text}${eol}${block}${eol}`
  return `${text.slice(0, offset)}${eol}${block}${text.slice(offset)}`
}

/** A value for Environment="NAME=...": C escapes inside double quotes, then "%" doubled (specifiers). */
function systemdQuoted(name: string, value: string): string {
  const escaped = `${name}=${value}`.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
  return `Environment="${escaped}"`
}

/** The value a drop-in gives the service (UnsetEnvironment= included). */
function unitValue(text: string, name: string): string | undefined {
  return serviceEnvironment(mergeUnitEnvironment([parseSystemdUnit(text, 'drop-in')]), []).env[name]?.value
}

/** What a NO_PROXY fix writes unless told otherwise: both spellings, to keep curl in line with Go. */
export const NO_PROXY_NAMES: readonly string[] = ['NO_PROXY', 'no_proxy']

/**
 * A systemd drop-in with Environment="NO_PROXY=value" and Environment="no_proxy=value" (or
 * the given names) in force: an assignment already in force is rewritten in place when it stands alone on its
 * line; otherwise a new line goes after it (a later assignment wins) or at the end of the last
 * [Service] section. Every other byte is kept; the text is returned unchanged when both
 * variables already have this value.
 */
export function renderNoProxyDropIn(existingText: string | null, value: string, names: readonly string[] = NO_PROXY_NAMES): string {
  assertPlainValue(value)
  if (existingText === null || existingText.trim() === '') {
    const eol = existingText ? eolOf(existingText) : '\n'
    return `[Service]${eol}${names.map(n => systemdQuoted(n, value)).join(eol)}${eol}`
  }
  let text = existingText
  for (const name of names) {
    if (unitValue(text, name) === value) continue
    text = setUnitVariable(text, name, value)
  }
  for (const name of names) {
    if (unitValue(text, name) !== value) {
      throw new UserError(`cannot set ${name} in this drop-in so that systemd reads it (is it removed by UnsetEnvironment=?); edit the file by hand`)
    }
  }
  return text
}

function setUnitVariable(text: string, name: string, value: string): string {
  const eol = eolOf(text)
  const lines = physicalLines(text)
  const unit = parseSystemdUnit(text, 'drop-in')
  // The assignment in force: the last one, unless an empty Environment= cleared it.
  let inForce: number | null = null
  for (const d of unit.directives) {
    if (d.kind === 'set' && d.name === name) inForce = d.line
    else if (d.kind === 'reset-environment') inForce = null
  }
  const line = inForce === null ? null : lines[inForce - 1]!
  if (line && !line.text.endsWith('\\')) {
    const alone = parseSystemdUnit(`[Service]\n${line.text}`, 'line')
    const sets = alone.directives.filter(d => d.kind === 'set')
    if (sets.length === 1 && alone.warnings.length === 0 && /^[ \t]*Environment[ \t]*=/.test(line.text)) {
      const indent = /^[ \t]*/.exec(line.text)![0]
      return `${text.slice(0, line.start)}${indent}${systemdQuoted(name, value)}${text.slice(line.end)}`
    }
  }
  if (inForce !== null) {
    // Shares its line with other assignments or continues: leave it, override right after it.
    let last = inForce - 1
    while (lines[last]!.text.endsWith('\\') && last + 1 < lines.length) last++
    return insertLines(text, lines[last]!.end, [systemdQuoted(name, value)], eol)
  }
  // After the last non-blank line of the last [Service] section, else a new section at the end.
  let section = ''
  let anchor: number | null = null
  for (const l of lines) {
    const t = l.text.trim()
    if (t.startsWith('[')) {
      section = t
      if (section === '[Service]') anchor = l.end
    } else if (section === '[Service]' && t !== '') anchor = l.end
  }
  if (anchor === null) {
    const spacer = text.trim() === '' ? [] : ['']
    return insertLines(text, text.length, [...spacer, '[Service]', systemdQuoted(name, value)], eol)
  }
  return insertLines(text, anchor, [systemdQuoted(name, value)], eol)
}

/** A value for an EnvironmentFile=: bare when safe, else double quotes with \" \\ \` \$ escaped. */
function envFileAssignment(name: string, value: string): string {
  if (/^[A-Za-z0-9_.,:/@*+%=-]*$/.test(value)) return `${name}=${value}`
  return `${name}="${value.replace(/[\\"`$]/g, '\\$&')}"`
}

function envFileValue(text: string, name: string): string | undefined {
  let found: string | undefined
  for (const a of parseEnvironmentFile(text, 'env').assignments) if (a.name === name) found = a.value
  return found
}

/**
 * An EnvironmentFile= file with NO_PROXY=value and no_proxy=value (or the given names): the
 * last assignment of each is rewritten in place when it is one simple line, otherwise the
 * assignment is appended. Unchanged when all already have this value.
 */
export function setEnvironmentFileNoProxy(existingText: string | null, value: string, names: readonly string[] = NO_PROXY_NAMES): string {
  assertPlainValue(value)
  let text = existingText ?? ''
  for (const name of names) {
    if (envFileValue(text, name) === value) continue
    const eol = eolOf(text)
    const lines = physicalLines(text)
    const assignments = parseEnvironmentFile(text, 'env').assignments.filter(a => a.name === name)
    const last = assignments[assignments.length - 1]
    const line = last ? lines[last.line - 1] : undefined
    // In place only when the whole assignment is on its line (no continuation, no multi-line quote).
    const alone = line ? parseEnvironmentFile(line.text, 'line').assignments : []
    const simple = line !== undefined && last !== undefined && alone.length === 1 && alone[0]!.name === name && alone[0]!.value === last.value
    const next = simple ? `${text.slice(0, line.start)}${envFileAssignment(name, value)}${text.slice(line.end)}` : null
    if (next !== null && sameOtherAssignments(text, next, name)) text = next
    else text = insertLines(text, text.length, [envFileAssignment(name, value)], eol)
  }
  for (const name of names) {
    if (envFileValue(text, name) !== value) throw new UserError(`cannot set ${name} in this environment file; edit it by hand`)
  }
  return text
}

function sameOtherAssignments(before: string, after: string, name: string): boolean {
  const others = (t: string): string => JSON.stringify(parseEnvironmentFile(t, 'env').assignments.filter(a => a.name !== name).map(a => [a.name, a.value]))
  return others(before) === others(after)
}

/** A TOML basic string. */
function tomlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map(k => (k.type === 'TOMLBare' ? k.name : k.value))
}

/**
 * containers.conf with "NO_PROXY=value" in [engine] env: the first NO_PROXY entry (the one
 * podman applies) is replaced; otherwise an entry is added to the existing list (before an
 * {append = true} marker), an env key to the [engine] table, or an [engine] table at the end.
 * Every other byte is kept; the text is returned unchanged when the entry already has this value.
 */
export function setContainersConfNoProxy(existingText: string | null, value: string): string {
  assertPlainValue(value)
  const entry = tomlString(`NO_PROXY=${value}`)
  const text = existingText ?? ''
  const eol = eolOf(text)
  const parsed = parseTomlGuarded(text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text)
  if (!parsed.ast) throw new UserError(`cannot edit containers.conf: TOML syntax error (${parsed.error?.message ?? 'not valid TOML'}); fix the file first`)
  const ast: AST.TOMLProgram = parsed.ast
  const top = ast.body[0]
  let envNode: AST.TOMLKeyValue | null = null
  let engineTable: AST.TOMLTable | null = null
  for (const item of top?.body ?? []) {
    if (item.type === 'TOMLTable') {
      if (item.kind === 'standard' && item.resolvedKey.length === 1 && item.resolvedKey[0] === 'engine') {
        engineTable = item
        for (const kv of item.body) if (keyNames(kv.key).join('.') === 'env') envNode = kv
      }
    } else if (keyNames(item.key).join('.') === 'engine.env') {
      envNode = item
    }
  }

  let out: string
  if (envNode) {
    if (envNode.value.type !== 'TOMLArray') throw new UserError('cannot edit containers.conf: [engine] env is not an array; podman rejects this file')
    const array = envNode.value
    const first = array.elements.find(e => e.type === 'TOMLValue' && e.kind === 'string' && /^NO_PROXY=/.test(e.value))
    if (first) {
      if (first.type === 'TOMLValue' && first.value === `NO_PROXY=${value}`) return text
      out = text.slice(0, first.range[0]) + entry + text.slice(first.range[1])
    } else {
      const strings = array.elements.filter(e => e.type !== 'TOMLInlineTable')
      const lastString = strings[strings.length - 1]
      const marker = array.elements.find(e => e.type === 'TOMLInlineTable')
      if (lastString) {
        const multiLine = lastString.loc.start.line !== array.loc.start.line
        const indent = multiLine ? /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', lastString.range[0]) + 1))![0] : ''
        const sep = multiLine ? `,${eol}${indent}` : ', '
        out = text.slice(0, lastString.range[1]) + sep + entry + text.slice(lastString.range[1])
      } else if (marker) {
        out = text.slice(0, marker.range[0]) + `${entry}, ` + text.slice(marker.range[0])
      } else {
        // An empty list: "[]" or "[ ]" keeps its brackets.
        out = text.slice(0, array.range[0]) + `[${entry}]` + text.slice(array.range[1])
      }
    }
  } else if (engineTable) {
    const lastKv = engineTable.body[engineTable.body.length - 1]
    const anchor = lastKv ? lastKv.range[1] : text.indexOf(']', engineTable.key.range[1]) + 1
    const lineEnd = text.slice(anchor).search(/\r\n|\r|\n/)
    out = insertLines(text, lineEnd < 0 ? text.length : anchor + lineEnd, [`env = [${entry}]`], eol)
  } else {
    const spacer = text.trim() === '' ? [] : ['']
    out = insertLines(text, text.length, [...spacer, '[engine]', `env = [${entry}]`], eol)
  }
  const check = parseContainersConf(out)
  const env = 'value' in check ? (check.value.engine as {env?: unknown} | undefined)?.env : undefined
  const applied = Array.isArray(env) ? env.find(e => typeof e === 'string' && e.startsWith('NO_PROXY=')) : undefined
  if (applied !== `NO_PROXY=${value}`) {
    throw new UserError('cannot add NO_PROXY to [engine] env of this containers.conf without changing its meaning (the engine table is defined with dotted keys or inline); edit it by hand')
  }
  return out
}

