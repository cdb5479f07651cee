import {constants, promises as fs} from 'node:fs'
import path from 'node:path'
import {randomBytes} from 'node:crypto'
import type {ExecResult, FileInfo, Host, WriteOptions} from './host.js'

/**
 * This machine, optionally with every path placed under a root folder that stands in
 * for / (an image being prepared, a chroot, a test tree). Commands run unprefixed.
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

  /** The real path of a path as the host sees it. */
  real(p: string): string {
    if (!path.isAbsolute(p)) throw new Error(`host paths must be absolute: ${p}`)
    return this.root ? path.join(this.root, p) : p
  }

  async readFile(p: string): Promise<string | null> {
    try {
      return await fs.readFile(this.real(p), 'utf8')
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  async stat(p: string): Promise<FileInfo | null> {
    try {
      const s = await fs.stat(this.real(p))
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
      return (await fs.readdir(this.real(p))).sort()
    } catch (error) {
      if (isMissing(error)) return null
      throw error
    }
  }

  async writeFileAtomic(p: string, text: string, options: WriteOptions = {}): Promise<void> {
    const target = this.real(p)
    const previous = await this.stat(p)
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.mirrorctl-${randomBytes(4).toString('hex')}`)
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    try {
      await handle.writeFile(text, 'utf8')
      await handle.chmod(previous?.mode ?? options.mode ?? 0o644)
      if (previous && this.isRoot) await handle.chown(previous.uid, previous.gid)
      await handle.sync()
    } catch (error) {
      await handle.close()
      await fs.rm(temp, {force: true})
      throw error
    }
    await handle.close()
    try {
      await fs.rename(temp, target)
    } catch (error) {
      await fs.rm(temp, {force: true})
      throw error
    }
    await syncDir(path.dirname(target))
  }

  async mkdirp(p: string): Promise<void> {
    await fs.mkdir(this.real(p), {recursive: true})
  }

  async remove(p: string): Promise<void> {
    await fs.rm(this.real(p), {force: true})
  }

  async exec(command: string, args: readonly string[], options: {input?: string} = {}): Promise<ExecResult> {
    const {execa} = await import('execa')
    const r = await execa(command, args, {reject: false, input: options.input ?? '', env: this.env as NodeJS.ProcessEnv})
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** Makes the rename durable: without it a crash can leave the old name pointing at nothing. */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(dir, constants.O_RDONLY)
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle?.close()
  }
}
