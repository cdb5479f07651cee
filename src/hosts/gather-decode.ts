/**
 * The decoder of GATHER_SCRIPT's answer (gather-script.ts says its format): the lines into a
 * Snapshot, the raw content split into the environment and each file's bytes.
 */
import {posix} from 'node:path'
import {emptySnapshot, type GatherRequest, type Snapshot, type SnapshotEntry} from './snapshot.js'

const HEADER = 'mirrorctl-gather 2\n'
const CONTENT_LINE = Buffer.from('\ncontent ')
const CONTENT_END = Buffer.from('\ncontent-end\n')

/** The gather answer could not be understood (cut off, or not the script's output). */
export class GatherFormatError extends Error {
  /** Gathering again may give a good answer (GatherRaceError). */
  readonly retryable: boolean = false

  constructor(message: string) {
    super(`gather answer: ${message}`)
    this.name = 'GatherFormatError'
  }
}

/** A file changed size between the gather's stat and its read: gathering again gives a consistent answer. */
export class GatherRaceError extends GatherFormatError {
  override readonly retryable = true

  constructor(message: string) {
    super(message)
    this.name = 'GatherRaceError'
  }
}

function decodeName(token: string): string {
  if (token.startsWith('r:')) return token.slice(2)
  if (token.startsWith('b:')) return Buffer.from(token.slice(2), 'base64').toString('utf8')
  throw new GatherFormatError(`bad name token ${JSON.stringify(token.slice(0, 40))}`)
}

function fileInfo(fields: string[]): {kind: SnapshotEntry['kind']; info: NonNullable<SnapshotEntry['info']>; special?: string} {
  const [hex, uid, gid, size] = fields
  const raw = Number.parseInt(hex ?? '', 16)
  if (!Number.isFinite(raw) || fields.length !== 4) throw new GatherFormatError(`bad stat line "${fields.join(' ')}"`)
  const type = raw & 0o170000
  const kind = type === 0o100000 ? 'file' : type === 0o040000 ? 'directory' : 'other'
  return {kind, info: {kind, mode: raw & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size)}, ...(kind === 'other' ? {special: SPECIAL[type] ?? 'special file'} : {})}
}

const SPECIAL: Record<number, string> = {0o010000: 'a FIFO', 0o140000: 'a socket', 0o020000: 'a device', 0o060000: 'a device'}

/** Entry state for a stat line's WANT word (the script decided it from the size and [ -r ]). */
const WANT_STATE = {big: 'too-big', noread: 'unreadable'} as const

const EQUALS = 0x3d
const NEWLINE = 0x0a

/**
 * The environment at the head of the content stream: NUL-ended "NAME=value" entries, then
 * "=\n" where the next entry would start (no shell exports an empty name). Returns the offset
 * where the files' bytes start. Were "=\n" ever an entry's start, the bytes after it would
 * not add up to the files' sizes: GatherRaceError, never a wrong split unnoticed.
 */
function readEnv(bytes: Buffer, env: Record<string, string>): number {
  for (let at = 0; ; ) {
    if (bytes[at] === EQUALS && bytes[at + 1] === NEWLINE) return at + 2
    const end = bytes.indexOf(0, at)
    if (end < 0) throw new GatherFormatError('environment not ended')
    const pair = bytes.subarray(at, end).toString('utf8')
    const eq = pair.indexOf('=')
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1)
    at = end + 1
  }
}

/** The answer's lines, read in order. */
class AnswerLines {
  private at = 0

  constructor(private readonly lines: readonly string[]) {}

  next(): string {
    if (this.at >= this.lines.length) throw new GatherFormatError('cut off before "done"')
    return this.lines[this.at++]!
  }

  /** Consumes the next line when it is `line`. */
  take(line: string): boolean {
    if (this.lines[this.at] !== line) return false
    this.at++
    return true
  }

  peek(): string | undefined {
    return this.lines[this.at]
  }

  /** Base64 lines up to "." (ok) or "!" (the read failed). */
  block(): {bytes: Buffer; ok: boolean} {
    const parts: string[] = []
    for (;;) {
      const line = this.next()
      if (line === '.' || line === '!') return {bytes: Buffer.from(parts.join(''), 'base64'), ok: line === '.'}
      parts.push(line)
    }
  }
}

