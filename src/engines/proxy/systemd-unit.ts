/**
 * systemd units and drop-ins (dockerd, containerd, CRI-O, podman.service) as pure parsers:
 * Environment=, EnvironmentFile=, UnsetEnvironment= in [Service], read the way systemd reads
 * them. Warnings never quote a value unmasked: proxy URLs carry passwords.
 */
import {maskUrlCredentials, type Setting} from '../../net/proxy.js'
import type {SourceWarning} from './source-warning.js'

export type UnitDirective =
  | {kind: 'set'; name: string; value: string; file: string; line: number}
  /** An empty Environment=: forget every assignment made so far (in this and earlier files). */
  | {kind: 'reset-environment'; file: string; line: number}
  /** EnvironmentFile=: a path (or glob) for the caller to read; optional when written with '-'. */
  | {kind: 'environment-file'; path: string; optional: boolean; file: string; line: number}
  | {kind: 'reset-environment-files'; file: string; line: number}
  /** UnsetEnvironment=: "NAME" or "NAME=value" (only that exact assignment). */
  | {kind: 'unset'; entry: string; file: string; line: number}
  | {kind: 'reset-unset'; file: string; line: number}

export interface ParsedUnit {
  file: string
  directives: UnitDirective[]
  warnings: SourceWarning[]
}

/** systemd's WHITESPACE; JS trim() would also strip other Unicode spaces. */
const WS = ' \t\n\r'
export const isWs = (c: string | undefined): boolean => c !== undefined && c !== '' && WS.includes(c)

function trimWs(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && isWs(s[a])) a++
  while (b > a && isWs(s[b - 1])) b--
  return s.slice(a, b)
}

/** True when the line ends in a backslash that is not itself escaped: a continuation. */
function continues(line: string): boolean {
  let escaped = false
  for (const c of line) escaped = escaped ? false : c === '\\'
  return escaped
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ',
}

/** systemd's cunescape_one at s[i] (the character after the backslash); null when invalid. */
function cUnescapeOne(s: string, i: number): {text: string; length: number} | null {
  const c = s[i]
  if (c === undefined) return null
  const simple = SIMPLE_ESCAPES[c]
  if (simple !== undefined) return {text: simple, length: 1}
  const hexAt = (n: number): number | null => {
    const digits = s.slice(i + 1, i + 1 + n)
    return digits.length === n && /^[0-9a-fA-F]+$/.test(digits) ? parseInt(digits, 16) : null
  }
  if (c === 'x') {
    const v = hexAt(2)
    return v ? {text: String.fromCharCode(v), length: 3} : null
  }
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8
    const v = hexAt(n)
    if (!v || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return null
    return {text: String.fromCodePoint(v), length: n + 1}
  }
  if (/[0-7]/.test(c)) {
    const digits = s.slice(i, i + 3)
    if (!/^[0-7]{3}$/.test(digits)) return null
    const v = parseInt(digits, 8)
    return v === 0 || v > 255 ? null : {text: String.fromCharCode(v), length: 3}
  }
  return null
}

type Words = {words: string[]; error?: string}

/**
 * systemd's extract_first_word loop with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE: words split on
 * whitespace, '...' and "..." may appear anywhere in a word, C escapes work inside and
 * outside quotes. A syntax error stops the line; words before it still count.
 */
function splitWords(s: string): Words {
  const words: string[] = []
  let i = 0
  for (;;) {
    while (isWs(s[i])) i++
    if (i >= s.length) return {words}
    let word = ''
    let quote: string | null = null
    while (i < s.length) {
      const c = s[i]!
      if (c === '\\') {
        const esc = cUnescapeOne(s, i + 1)
        if (!esc) return {words, error: s[i + 1] === undefined ? 'a backslash ends the line' : 'an unknown backslash escape'}
        word += esc.text
        i += 1 + esc.length
        continue
      }
      if (quote) {
        if (c === quote) quote = null
        else word += c
        i++
        continue
      }
      if (isWs(c)) break
      if (c === '"' || c === "'") quote = c
      else word += c
      i++
    }
    if (quote) return {words, error: `an unterminated ${quote} quote`}
    words.push(word)
  }
}

/** Unit specifiers systemd expands (systemd.unit(5)); any other %<letter or digit> is an error. */
const KNOWN_SPECIFIERS = new Set('aAbBCdDEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY'.split(''))

