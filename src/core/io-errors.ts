import {UserError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {MAX_CONFIG_BYTES} from './limits.js'
import {InvalidUtf8Error} from './text-decode.js'

/** A path that exists but is not a regular file (FIFO, socket, device, folder). */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG'
  constructor(readonly kind: string) {
    super(`not a regular file (${kind})`)
  }
}

/** A file above MAX_CONFIG_BYTES: refused before it is read whole. */
export class TooLargeError extends Error {
  readonly code = 'EFBIG'
  constructor(readonly size: number) {
    super(`larger than ${MAX_CONFIG_BYTES} bytes`)
  }
}

const EXPLAIN: Record<string, {what: string; hint?: string}> = {
  ENOENT: {what: 'no such file or folder'},
  ENOTDIR: {what: 'a part of the path is not a folder'},
  EACCES: {what: 'permission denied', hint: 'run as a user that may access it (for system files: sudo), or use --root on a copy'},
  EPERM: {what: 'operation not permitted', hint: 'run as a user that may change it, or use --root on a copy'},
  EROFS: {what: 'the file system is read-only', hint: 'remount it read-write, or edit a copy with --root'},
  ENOSPC: {what: 'no space left on the device', hint: 'free some space and run again; nothing was changed'},
  EDQUOT: {what: 'disk quota exceeded', hint: 'free some space and run again; nothing was changed'},
  ELOOP: {what: 'too many levels of symbolic links (a link loop)', hint: 'fix the symbolic links on this path'},
  EISDIR: {what: 'it is a folder, not a file'},
  ENOTREG: {what: 'not a regular file', hint: 'give a regular file: FIFOs, sockets and devices are never read'},
  EFBIG: {what: `larger than the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB limit for a config file`, hint: 'real configuration files are a few KiB: is this the right file?'},
}

export function errnoCode(error: unknown): string | undefined {
  return (error as {code?: unknown} | undefined)?.code as string | undefined
}

/** An expected I/O failure as a clear UserError (exit 2) with the file set; other errors are returned unchanged. */
export function ioUserError(file: string, error: unknown, action: 'read' | 'write' | 'list'): Error {
  if (error instanceof UserError) return error
  if (error instanceof InvalidUtf8Error)
    return new UserError(`not valid UTF-8 (byte offset ${error.offset}): mirrorctl reads and edits UTF-8 text only`, {
      exitCode: ExitCode.Usage,
      position: {file, line: error.line, column: error.column},
      hint: 'save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`)',
      cause: error,
    })
  const code = errnoCode(error)
  const known = code ? EXPLAIN[code] : undefined
  const detail = error instanceof NotRegularFileError ? `not a regular file (${error.kind})` : known?.what
  if (!detail) return error instanceof Error ? error : new Error(String(error))
  const verb = action === 'read' ? 'cannot read it' : action === 'list' ? 'cannot list it' : 'cannot write it'
  return new UserError(`${verb}${code ? ` (${code})` : ''}: ${detail}`, {
    exitCode: ExitCode.Usage,
    position: {file, line: null},
    ...(known?.hint ? {hint: known.hint} : {}),
    cause: error,
  })
}

/**
 * For the last line of defence (BaseCommand): an I/O error of a known kind that carries its
 * path becomes a clear UserError (exit 2) instead of "unexpected error".
 */
export function knownIoError(error: unknown): UserError | null {
  const file = (error as {path?: unknown} | undefined)?.path
  if (typeof file !== 'string') return null
  const syscall = (error as {syscall?: string}).syscall
  const reading = syscall === undefined || ['open', 'read', 'stat', 'lstat', 'readlink', 'scandir'].includes(syscall)
  const converted = ioUserError(file, error, reading ? 'read' : 'write')
  return converted instanceof UserError ? converted : null
}