/** One path's answer; its "~/" resolves once the environment (in the content, at the end) is known. */
interface PathAnswer {
  request: string
  entry: SnapshotEntry
  children: [string, SnapshotEntry][]
}

/**
 * The answer's lines (up to the "content" line, and after the content) and the raw content
 * between them. No line before the content starts with "content " (names travel plain or as
 * base64, outputs as base64), and the lines after it (base64 and fixed words) never hold
 * "content-end": the first "content " line and the last "content-end" line frame the content,
 * whatever bytes the files hold.
 */
function splitAnswer(stdout: Buffer): {lines: string[]; content: Buffer | null} {
  // A login shell's rc file may print before the script runs (bash sources ~/.bashrc under
  // sshd): the script's header is the first line that is exactly that (file bytes follow it).
  const start = stdout.toString('latin1', 0, HEADER.length) === HEADER ? 0 : stdout.indexOf(`\n${HEADER}`) + 1
  const open = stdout.indexOf(CONTENT_LINE, start)
  const from = open < 0 ? -1 : stdout.indexOf(0x0a, open + 1)
  if (from < 0) return {lines: stdout.toString('utf8', start).split('\n'), content: null}
  const end = stdout.lastIndexOf(CONTENT_END)
  if (end <= from) throw new GatherFormatError('cut off in the content')
  const lines = [...stdout.toString('utf8', start, from).split('\n'), ...stdout.toString('utf8', end + CONTENT_END.length).split('\n')]
  return {lines, content: stdout.subarray(from + 1, end)}
}

/** Parses GATHER_SCRIPT's answer (its stdout bytes) to `requests`. `home` resolves "~/" paths when no facts were asked. */
export function decodeGatherOutput(stdout: Buffer, requests: readonly GatherRequest[], options: {home?: string | undefined} = {}): Snapshot {
  const parts = splitAnswer(stdout)
  const lines = new AnswerLines(parts.lines)
  if (lines.next() !== HEADER.trimEnd()) throw new GatherFormatError('does not start with the gather header')
  const snapshot = emptySnapshot()
  /** Entries that printed "T": their stat lines follow "stat", in this order. */
  const stated: SnapshotEntry[] = []
  const answers = readFirstPass(lines, requests, snapshot, stated)
  const wanted = readStats(lines, stated)

  let line = lines.next()
  let content: Buffer | null = null
  let envInContent = false
  let perFile: {bytes: Buffer; ok: boolean}[] | null = null
  if (line.startsWith('content ')) {
    envInContent = line === 'content 1'
    content = parts.content
    if (lines.take('readfail')) perFile = wanted.map(() => lines.block())
    line = lines.next()
  }
  if (line !== 'done') throw new GatherFormatError(`expected "done", got ${JSON.stringify(line.slice(0, 40))}`)
  fillContents(wanted, content, envInContent ? snapshot.env : null, perFile)

  const home = snapshot.env.HOME ?? options.home
  for (const {request, entry, children} of answers) {
    let path = request
    if (path.startsWith('~/')) {
      if (!home || !posix.isAbsolute(home)) continue
      path = posix.join(home, path.slice(2))
    }
    path = posix.normalize(path)
    if (entry.entries) for (const [name, child] of children) snapshot.entries.set(posix.join(path, name), child)
    snapshot.entries.set(path, entry)
  }
  return snapshot
}