/** The unit a file belongs to: lets %n (full name) and %N (without the suffix) expand. */
export interface UnitNames {
  unit: string
}

type Expanded = {ok: true; value: string; unexpanded: string[]} | {ok: false}

/**
 * systemd's specifier pass: "%%" -> "%"; a known specifier is kept as written (its value
 * depends on the machine) and reported; "%" before any other letter or digit makes systemd
 * drop the whole assignment; "%" before anything else stays literal.
 */
function expandSpecifiers(s: string, known: UnitNames | undefined): Expanded {
  let out = ''
  const unexpanded: string[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c !== '%') {
      out += c
      continue
    }
    const next = s[i + 1]
    if (next === undefined) {
      out += '%'
      continue
    }
    i++
    if (next === '%') out += '%'
    else if (known && next === 'n') out += known.unit
    else if (known && next === 'N') out += known.unit.replace(/\.[^.]*$/, '')
    else if (KNOWN_SPECIFIERS.has(next)) {
      out += `%${next}`
      unexpanded.push(`%${next}`)
    } else if (/[A-Za-z0-9]/.test(next)) return {ok: false}
    else out += `%${next}`
  }
  return {ok: true, value: out, unexpanded}
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function nameOf(assignment: string): string {
  const eq = assignment.indexOf('=')
  return eq < 0 ? assignment : assignment.slice(0, eq)
}

/**
 * Read the [Service] settings that shape a service's environment from one unit file or
 * drop-in: logical lines (backslash continuation; comment lines inside a continuation are
 * skipped), sections, "Key=value" with whitespace around '=' ignored, keys case-sensitive.
 */
export function parseSystemdUnit(text: string, file: string, names?: UnitNames): ParsedUnit {
  const unit: ParsedUnit = {file, directives: [], warnings: []}
  const warn = (line: number, message: string): void => {
    unit.warnings.push({file, line, message: maskUrlCredentials(message)})
  }
  let section = ''
  const handle = (logical: string, line: number): void => {
    const l = trimWs(logical)
    if (l === '') return
    if (l.startsWith('[')) {
      if (!l.endsWith(']')) {
        warn(line, `invalid section header ${l}`)
        section = ''
      } else {
        section = l.slice(1, -1)
      }
      return
    }
    if (section !== 'Service') return
    const eq = l.indexOf('=')
    if (eq < 0) {
      warn(line, "missing '=', systemd ignores this line")
      return
    }
    const key = trimWs(l.slice(0, eq))
    const value = trimWs(l.slice(eq + 1))
    if (key === 'Environment') parseEnvironment(value, line)
    else if (key === 'EnvironmentFile') parseEnvironmentFileSetting(value, line)
    else if (key === 'UnsetEnvironment') parseUnsetEnvironment(value, line)
  }

  const parseEnvironment = (value: string, line: number): void => {
    if (value === '') {
      unit.directives.push({kind: 'reset-environment', file, line})
      return
    }
    const {words, error} = splitWords(value)
    // Values are never quoted in warnings: a badly split proxy URL leaks its password.
    for (const word of words) {
      const expanded = expandSpecifiers(word, names)
      if (!expanded.ok) {
        const what = word.includes('=') ? `the assignment of ${nameOf(word)}` : 'a word'
        warn(line, `Environment= ${what} contains a "%" that is not a systemd specifier, so systemd ignores it; write "%%" for a literal "%" (URL-encoded characters such as %40 become %%40)`)
        continue
      }
      const v = expanded.value
      const name = nameOf(v)
      if (!v.includes('=')) {
        warn(line, 'Environment= has a word without "=" (a value with spaces must be quoted), systemd ignores it')
        continue
      }
      if (!ENV_NAME.test(name)) {
        warn(line, 'Environment= assigns an invalid variable name, systemd ignores that assignment')
        continue
      }
      if (expanded.unexpanded.length > 0) {
        warn(line, `${name} contains ${expanded.unexpanded.join(', ')}, which systemd replaces with a machine-specific value; shown unexpanded`)
      }
      unit.directives.push({kind: 'set', name, value: v.slice(v.indexOf('=') + 1), file, line})
    }
    if (error) warn(line, `invalid syntax in Environment= (${error}), systemd ignores the rest of the line`)
  }

  const parseEnvironmentFileSetting = (value: string, line: number): void => {
    if (value === '') {
      unit.directives.push({kind: 'reset-environment-files', file, line})
      return
    }
    const expanded = expandSpecifiers(value, names)
    if (!expanded.ok) {
      warn(line, 'EnvironmentFile= contains a "%" that is not a systemd specifier, so systemd ignores the setting')
      return
    }
    const optional = expanded.value.startsWith('-')
    const path = optional ? expanded.value.slice(1) : expanded.value
    if (!path.startsWith('/')) {
      warn(line, `EnvironmentFile= path ${path} is not absolute, systemd ignores it`)
      return
    }
    if (expanded.unexpanded.length > 0) {
      warn(line, `EnvironmentFile= path contains ${expanded.unexpanded.join(', ')}, which systemd replaces with a machine-specific value`)
    }
    unit.directives.push({kind: 'environment-file', path, optional, file, line})
  }

  const parseUnsetEnvironment = (value: string, line: number): void => {
    if (value === '') {
      unit.directives.push({kind: 'reset-unset', file, line})
      return
    }
    const {words, error} = splitWords(value)
    for (const word of words) {
      const expanded = expandSpecifiers(word, names)
      if (!expanded.ok || !ENV_NAME.test(nameOf(expanded.value))) {
        warn(line, 'invalid UnsetEnvironment= entry, systemd ignores it')
        continue
      }
      unit.directives.push({kind: 'unset', entry: expanded.value, file, line})
    }
    if (error) warn(line, `invalid syntax in UnsetEnvironment= (${error}), systemd ignores the rest of the line`)
  }

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  let pending: {text: string; line: number} | null = null
  for (const [index, raw] of lines.entries()) {
    const lead = raw.replace(/^[ \t]+/, '')
    // Comment lines are skipped even inside a continuation (systemd.syntax(7)).
    if (lead.startsWith('#') || lead.startsWith(';')) continue
    const joined: string = pending ? pending.text + raw : raw
    const start: number = pending ? pending.line : index + 1
    if (continues(joined)) {
      pending = {text: `${joined.slice(0, -1)} `, line: start}
      continue
    }
    pending = null
    handle(joined, start)
  }
  if (pending) handle(pending.text, pending.line)
  return unit
}

