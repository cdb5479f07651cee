import {constants, promises as fs, type Stats} from 'node:fs'
import path from 'node:path'
import {HOST_LOCK_PATH, MAX_CONFIG_BYTES} from '../core/limits.js'
import {NotRegularFileError, TooLargeError} from '../core/io-errors.js'
import {decodeUtf8} from '../core/text-decode.js'
import {APPLY_SCRIPT} from './apply-script.js'
import {ApplyScriptError, decodeApplyResult, encodeApplyRequest} from './apply-manifest.js'
import type {ExecResult, FileInfo, Host} from './host.js'
import type {ApplyRequest, ApplyResult} from './write-plan.js'

/** Links followed while resolving one path before giving up with ELOOP (Linux's limit). */
const MAX_LINKS = 40

/**
 * This machine, optionally with every path placed under a root folder that stands in
 * for / (an image being prepared, a chroot, a test tree). Under a root, symbolic links
 * resolve inside it as chroot would: an absolute target means ROOT/target and `..` stops
 * at ROOT, so no read or write ever leaves the tree. Commands run unprefixed.
 */
export class LocalHost implements Host {
  readonly name: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly isRoot: boolean

  constructor(
    readonly root: string | undefined = undefined,
    env: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    this.root = root === undefined ? undefined : path.resolve(root)
    this.name = this.root ? `--root ${this.root}` : 'localhost'
    this.env = env
    this.isRoot = typeof process.getuid === 'function' ? process.getuid() === 0 : false
  }

  /** The real path of a host path, without following links (see resolve for that). */
  real(p: string): string {
    if (!path.isAbsolute(p)) throw new Error(`host paths must be absolute: ${p}`)
    return this.root ? path.join(this.root, p) : p
  }