/** The lines up to "stat": facts into `snapshot`, path answers returned, "T" entries pushed on `stated`. */
function readFirstPass(lines: AnswerLines, requests: readonly GatherRequest[], snapshot: Snapshot, stated: SnapshotEntry[]): PathAnswer[] {
  // An entry: "link", then "missing" or "T" with its listing state (children follow "list").
  const readEntry = (): SnapshotEntry => {
    let linkTarget: string | null = null
    let line = lines.next()
    if (line.startsWith('link ')) {
      const target = decodeName(line.slice(5))
      linkTarget = target.endsWith('\nx') ? target.slice(0, -2) : target
      line = lines.next()
    }
    if (line === 'missing') return {kind: 'missing', info: null, linkTarget}
    if (line !== 'T') throw new GatherFormatError(`expected an entry, got ${JSON.stringify(line.slice(0, 40))}`)
    const entry: SnapshotEntry = {kind: 'missing', info: null, linkTarget}
    stated.push(entry)
    if (lines.take('nolist')) entry.listState = 'unreadable'
    else if (lines.take('list')) {
      entry.entries = []
      entry.listState = 'ok'
    }
    return entry
  }

  const answers: PathAnswer[] = []
  let index = 0
  for (;;) {
    const line = lines.next()
    if (line === 'stat') break
    if (line.startsWith('uid ')) {
      snapshot.uid = Number(line.slice(4))
    } else if (line.startsWith('cmd ')) {
      const [, name, token] = line.split(' ')
      if (!name || !token) throw new GatherFormatError(`bad cmd line ${JSON.stringify(line)}`)
      snapshot.commands[name] = token === '-' ? null : decodeName(token)
    } else if (line.startsWith('ver ')) {
      const [, name, rc] = line.split(' ')
      snapshot.versions[name!] = {exitCode: Number(rc), output: lines.block().bytes.toString('utf8')}
    } else if (line.startsWith('unit ')) {
      const [, name, state] = line.split(' ')
      snapshot.units[name!] = state ?? 'unknown'
    } else if (line.startsWith('@ ')) {
      index = Number(line.slice(2))
      const request = requests[index - 1]
      if (!request) throw new GatherFormatError(`answer for request ${index} that was not asked`)
      // A version answer ("ver" lines, none when the command is absent) follows as facts do.
      if (request.mode === 'version' || lines.take('nohome')) continue
      const entry = readEntry()
      const children: [string, SnapshotEntry][] = []
      if (entry.listState === 'ok') {
        while (lines.peek()?.startsWith('child ')) children.push([decodeName(lines.next().slice(6)), readEntry()])
        if (lines.next() !== 'end') throw new GatherFormatError(`listing of ${request.path} not ended`)
        entry.entries = children.map(([name]) => name).sort()
      }
      answers.push({request: request.path, entry, children})
    } else if (line !== '') {
      throw new GatherFormatError(`unexpected line ${JSON.stringify(line.slice(0, 60))}`)
    }
  }
  if (index !== requests.length) throw new GatherFormatError(`answered ${index} of ${requests.length} paths`)
  return answers
}

/** One stat line per `stated` entry fills it in; returns the "data" entries, in the content's order. */
function readStats(lines: AnswerLines, stated: readonly SnapshotEntry[]): SnapshotEntry[] {
  const wanted: SnapshotEntry[] = []
  for (const entry of stated) {
    const line = lines.next()
    const fields = line.split(' ')
    const want = fields.pop()
    if (fields[0] === 'err') {
      // Vanished between the first pass and its stat: missing, as stat(2) would say.
      delete entry.entries
      delete entry.listState
      continue
    }
    Object.assign(entry, fileInfo(fields))
    if (want === 'data') wanted.push(entry)
    else if (want === 'big' || want === 'noread') entry.contentState = WANT_STATE[want]
    else if (want !== '-') throw new GatherFormatError(`bad stat line ${JSON.stringify(line.slice(0, 60))}`)
  }
  return wanted
}

/**
 * Splits the content stream: the environment (when `env` is given), then each wanted file's
 * bytes by its stat size. With `perFile` (cat failed on some file) the bytes come from there.
 */
function fillContents(wanted: readonly SnapshotEntry[], content: Buffer | null, env: Record<string, string> | null, perFile: readonly {bytes: Buffer; ok: boolean}[] | null): void {
  let at = content && env ? readEnv(content, env) : 0
  if (perFile) {
    wanted.forEach((entry, i) => {
      const {bytes, ok} = perFile[i]!
      if (ok) Object.assign(entry, {content: bytes, contentState: 'ok'})
      else entry.contentState = 'unreadable'
    })
    return
  }
  const total = wanted.reduce((sum, e) => sum + e.info!.size, 0)
  const got = (content?.length ?? 0) - at
  if (got !== total) throw new GatherRaceError(`files changed while being read (${got} bytes where their stat said ${total})`)
  for (const entry of wanted) {
    entry.content = content!.subarray(at, at + entry.info!.size)
    entry.contentState = 'ok'
    at += entry.info!.size
  }
}