/**
 * systemd's drop-in order: every "*.conf" from all drop-in folders, sorted by file name
 * (byte order); a name found in several folders is taken from the first folder. Pass the
 * paths with higher-priority folders first (/etc, then /run, then /usr/lib).
 */
export function systemdDropInOrder(paths: readonly string[]): string[] {
  const byName = new Map<string, string>()
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf('/') + 1)
    if (name.endsWith('.conf') && !byName.has(name)) byName.set(name, p)
  }
  return [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(name => byName.get(name)!)
}

export interface EnvironmentFileRef {
  path: string
  /** Written with a leading '-': a missing file is fine. */
  optional: boolean
  source: string
}

export interface UnitEnvironment {
  /** Environment= assignments still in force, each with file:line and name as source. */
  env: Record<string, Setting>
  /** EnvironmentFile= entries in force, in order; their values override env. */
  environmentFiles: EnvironmentFileRef[]
  /** UnsetEnvironment= entries in force, applied last. */
  unset: Array<{entry: string; source: string}>
  warnings: SourceWarning[]
}

/**
 * Apply the main unit file and its drop-ins in the order systemd reads them (the unit file,
 * then systemdDropInOrder): later assignments replace earlier ones, and an empty
 * Environment= / EnvironmentFile= / UnsetEnvironment= clears everything before it.
 */
export function mergeUnitEnvironment(units: readonly ParsedUnit[]): UnitEnvironment {
  let env = new Map<string, Setting>()
  let environmentFiles: EnvironmentFileRef[] = []
  let unset: Array<{entry: string; source: string}> = []
  const warnings: SourceWarning[] = []
  for (const unit of units) {
    warnings.push(...unit.warnings)
    for (const d of unit.directives) {
      const at = `${d.file}:${d.line}`
      switch (d.kind) {
        case 'set':
          env.set(d.name, {value: d.value, source: `${at}: ${d.name}`})
          break
        case 'reset-environment':
          env = new Map()
          break
        case 'environment-file':
          environmentFiles.push({path: d.path, optional: d.optional, source: at})
          break
        case 'reset-environment-files':
          environmentFiles = []
          break
        case 'unset':
          unset.push({entry: d.entry, source: at})
          break
        case 'reset-unset':
          unset = []
          break
      }
    }
  }
  return {env: Object.fromEntries(env), environmentFiles, unset, warnings}
}
