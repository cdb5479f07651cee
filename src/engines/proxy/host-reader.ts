/** Reading an engine's configuration files through a Host, with failures turned into notes. */
import path from 'node:path'
import type {Host} from '../../hosts/host.js'
import type {SourceWarning} from './source-warning.js'

const posix = path.posix

/** Reads through the host, remembering what was read and turning failures into notes. */
export class Reader {
  readonly sources: string[] = []
  readonly notes: string[] = []

  constructor(readonly host: Host) {}

  note(where: string, message: string): void {
    this.notes.push(`${where}: ${message}`)
  }

  warnings(list: readonly SourceWarning[]): void {
    for (const w of list) this.note(w.line === null ? w.file : `${w.file}:${w.line}`, w.message)
  }

  async read(file: string): Promise<string | null> {
    try {
      const text = await this.host.readFile(file)
      if (text !== null) this.sources.push(file)
      return text
    } catch (error) {
      this.note(file, `cannot read it (${errorCode(error)}); the answer may be incomplete`)
      return null
    }
  }

  async kind(file: string): Promise<'file' | 'directory' | 'other' | null> {
    try {
      return (await this.host.stat(file))?.kind ?? null
    } catch (error) {
      this.note(file, `cannot inspect it (${errorCode(error)})`)
      return null
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await this.host.listDir(dir)) ?? []
    } catch (error) {
      this.note(dir, `cannot list it (${errorCode(error)}); the answer may be incomplete`)
      return []
    }
  }

  /** "*.conf" entries of several folders, as full paths, in folder order then name order. */
  async confFiles(dirs: readonly string[]): Promise<string[]> {
    const out: string[] = []
    for (const dir of dirs) for (const name of await this.list(dir)) if (name.endsWith('.conf')) out.push(posix.join(dir, name))
    return out
  }
}

function errorCode(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined
  return e?.code ?? (error instanceof Error ? error.message : String(error))
}

export function absoluteEnv(host: Host, name: string): string | null {
  const v = host.env[name]
  return v && posix.isAbsolute(v) ? v : null
}

/** $XDG_CONFIG_HOME, else $HOME/.config; null without a usable HOME. */
export function configHome(host: Host): string | null {
  const xdg = absoluteEnv(host, 'XDG_CONFIG_HOME')
  if (xdg) return xdg
  const home = absoluteEnv(host, 'HOME')
  return home ? posix.join(home, '.config') : null
}

/** Path patterns of EnvironmentFile= may hold shell globs (systemd.exec(5)); sorted like glob(3). */
export async function expandGlob(reader: Reader, pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern]
  let bases = ['/']
  for (const part of pattern.split('/').filter(p => p !== '')) {
    const next: string[] = []
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(posix.join(base, part))
        continue
      }
      const re = globPart(part)
      for (const name of await reader.list(base)) {
        if (re.test(name) && (!name.startsWith('.') || part.startsWith('.'))) next.push(posix.join(base, name))
      }
    }
    bases = next
  }
  return bases.sort()
}

function globPart(part: string): RegExp {
  let re = ''
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[' && part.indexOf(']', i + 2) > 0) {
      const end = part.indexOf(']', i + 2)
      let body = part.slice(i + 1, end)
      if (body.startsWith('!')) body = `^${body.slice(1)}`
      re += `[${body.replace(/\\/g, '\\\\')}]`
      i = end
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

