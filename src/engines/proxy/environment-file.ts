/** EnvironmentFile= contents, and the environment systemd finally gives a service. */
import type {Setting} from '../../net/proxy.js'
import type {SourceWarning} from './source-warning.js'
import {ENV_NAME, isWs, type UnitEnvironment} from './systemd-unit.js'

export interface EnvironmentFileAssignment {
  name: string
  value: string
  line: number
}

/**
 * An EnvironmentFile= file, read as systemd reads it: "KEY=VALUE" lines; '#' or ';' starts
 * a comment only at the beginning of a line; values may be '...' (literal) or "..." (where
 * \" \\ \` \$ are unescaped and other backslashes kept); outside quotes a backslash escapes
 * the next character and a backslash-newline continues the value; trailing whitespace of
 * unquoted values is dropped. No "export", no variable expansion.
 */
export function parseEnvironmentFile(text: string, file: string): {assignments: EnvironmentFileAssignment[]; warnings: SourceWarning[]} {
  const assignments: EnvironmentFileAssignment[] = []
  const warnings: SourceWarning[] = []
  type State = 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment' | 'commentEscape'
  let state: State = 'preKey'
  let key = ''
  let value = ''
  let keyTrailingWs = -1
  let valueTrailingWs = -1
  let line = 1
  let keyLine = 1
  const push = (): void => {
    const name = keyTrailingWs >= 0 ? key.slice(0, keyTrailingWs) : key
    if (ENV_NAME.test(name)) {
      assignments.push({name, value, line: keyLine})
    } else {
      const hint = name.startsWith('export ') ? ' (systemd does not understand "export")' : ''
      warnings.push({file, line: keyLine, message: `invalid variable name ${JSON.stringify(name)}${hint}, systemd ignores this assignment`})
    }
    key = ''
    value = ''
  }
  const isNewline = (c: string): boolean => c === '\n' || c === '\r'
  for (const c of text) {
    switch (state) {
      case 'preKey':
        if (c === '#' || c === ';') state = 'comment'
        else if (!isWs(c)) {
          state = 'key'
          key = c
          keyTrailingWs = -1
          keyLine = line
        }
        break
      case 'key':
        if (isNewline(c)) {
          state = 'preKey'
          key = ''
        } else if (c === '=') {
          state = 'preValue'
          value = ''
          valueTrailingWs = -1
        } else {
          if (!isWs(c)) keyTrailingWs = -1
          else if (keyTrailingWs < 0) keyTrailingWs = key.length
          key += c
        }
        break
      case 'preValue':
        if (isNewline(c)) {
          state = 'preKey'
          push()
        } else if (c === "'") state = 'single'
        else if (c === '"') state = 'double'
        else if (c === '\\') state = 'valueEscape'
        else if (!isWs(c)) {
          state = 'value'
          value += c
        }
        break
      case 'value':
        if (isNewline(c)) {
          state = 'preKey'
          if (valueTrailingWs >= 0) value = value.slice(0, valueTrailingWs)
          push()
        } else if (c === '\\') {
          state = 'valueEscape'
          valueTrailingWs = -1
        } else {
          if (!isWs(c)) valueTrailingWs = -1
          else if (valueTrailingWs < 0) valueTrailingWs = value.length
          value += c
        }
        break
      case 'valueEscape':
        state = 'value'
        if (!isNewline(c)) value += c
        break
      case 'single':
        if (c === "'") state = 'preValue'
        else value += c
        break
      case 'double':
        if (c === '"') state = 'preValue'
        else if (c === '\\') state = 'doubleEscape'
        else value += c
        break
      case 'doubleEscape':
        state = 'double'
        if ('"\\`$'.includes(c)) value += c
        else if (c !== '\n') value += `\\${c}`
        break
      case 'comment':
        if (c === '\\') state = 'commentEscape'
        else if (isNewline(c)) state = 'preKey'
        break
      case 'commentEscape':
        state = isNewline(c) ? 'preKey' : 'comment'
        break
    }
    if (c === '\n') line++
  }
  if (state === 'value' && valueTrailingWs >= 0) value = value.slice(0, valueTrailingWs)
  if (['preValue', 'value', 'valueEscape', 'single', 'double', 'doubleEscape'].includes(state)) push()
  return {assignments, warnings}
}

export interface EnvironmentFileContent {
  path: string
  optional: boolean
  /** null when the file does not exist. */
  text: string | null
}

/**
 * The environment systemd gives the service: Environment= values, overridden by the
 * EnvironmentFile= files in order (systemd.exec(5): file values win whatever the order of
 * the lines), then UnsetEnvironment= removals. Pass the files in the order of
 * unit.environmentFiles, globs already expanded.
 */
export function serviceEnvironment(unit: UnitEnvironment, files: readonly EnvironmentFileContent[]): {env: Record<string, Setting>; warnings: SourceWarning[]} {
  const env: Record<string, Setting> = {...unit.env}
  const warnings: SourceWarning[] = [...unit.warnings]
  for (const f of files) {
    if (f.text === null) {
      if (!f.optional) warnings.push({file: f.path, line: null, message: 'EnvironmentFile= without "-" names a missing file: systemd refuses to start the service'})
      continue
    }
    const parsed = parseEnvironmentFile(f.text, f.path)
    warnings.push(...parsed.warnings)
    for (const a of parsed.assignments) env[a.name] = {value: a.value, source: `${f.path}:${a.line}: ${a.name}`}
  }
  for (const {entry} of unit.unset) {
    const eq = entry.indexOf('=')
    if (eq < 0) delete env[entry]
    else if (env[entry.slice(0, eq)]?.value === entry.slice(eq + 1)) delete env[entry.slice(0, eq)]
  }
  return {env, warnings}
}