  /**
   * The real path of a host path with every link resolved inside the root (chroot
   * semantics); without a root the path itself, the kernel follows links. A missing
   * component ends the resolution: the rest is taken literally.
   */
  async resolve(p: string): Promise<string> {
    if (!path.isAbsolute(p)) throw new Error(`host paths must be absolute: ${p}`)
    if (!this.root) return p
    const queue = p.split('/').filter(Boolean)
    let done: string[] = []
    let links = 0
    let missing = false
    while (queue.length) {
      const part = queue.shift()!
      if (part === '.') continue
      if (part === '..') {
        done.pop()
        continue
      }
      const real = path.join(this.root, ...done, part)
      const info = missing ? null : await fs.lstat(real).catch((error: unknown) => (isMissing(error) ? null : Promise.reject(error)))
      if (!info) missing = true
      if (info?.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${p}`), {code: 'ELOOP', path: p})
        const target = await fs.readlink(real)
        if (target.startsWith('/')) done = []
        queue.unshift(...target.split('/').filter(Boolean))
        continue
      }
      done.push(part)
    }
    return path.join(this.root, ...done)
  }

  /** A host path for a real one (the inverse of resolve, for messages). */
  hostPath(real: string): string {
    if (!this.root) return real
    const rel = path.relative(this.root, real)
    return rel.startsWith('..') || path.isAbsolute(rel) ? real : '/' + rel
  }

  /**
   * Text of a regular file, strictly UTF-8 (InvalidUtf8Error otherwise), or null when it
   * does not exist. FIFOs, sockets and devices are refused before they are opened for
   * reading (and opened non-blocking, checked again on the handle); files above
   * MAX_CONFIG_BYTES are refused before they are read.
   */
  async readFile(p: string): Promise<string | null> {
    try {
      return await this.readText(p)
    } catch (error) {
      // Named by the host path, so any caller's message can say which file.
      if (error instanceof Error && (error as {path?: unknown}).path === undefined) Object.assign(error, {path: p})
      throw error
    }
  }

  private async readText(p: string): Promise<string | null> {
    const real = await this.resolve(p)
    const first = await fs.stat(real).catch((error: unknown) => (isMissing(error) ? null : Promise.reject(error)))
    if (!first) return null
    checkReadable(first)
    const handle = await fs.open(real, constants.O_RDONLY | constants.O_NONBLOCK | (this.root ? constants.O_NOFOLLOW : 0))
    try {
      const info = await handle.stat()
      checkReadable(info)
      const buffer = Buffer.alloc(Math.min(info.size, MAX_CONFIG_BYTES) + 1)
      let length = 0
      for (;;) {
        const {bytesRead} = await handle.read(buffer, length, buffer.length - length, length)
        if (bytesRead === 0) break
        length += bytesRead
        if (length === buffer.length) {
          if (length > MAX_CONFIG_BYTES) throw new TooLargeError(length)
          break
        }
      }
      return decodeUtf8(buffer.subarray(0, length))
    } finally {
      await handle.close()
    }
  }

  async stat(p: string): Promise<FileInfo | null> {
    try {
      const s = await fs.stat(await this.resolve(p))
      return {
        kind: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other',
        mode: s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        size: s.size,
      }
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  async listDir(p: string): Promise<string[] | null> {
    try {
      return (await fs.readdir(await this.resolve(p))).sort()
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  /**
   * Runs APPLY_SCRIPT with /bin/sh, the manifest on stdin; under a root every path (files,
   * backup folder, lock) is resolved inside it first, so the script never leaves the tree.
   */
  async applyWrites(request: ApplyRequest): Promise<ApplyResult> {
    const placed = await Promise.all(request.writes.map((w) => this.resolve(w.path)))
    const backupDir = request.backupDir === null ? null : await this.resolve(request.backupDir)
    const lockPath = await this.resolve(this.lockPath())
    const input = encodeApplyRequest(request, {lockPath, backupDir, place: (_, i) => placed[i]!})
    const {execa} = await import('execa')
    const env: Record<string, string> = {LC_ALL: 'C', PATH: this.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}
    if (this.env.TMPDIR) env.TMPDIR = this.env.TMPDIR
    const r = await execa('/bin/sh', ['-c', APPLY_SCRIPT], {reject: false, input, env, extendEnv: false})
    const stdout = String(r.stdout)
    if (r.exitCode !== 0 && !stdout.includes('mirrorctl-apply-')) throw new ApplyScriptError(`the apply script failed (exit ${r.exitCode}): ${String(r.stderr).trim()}`)
    const result = decodeApplyResult(stdout)
    return {
      lock: result.lock,
      files: result.files.map((f, i) => ({
        ...f,
        path: request.writes[i]?.path ?? f.path,
        target: this.hostPath(f.target),
        backup: f.backup === null ? null : this.hostPath(f.backup),
      })),
    }
  }

  /**
   * The host lock: HOST_LOCK_PATH for root and for any --root tree (the lock the fleet
   * apply takes there). A user without --root edits only their own files and cannot
   * create /run/lock files everywhere, so their runs share a per-user lock instead.
   */
  lockPath(): string {
    if (this.root || this.isRoot) return HOST_LOCK_PATH
    const runtime = this.env.XDG_RUNTIME_DIR
    if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'mirrorctl.lock')
    const home = this.env.HOME && path.isAbsolute(this.env.HOME) ? this.env.HOME : '/tmp'
    const state = this.env.XDG_STATE_HOME && path.isAbsolute(this.env.XDG_STATE_HOME) ? this.env.XDG_STATE_HOME : path.join(home, '.local/state')
    return path.join(state, 'mirrorctl/mirrorctl.lock')
  }

  async exec(command: string, args: readonly string[], options: {input?: string} = {}): Promise<ExecResult> {
    const {execa} = await import('execa')
    // The sbin folders are searched too, as the gather script does over SSH: dockerd and
    // containerd live in /usr/sbin on Debian, outside a non-root login's PATH.
    const env = {...this.env, PATH: `${this.env.PATH ?? '/usr/bin:/bin'}:/usr/local/sbin:/usr/sbin:/sbin`} as NodeJS.ProcessEnv
    const r = await execa(command, args, {reject: false, input: options.input ?? '', env})
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
}

function checkReadable(s: Stats): void {
  if (!s.isFile()) throw new NotRegularFileError(s.isDirectory() ? 'a folder' : s.isFIFO() ? 'a FIFO' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : 'special file')
  if (s.size > MAX_CONFIG_BYTES) throw new TooLargeError(s.size)
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}
