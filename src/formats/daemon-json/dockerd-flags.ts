/**
 * dockerd's command line as systemd runs it: the ExecStart= of docker.service and its drop-ins,
 * split into words the way systemd does, then read as dockerd (pflag) reads flags. Used to find
 * options set both on the command line and in daemon.json.
 *
 * Sources: systemd.service(5) "Command lines" (prefixes, $VAR and ${VAR}, quoting), systemd.unit(5)
 * (drop-ins; an empty ExecStart= resets the list), moby contrib/init/systemd/docker.service.
 */
import {OPTIONS} from './known-keys.js'

export interface ExecStartCommand {
  /** The words after prefix handling; argv[0] is the executable path. */
  argv: string[]
  /** Which of the given unit texts it came from (0 = the unit, then its drop-ins in order). */
  file: number
  /** 1-based line of the ExecStart= line in that text. */
  line: number
  /** $VAR and ${VAR} references that the given environment could not expand. */
  unresolved: string[]
}

/**
 * The ExecStart= commands in effect after reading a unit and its drop-ins in order (the order
 * systemd applies them). An empty `ExecStart=` clears the commands collected so far.
 */
export function execStartCommands(unitTexts: readonly string[], env: Readonly<Record<string, string>> = {}): ExecStartCommand[] {
  let commands: ExecStartCommand[] = []
  unitTexts.forEach((text, file) => {
    let section = ''
    for (const {value: raw, line} of logicalLines(text)) {
      const trimmed = raw.trim()
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue
      const header = /^\[(.+)\]$/.exec(trimmed)
      if (header) {
        section = header[1]!
        continue
      }
      const m = /^ExecStart\s*=(.*)$/.exec(trimmed)
      if (section !== 'Service' || !m) continue
      const value = m[1]!.trim()
      if (value === '') {
        commands = []
        continue
      }
      commands.push({...commandLine(value, env), file, line})
    }
  })
  return commands
}

/** The ExecStart= command that runs dockerd, or null when none does. */
export function dockerdCommand(unitTexts: readonly string[], env: Readonly<Record<string, string>> = {}): ExecStartCommand | null {
  return execStartCommands(unitTexts, env).find((c) => /(?:^|\/)dockerd$/.test(c.argv[0] ?? '')) ?? null
}

/** Lines with backslash continuations joined, each with the line number where it starts. */
function logicalLines(text: string): {value: string; line: number}[] {
  const out: {value: string; line: number}[] = []
  const physical = text.split(/\r?\n/)
  for (let n = 0; n < physical.length; n++) {
    const start = n + 1
    let value = physical[n]!
    while (/\\\s*$/.test(value) && n + 1 < physical.length) {
      value = value.replace(/\\\s*$/, ' ') + physical[++n]!
    }
    out.push({value, line: start})
  }
  return out
}

/** Applies the ExecStart prefix characters (@ - : + !) and splits the rest into words. */
function commandLine(value: string, env: Readonly<Record<string, string>>): {argv: string[]; unresolved: string[]} {
  const prefix = /^[@\-:+!]*/.exec(value)![0]
  const {words, unresolved} = splitCommandLine(value.slice(prefix.length), env)
  // With "@", the second word is argv[0] and the first is the program to run.
  const argv = prefix.includes('@') && words.length >= 2 ? [words[0]!, ...words.slice(2)] : words
  return {argv, unresolved}
}

