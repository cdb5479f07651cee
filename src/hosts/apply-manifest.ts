/**
 * The two ends of APPLY_SCRIPT's protocol, on mirrorctl's side: the manifest it reads on
 * stdin (encodeApplyRequest) and the result it prints (decodeApplyResult), with the reasons
 * it gives mapped to errno names. The script itself is in apply-script.ts.
 */
import {createHash} from 'node:crypto'
import {backupSlotName} from './backup.js'
import type {ApplyRequest, ApplyResult, FileWriteOutcome, FileWriteStatus} from './write-plan.js'

/** How long the script waits for the host lock before giving up (seconds). */
export const LOCK_WAIT_SECONDS = 60

export interface ApplyEncodeOptions {
  /** The lock file as the script sees it (already placed under a --root). */
  lockPath: string
  lockWaitSeconds?: number
  /** Where the script finds each file (a --root host resolves it inside the root); default: its path. */
  place?: (path: string, index: number) => string
  /** The backup folder as the script sees it; default: request.backupDir. */
  backupDir?: string | null
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** Bytes that travel as themselves in a manifest field; every other one as a \0NNN escape. */
const PLAIN = /^[A-Za-z0-9/._+@,=:~%-]$/

/** A manifest field for the script's `printf %b` (a fork there only when something is escaped). */
function escapeField(text: string): string {
  const bytes = [...Buffer.from(text, 'utf8')]
  return bytes.map((b) => (b < 0x80 && PLAIN.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '\\0' + b.toString(8).padStart(3, '0'))).join('')
}

/**
 * Each byte of a content line as the script's printf %b writes it back: printable ASCII as
 * itself, every other byte and EVERY backslash as \0NNN (so that "\c", which ends printf's
 * output, can never occur).
 */
const CONTENT_BYTE: readonly string[] = Array.from({length: 256}, (_, b) => (b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : '\\0' + b.toString(8).padStart(3, '0')))

/** A file's content (text as UTF-8, or raw bytes) as one manifest line of printf %b escapes (no newline inside). */
export function escapeContent(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  const parts = new Array<string>(bytes.length)
  for (let i = 0; i < bytes.length; i++) parts[i] = CONTENT_BYTE[bytes[i]!]!
  return parts.join('')
}

/**
 * The manifest APPLY_SCRIPT reads on stdin: a header line, the settings line (lock, backup
 * folder or "-", backups kept, file count, lock wait), one line per file (path, backup slot,
 * mode, sha256 of the expected text or "-" = must not exist, sha256 of the new text or "-"
 * = remove), then each file's content on a line of its own (escapeContent; "-" for a removal).
 * Paths are escaped (escapeField), so no field holds a space or a newline.
 */
export function encodeApplyRequest(request: ApplyRequest, options: ApplyEncodeOptions): string {
  for (const w of request.writes) {
    if (!w.path.startsWith('/') || w.path.includes('\0')) throw new Error(`apply: host paths must be absolute: ${JSON.stringify(w.path)}`)
    if (!Number.isInteger(w.mode) || w.mode < 0 || w.mode > 0o7777) throw new Error(`apply: bad mode ${w.mode} for ${w.path}`)
  }
  if (!Number.isInteger(request.keep) || request.keep < 1) throw new Error(`apply: keep must be a positive integer, got ${request.keep}`)
  const backupDir = (options.backupDir === undefined ? request.backupDir : options.backupDir) ?? null
  const wait = Math.max(1, Math.round(options.lockWaitSeconds ?? LOCK_WAIT_SECONDS))
  const lines = ['mirrorctl-apply 3', [escapeField(options.lockPath), backupDir === null ? '-' : escapeField(backupDir), request.keep, request.writes.length, wait].join(' ')]
  const digest = (text: string | null) => (text === null ? '-' : sha256(text))
  for (const [i, w] of request.writes.entries()) {
    const place = options.place ? options.place(w.path, i) : w.path
    lines.push([escapeField(place), escapeField(backupSlotName(w.path)), w.mode.toString(8).padStart(4, '0'), digest(w.expect), digest(w.content)].join(' '))
  }
  for (const w of request.writes) lines.push(w.content === null ? '-' : escapeContent(w.content))
  return lines.join('\n') + '\n'
}

/** The script ran but refused the whole request (bad manifest, lock timeout). */
export class ApplyScriptError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ApplyScriptError'
  }
}

const STATUSES: readonly FileWriteStatus[] = ['written', 'unchanged', 'conflict', 'failed', 'skipped']

/** An output field: "r:TEXT" for plain text, else base64 (the script's enc). */
const unfield = (field: string): string => (field.startsWith('r:') ? field.slice(2) : Buffer.from(field, 'base64').toString('utf8'))
const optional = (field: string): string | null => (field === '-' ? null : unfield(field))

/** Parses the script's stdout; throws ApplyScriptError for its refusal or for output it did not write. */
export function decodeApplyResult(stdout: string): ApplyResult {
  const lines = stdout.split('\n').filter((l) => l !== '')
  const refusal = lines.find((l) => l.startsWith('mirrorctl-apply-error '))
  if (refusal) throw new ApplyScriptError(unfield(refusal.slice('mirrorctl-apply-error '.length)))
  if (lines[0] !== 'mirrorctl-apply-result 1') throw new ApplyScriptError(`the apply script gave no result (${JSON.stringify(stdout.slice(0, 200))})`)
  const lock = /^lock (flock|mkdir)$/.exec(lines[1] ?? '')?.[1] as ApplyResult['lock'] | undefined
  if (!lock) throw new ApplyScriptError(`the apply script did not say which lock it took: ${JSON.stringify(lines[1] ?? '')}`)
  const files: FileWriteOutcome[] = lines.slice(2).map((l) => {
    const [tag, status, path, target, backup, reason, ...rest] = l.split(' ')
    if (tag !== 'file' || rest.length || reason === undefined || !STATUSES.includes(status as FileWriteStatus))
      throw new ApplyScriptError(`unexpected line from the apply script: ${JSON.stringify(l.slice(0, 200))}`)
    return {path: unfield(path!), target: unfield(target!), status: status as FileWriteStatus, backup: optional(backup!), reason: optional(reason)}
  })
  return {lock, files}
}

/** errno name a failure reason stands for (coreutils prints strerror text, not the name). */
export function reasonCode(reason: string | null): string | null {
  if (!reason) return null
  const named = /^(E[A-Z]+):/.exec(reason)?.[1]
  if (named) return named
  const table: [RegExp, string][] = [
    [/Read-only file system/i, 'EROFS'],
    [/Permission denied|Operation not permitted/i, 'EACCES'],
    [/No space left on device|Disk quota exceeded/i, 'ENOSPC'],
    [/Too many levels of symbolic links/i, 'ELOOP'],
    [/Not a directory/i, 'ENOTDIR'],
    [/Is a directory/i, 'EISDIR'],
  ]
  return table.find(([re]) => re.test(reason))?.[1] ?? null
}
