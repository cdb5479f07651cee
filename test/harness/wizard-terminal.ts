// A command run in a real pseudo-terminal (its own tmux server), read and answered as a
// person would: send-keys in, capture-pane out. Every wait is on screen text with a bounded
// deadline, never a sleep. Used by the setup wizard e2e tests.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {REPO} from '../helpers/cli.js'

const EXIT_MARK = '__setup_exit_status='
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** One wizard run in its own tmux server; the pane stays after exit with the status printed. */
export class Terminal {
  private readonly socket: string

  constructor(
    dir: string,
    readonly args: string[],
    env: Record<string, string>,
    cwd: string,
  ) {
    this.socket = path.join(dir, `tmux-${Math.random().toString(36).slice(2)}`)
    const envWords = Object.entries({NO_COLOR: '1', TERM: 'xterm', ...env}).map(([k, v]) => `${k}=${q(v)}`)
    // The shell reports the exit status on screen: tmux can be slow to reap a finished pane
    // under load. It ignores SIGINT itself, so Ctrl-C reaches only mirrorctl, which handles it.
    const command = `cd ${q(cwd)} && trap '' INT && env ${envWords.join(' ')} ${q(process.execPath)} ${q(path.join(REPO, 'bin/run.js'))} ${args.map(q).join(' ')}; echo "${EXIT_MARK}$?"`
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'base', '-x', '220', '-y', '60')
    this.tmux('set-option', '-g', 'remain-on-exit', 'on')
    this.tmux('set-option', '-g', 'history-limit', '10000')
    this.tmux('new-window', '-t', 'base', '-n', 'w', command)
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], {encoding: 'utf8'})
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'base:w')
  }

  /** Waits until the screen matches; returns it. */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = this.screen()
      if (pattern.test(text)) return text
      const exit = this.exitCode()
      if (exit !== null || Date.now() > deadline)
        throw new Error(`${exit !== null ? `setup exited (${exit})` : 'timed out'} before ${pattern}; end of the screen:\n${this.screen().trimEnd().split('\n').slice(-40).join('\n')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /**
   * Answers the prompt whose message matches `prompt` once it is the open one (inquirer marks
   * an open prompt "?" and an answered one "✔"); returns the screen seen before answering.
   */
  async answer(prompt: RegExp, ...keys: string[]): Promise<string> {
    const seen = await this.waitFor(new RegExp(`^\\? ${prompt.source}`, 'm'))
    this.keys(...keys)
    return seen
  }

  keys(...keys: string[]): void {
    for (const k of keys) {
      if (k.startsWith('text:')) this.tmux('send-keys', '-t', 'base:w', '-l', k.slice(5))
      else this.tmux('send-keys', '-t', 'base:w', k)
    }
  }

  exitCode(): number | null {
    const m = new RegExp(`^${EXIT_MARK}(\\d+)$`, 'm').exec(this.screen())
    return m ? Number(m[1]) : null
  }

  async waitExit(timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const code = this.exitCode()
      if (code !== null) return code
      if (Date.now() > deadline) throw new Error(`setup did not exit; end of the screen:\n${this.screen().trimEnd().split('\n').slice(-30).join('\n')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  stop(): void {
    try {
      this.tmux('kill-server')
    } catch {
      // already gone
    }
  }
}
