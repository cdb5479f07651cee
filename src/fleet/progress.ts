import {shouldColor, styles, type ColorEnv} from '../core/color.js'
import type {HostStatus} from './report.js'

export type HostPhase = 'waiting' | 'connecting' | 'gathering' | 'planning' | 'writing' | 'verifying' | 'rolling back'

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/**
 * Per-host progress on stderr. In a terminal: finished hosts scroll up as lines, and a live
 * block below shows each running host's phase, redrawn in place. Elsewhere (CI logs, pipes):
 * one plain line per finished host, nothing redrawn. Colour only where shouldColor allows.
 */
export class Progress {
  private readonly live: boolean
  private readonly s
  private readonly running = new Map<string, HostPhase>()
  private drawn = 0
  private done = 0

  constructor(
    private readonly out: ProgressStream,
    env: ColorEnv,
    private readonly total: number,
    private readonly enabled = true,
  ) {
    this.live = enabled && out.isTTY === true
    this.s = styles(shouldColor(out, env))
  }

  phase(host: string, phase: HostPhase): void {
    if (!this.enabled) return
    this.running.set(host, phase)
    this.redraw()
  }

  /** 'ok': check and ratelimit per host. */
  finish(host: string, status: HostStatus | 'ok', detail: string | null): void {
    if (!this.enabled) return
    this.running.delete(host)
    this.done++
    const mark = status === 'failed' || status === 'rolled-back' ? this.s.red(status) : status === 'changed' ? this.s.yellow('changed') : this.s.green(status === 'ok' ? 'ok' : 'unchanged')
    this.clear()
    this.out.write(`[${this.done}/${this.total}] ${host}: ${mark}${detail ? ` (${detail})` : ''}\n`)
    this.redraw()
  }

  /** Removes the live block (before the summary is printed). */
  end(): void {
    this.clear()
  }

  private clear(): void {
    if (!this.live || !this.drawn) return
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`)
    this.drawn = 0
  }

  private redraw(): void {
    if (!this.live) return
    this.clear()
    const width = Math.max(20, (this.out.columns ?? 80) - 1)
    const shown = [...this.running].slice(0, 10)
    const lines = shown.map(([h, p]) => `  ${this.s.dim(p.padEnd(12))} ${h}`.slice(0, width + 20))
    if (this.running.size > shown.length) lines.push(`  ... and ${this.running.size - shown.length} more running`)
    lines.push(this.s.dim(`  ${this.done}/${this.total} done`))
    this.out.write(lines.join('\n') + '\n')
    this.drawn = lines.length
  }
}
