import path from 'node:path'
import type {ExecResult, FileInfo, Host, WriteOptions} from '../hosts/host.js'
import type {ApplyRequest, ApplyResult} from '../hosts/write-plan.js'

/** A file as the plan leaves it: its new text (null: removed) and the mode for a new file. */
export interface OverlayEntry {
  text: string | null
  mode: number
}

/**
 * A Host whose writes land in memory: reads see earlier planned writes, nothing reaches the
 * base host. The fleet plans every spec entry through one OverlayHost, so entries compose
 * (the second sees the first's drop-in), and the same code runs over LocalHost, a --root
 * tree or an SSH snapshot. What the overlay holds at the end is the host's whole change.
 */
export class OverlayHost implements Host {
  readonly name: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly isRoot: boolean
  private readonly files = new Map<string, OverlayEntry>()

  constructor(readonly base: Host) {
    this.name = base.name
    this.env = base.env
    this.isRoot = base.isRoot
  }

  /** Paths the plan changed, in the order first written, with their final state. */
  entries(): [string, OverlayEntry][] {
    return [...this.files]
  }

  async readFile(p: string): Promise<string | null> {
    const e = this.files.get(p)
    return e ? e.text : this.base.readFile(p)
  }

  async stat(p: string): Promise<FileInfo | null> {
    const e = this.files.get(p)
    if (!e) return this.base.stat(p)
    if (e.text === null) return null
    const old = await this.base.stat(p)
    return {kind: 'file', mode: old?.mode ?? e.mode, uid: old?.uid ?? 0, gid: old?.gid ?? 0, size: Buffer.byteLength(e.text)}
  }

  async listDir(p: string): Promise<string[] | null> {
    const names = new Set((await this.base.listDir(p)) ?? [])
    let touched = false
    for (const [file, e] of this.files) {
      if (path.dirname(file) !== p) continue
      touched = true
      if (e.text === null) names.delete(path.basename(file))
      else names.add(path.basename(file))
    }
    return names.size || touched || (await this.base.stat(p)) ? [...names].sort() : null
  }

  async writeFileAtomic(p: string, text: string, options?: WriteOptions): Promise<void> {
    this.files.set(p, {text, mode: options?.mode ?? 0o644})
  }

  async mkdirp(): Promise<void> {}

  async remove(p: string): Promise<void> {
    this.files.set(p, {text: null, mode: 0o644})
  }

  exec(command: string, args: readonly string[], options?: {input?: string}): Promise<ExecResult> {
    return this.base.exec(command, args, options)
  }

  /** Planning code that writes through applyWrites records its writes here too (no lock, no backup). */
  async applyWrites(request: ApplyRequest): Promise<ApplyResult> {
    for (const w of request.writes) {
      if ((await this.readFile(w.path)) !== w.expect)
        return {lock: 'flock', files: request.writes.map((x) => ({path: x.path, target: x.path, status: 'conflict', backup: null, reason: 'changed while planning'}))}
    }
    for (const w of request.writes) this.files.set(w.path, {text: w.content, mode: w.mode})
    return {lock: 'flock', files: request.writes.map((w) => ({path: w.path, target: w.path, status: 'written', backup: null, reason: null}))}
  }
}