/** Splits a systemd command line into words: quotes, C escapes, $VAR (many words), ${VAR} (one word), %%. */
export function splitCommandLine(line: string, env: Readonly<Record<string, string>> = {}): {words: string[]; unresolved: string[]} {
  const words: string[] = []
  const unresolved: string[] = []
  let i = 0
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++
    if (i >= line.length) break
    // A word that is exactly $NAME expands to the variable's words.
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/.exec(line.slice(i))
    if (whole) {
      const name = whole[1]!
      if (name in env) words.push(...env[name]!.split(/\s+/).filter(Boolean))
      else unresolved.push(whole[0])
      i += whole[0].length
      continue
    }
    let word = ''
    let quote: string | null = null
    for (; i < line.length; i++) {
      const c = line[i]!
      if (quote === null && /\s/.test(c)) break
      if (quote === null && (c === '"' || c === "'")) {
        quote = c
      } else if (c === quote) {
        quote = null
      } else if (c === '\\' && i + 1 < line.length) {
        const [text, used] = cEscape(line, i + 1)
        word += text
        i += used
      } else if (c === '$' && line[i + 1] === '{') {
        const close = line.indexOf('}', i + 2)
        const name = close === -1 ? '' : line.slice(i + 2, close)
        if (close !== -1 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          if (name in env) word += env[name]
          else {
            unresolved.push(`\${${name}}`)
            word += `\${${name}}`
          }
          i = close
        } else {
          word += c
        }
      } else if (c === '%' && line[i + 1] === '%') {
        word += '%'
        i++
      } else {
        word += c
      }
    }
    words.push(word)
  }
  return {words, unresolved}
}

/** One C-style escape after a backslash at `at`: the text it stands for and how many characters it used. */
function cEscape(line: string, at: number): [string, number] {
  const c = line[at]!
  const simple: Record<string, string> = {a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', s: ' ', '\\': '\\', '"': '"', "'": "'"}
  if (c in simple) return [simple[c]!, 1]
  const hex = /^x([0-9a-fA-F]{2})/.exec(line.slice(at))
  if (hex) return [String.fromCharCode(parseInt(hex[1]!, 16)), 3]
  const octal = /^([0-7]{3})/.exec(line.slice(at))
  if (octal) return [String.fromCharCode(parseInt(octal[1]!, 8)), 3]
  return [c, 1]
}

// ---- dockerd flags

export interface DockerdFlag {
  /** Long flag name; for a flag dockerd does not have, the name as given. */
  name: string
  known: boolean
  /** The flag as written, with its value: "-H fd://", "--containerd=/run/containerd/containerd.sock". */
  given: string
  value: string | null
}

interface FlagSpec {
  name: string
  short?: string
  bool: boolean
}

const EXTRA_FLAGS: FlagSpec[] = [
  {name: 'help', bool: true},
  {name: 'version', short: 'v', bool: true},
]

const FLAGS: FlagSpec[] = [
  ...new Map(
    OPTIONS.filter((o) => o.flag).map((o) => [o.flag!, {name: o.flag!, ...(o.short ? {short: o.short} : {}), bool: o.type === 'boolean'}]),
  ).values(),
  ...EXTRA_FLAGS,
]

/**
 * Reads dockerd's flags from an argv (with or without the program as argv[0]) as pflag does:
 * --name=value, --name value, -H value, -Hvalue, grouped boolean shorthands, "--" ends flags.
 */
export function parseDockerdArgs(argv: readonly string[]): DockerdFlag[] {
  const out: DockerdFlag[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = arg.slice(2, eq === -1 ? undefined : eq)
      const spec = FLAGS.find((f) => f.name === name)
      let value: string | null = eq === -1 ? null : arg.slice(eq + 1)
      let given = arg
      if (value === null && spec && !spec.bool && i + 1 < argv.length) {
        value = argv[++i]!
        given = `${arg} ${value}`
      }
      out.push({name, known: Boolean(spec), given, value})
    } else if (arg.startsWith('-') && arg.length > 1) {
      // A group of shorthands: booleans, then at most one that takes the rest (or the next word).
      for (let k = 1; k < arg.length; k++) {
        const spec = FLAGS.find((f) => f.short === arg[k])
        if (!spec || spec.bool) {
          const rest = arg[k + 1] === '=' ? arg.slice(k + 2) : null
          out.push({name: spec?.name ?? arg[k]!, known: Boolean(spec), given: `-${arg[k]}`, value: rest})
          if (rest !== null) break
          continue
        }
        let value = arg.slice(k + 1).replace(/^=/, '')
        let given = `-${arg.slice(k)}`
        if (value === '' && i + 1 < argv.length) {
          value = argv[++i]!
          given = `-${arg[k]} ${value}`
        }
        out.push({name: spec.name, known: true, given, value})
        break
      }
    }
  }
  return out
}
