import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterEach, beforeEach} from 'vitest'
import {APPLY_SCRIPT} from '../../../src/hosts/apply-script.js'
import {decodeApplyResult, encodeApplyRequest} from '../../../src/hosts/apply-manifest.js'
import {encodeRequest, runnerScript} from '../../../src/hosts/runner-script.js'
import type {ApplyRequest} from '../../../src/hosts/write-plan.js'

const NONCE = 'apply-test'
/** The runner with APPLY_SCRIPT as its script "A", as every ssh channel runs it. */
const RUNNER = runnerScript(new Map([['A', APPLY_SCRIPT]]))
/** The runner's output for one run: ready marker, the script's stdout, done marker. */
const RUNNER_OUTPUT = new RegExp(`^\\nmirrorctl-runner ${NONCE} ready\\n([\\s\\S]*)\\nmirrorctl-runner ${NONCE} done (\\d+)\\n?$`)

export interface RunOptions {
  wrap?: string[]
  lock?: string
  env?: Record<string, string>
  wait?: number
  shell?: string[]
  /** Changes the manifest before it is sent (hand-made contents). */
  edit?: (manifest: string) => string
  /** Runs it under the runner (runner-script.ts) as a "run A" request, as over ssh. */
  runner?: boolean
}

export const write = (p: string, expect: string | null, content: string, mode = 0o644) => ({path: p, expect, content, mode})

/**
 * A fresh folder per test (at() paths inside it) and APPLY_SCRIPT run on a request there:
 * with /bin/sh (dash here) unless told, optionally wrapped (setpriv, unshare, strace).
 */
export function applyFixture() {
  let dir = ''
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-apply-'))
    chmodSync(dir, 0o755)
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))
  const at = (...p: string[]) => path.join(dir, ...p)

  async function run(request: ApplyRequest, options: RunOptions = {}) {
    const manifest = encodeApplyRequest(request, {lockPath: options.lock ?? at('run/lock/mirrorctl.lock'), lockWaitSeconds: options.wait ?? 10})
    const input = options.edit ? options.edit(manifest) : manifest
    const argv = [...(options.wrap ?? []), ...(options.shell ?? ['/bin/sh']), '-c', options.runner ? RUNNER : APPLY_SCRIPT]
    const stdin = options.runner ? `${NONCE}\n${encodeRequest('run', 'A', input, NONCE)}` : input
    const r = await execa(argv[0]!, argv.slice(1), {input: stdin, reject: false, env: {PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...options.env}, extendEnv: false})
    if (options.runner) {
      const m = RUNNER_OUTPUT.exec(String(r.stdout))
      if (!m) throw new Error(`the runner did not answer as expected: ${String(r.stdout).slice(0, 500)} ${String(r.stderr)}`)
      const stdout = m[1]!
      return {...r, stdout, exitCode: Number(m[2]), result: () => decodeApplyResult(stdout)}
    }
    return {...r, result: () => decodeApplyResult(String(r.stdout))}
  }

  /** busybox sh, and a PATH of busybox applets only (no flock: the mkdir lock). */
  function busyboxShell(): {shell: string[]; env: Record<string, string>} {
    const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p))
    if (!busybox) throw new Error('busybox is needed here (Debian package busybox): the script must run under busybox ash and applets')
    const bin = at('busybox-bin')
    if (!existsSync(bin)) {
      mkdirSync(bin)
      for (const tool of ['base64', 'cat', 'chmod', 'chown', 'cp', 'date', 'ln', 'mkdir', 'mv', 'readlink', 'rm', 'sha256sum', 'sleep', 'stat', 'sync']) symlinkSync(busybox, path.join(bin, tool))
    }
    return {shell: [busybox, 'sh'], env: {PATH: bin}}
  }

  /** The slot folder's versions, oldest first, with their texts. */
  const versions = (file: string) => {
    const slot = at('bk', encodeURIComponent(file))
    return existsSync(slot) ? readdirSync(slot).map((n) => [n.replace(/^[\dT-]+Z(\.\d+)?/, 'V'), readFileSync(path.join(slot, n), 'utf8')]) : []
  }

  return {at, run, busyboxShell, versions, dir: () => dir}
}
