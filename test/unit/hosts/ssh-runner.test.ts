// The runner and its channel without ssh: the channel's "ssh" is a local sh running the
// runner (dash, bash and busybox ash where installed), through the spawn helper and through
// node's own spawn. What a script sees on stdin and what mirrorctl gets back must be exact.
import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {candidateRequests} from '../../../src/hosts/gather-candidates.js'
import {encodeGatherRequest} from '../../../src/hosts/gather-script.js'
import {encodeRequest, hostRunner, hostRunnerInputs, runnerScript, StreamCutter} from '../../../src/hosts/runner-script.js'
import {remoteCommand, shellQuote} from '../../../src/hosts/ssh-target.js'
import {SshChannel} from '../../../src/hosts/ssh-channel.js'
import {SshError} from '../../../src/hosts/ssh-errors.js'
import {openDirect, openProcess} from '../../../src/hosts/ssh-process.js'

const EMBEDDED_SCRIPT = 'echo "embedded: $(cat)"'
// An embedded input: every byte class a line holds, so the command-line quoting is proven too.
const EMBEDDED_INPUT = 'first line\n$HOME `id` \\ \'q\' "d"\n\n  spaced  \n'
const RUNNER = runnerScript(new Map([['E', EMBEDDED_SCRIPT]]), new Map([['D', EMBEDDED_INPUT]]))

function has(program: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const SHELLS: {name: string; argv: string[]}[] = [
  {name: 'dash', argv: ['dash', '-c']},
  {name: 'bash', argv: ['bash', '-c']},
  {name: 'busybox ash', argv: ['busybox', 'sh', '-c']},
].filter((s) => has(s.argv[0]!))

/** A channel whose "ssh" runs `prelude` (a login shell's rc output) and then the runner. */
function channel(shell: string[], options: {prelude?: string; direct?: boolean; writes?: string[]; idleMs?: number} = {}) {
  const open: typeof openProcess = (file, args, handlers) => {
    const p = (options.direct ? openDirect : openProcess)(file, args, handlers)
    return {...p, write: (data: string) => (options.writes?.push(data), p.write(data))}
  }
  return new SshChannel('t1', shell[0]!, [...shell.slice(1), `${options.prelude ?? ''}\n${RUNNER}`], new Map([[EMBEDDED_SCRIPT, 'E']]), {open, inputs: new Map([[EMBEDDED_INPUT, 'D']]), ...(options.idleMs ? {idleMs: options.idleMs} : {})})
}

// Every byte a line can hold, as UTF-8 text: controls but newline and NUL, ASCII, and
// characters whose bytes are 0x80-0xff (dash's own escape bytes 0x81-0x88 among them).
const EVERY_BYTE_CLASS = [
  Array.from({length: 0x7f}, (_, i) => String.fromCharCode(i + 1)).filter((c) => c !== '\n').join(''),
  Array.from({length: 0x80}, (_, i) => String.fromCharCode(0x80 + i)).join(''),
  '\\', '\\\\', 'tail\\', '$HOME ${x} $(id) `id` $((1+1)) \\$HOME \\`id\\`', "'quoted' \"double\"",
  '  leading and trailing spaces  ', '\ttab\t', 'cr\r', '', 'mr_EOF', 'EOF', '.', '.mirrorctl', 'mirrorctl-runner x done 0',
  '\u{1f600} \u20ac \u0800',
].join('\n') + '\n'

describe.each(SHELLS)('runner under $name', ({argv}) => {
  it('hands the payload to the script byte for byte, and gives back its stdout exactly', async () => {
    const c = channel(argv)
    try {
      expect(await c.request('cat', EVERY_BYTE_CLASS)).toEqual({exitCode: 0, stdout: EVERY_BYTE_CLASS, stderr: ''})
      expect(await c.request('cat', '')).toEqual({exitCode: 0, stdout: '', stderr: ''})
      expect(await c.request('cat', '\n')).toEqual({exitCode: 0, stdout: '\n', stderr: ''})
      expect(await c.request('cat', '\n\n')).toEqual({exitCode: 0, stdout: '\n\n', stderr: ''})
    } finally {
      await c.close()
    }
  })

  it('with bytes, gives back stdout as it came: bytes that are not UTF-8, NUL, no trailing newline', async () => {
    const c = channel(argv)
    try {
      // Every byte value, then the start of a marker without its nonce: the gather's raw content.
      const script = 'i=0; while [ $i -lt 256 ]; do printf "\\\\$(printf %o $i)"; i=$((i + 1)); done; printf "\\nmirrorctl-runner x"'
      const r = await c.request(script, '', {bytes: true})
      expect(r.exitCode).toBe(0)
      expect(r.stdoutBytes).toEqual(Buffer.concat([Buffer.from(Array.from({length: 256}, (_, i) => i)), Buffer.from('\nmirrorctl-runner x')]))
      expect((await c.request('echo text', '')).stdoutBytes).toBeUndefined()
    } finally {
      await c.close()
    }
  })

  it('runs an embedded script on an embedded input without sending the input, and on any other input as usual', async () => {
    const writes: string[] = []
    const c = channel(argv, {writes})
    try {
      expect(await c.request(EMBEDDED_SCRIPT, EMBEDDED_INPUT)).toEqual({exitCode: 0, stdout: `embedded: ${EMBEDDED_INPUT.slice(0, -1)}\n`, stderr: ''})
      expect(writes.join('')).not.toContain('first line')
      expect(await c.request(EMBEDDED_SCRIPT, 'other\n')).toEqual({exitCode: 0, stdout: 'embedded: other\n', stderr: ''})
      // A script sent by "def" never takes an embedded input: its input travels.
      expect(await c.request('cat', EMBEDDED_INPUT)).toEqual({exitCode: 0, stdout: EMBEDDED_INPUT, stderr: ''})
      expect(writes.join('').split('first line').length).toBe(2)
    } finally {
      await c.close()
    }
  })

  it('keeps output without a trailing newline, a script\'s exit status and EXIT trap, and each request\'s own stderr', async () => {
    const c = channel(argv)
    try {
      const answers = await Promise.all([
        c.request('printf "no newline"; printf "half" >&2', ''),
        c.request('read -r a; echo "out $a"; echo "err $a" >&2; exit 3', 'one\n'),
        c.request('read -r a; echo "err $a" >&2', 'two\n'),
        c.request('trap "echo trapped" EXIT; exit 4', ''),
        c.request('trap "echo trapped" EXIT; echo body', ''),
      ])
      expect(answers).toEqual([
        {exitCode: 0, stdout: 'no newline', stderr: 'half'},
        {exitCode: 3, stdout: 'out one\n', stderr: 'err one\n'},
        {exitCode: 0, stdout: '', stderr: 'err two\n'},
        {exitCode: 4, stdout: 'trapped\n', stderr: ''},
        {exitCode: 0, stdout: 'body\ntrapped\n', stderr: ''},
      ])
    } finally {
      await c.close()
    }
  })

  it('runs each script in a subshell of its own: its variables, options, folder and stdin stay there', async () => {
    const c = channel(argv)
    try {
      await c.request('set -u; x=1; cd /; PATH=/nowhere; cat >/dev/null; exec 0<&-', 'line\n')
      expect(await c.request('echo "${x-unset} $PWD"; command -v cat >/dev/null && echo found', '')).toMatchObject({exitCode: 0, stdout: `unset ${process.cwd()}\nfound\n`})
      expect((await c.request(EMBEDDED_SCRIPT, 'data\n')).stdout).toBe('embedded: data\n')
    } finally {
      await c.close()
    }
  })

  it('hands a run its payload lines as mr_lines and mr_l_1 ... (byte for byte), only its own, none for an embedded input', async () => {
    const c = channel(argv)
    // Prints the lines from the variables, as the payload came, and what is past the last.
    const fromVars = 'i=0; while [ "$i" -lt "$mr_lines" ]; do i=$((i + 1)); eval "printf \'%s\\n\' \\"\\$mr_l_$i\\""; done; eval "echo \\"[\\${mr_l_$((i + 1))-none}]\\""'
    try {
      expect(await c.request(fromVars, EVERY_BYTE_CLASS)).toEqual({exitCode: 0, stdout: `${EVERY_BYTE_CLASS}[none]\n`, stderr: ''})
      // A shorter payload after a longer one: the longer one's lines are gone.
      expect(await c.request(fromVars, 'one\n\n')).toEqual({exitCode: 0, stdout: 'one\n\n[none]\n', stderr: ''})
      expect(await c.request('echo "$mr_lines ${mr_l_1-none}"', '')).toEqual({exitCode: 0, stdout: '0 none\n', stderr: ''})
      // The here-document is still there for scripts that read stdin.
      expect(await c.request('cat', 'two\n')).toEqual({exitCode: 0, stdout: 'two\n', stderr: ''})
      // Around the runner's blocks of 64 lines: the same payload on stdin and in the variables.
      for (const n of [63, 64, 65, 128, 200]) {
        const payload = Array.from({length: n}, (_, i) => (i % 7 === 3 ? '' : `line ${i} $x \\`)).join('\n') + '\n'
        expect(await c.request('cat', payload), `${n} lines`).toEqual({exitCode: 0, stdout: payload, stderr: ''})
        expect(await c.request(fromVars, payload), `${n} lines`).toEqual({exitCode: 0, stdout: `${payload}[none]\n`, stderr: ''})
      }
    } finally {
      await c.close()
    }
    // An embedded input is only on stdin: mr_lines is empty.
    const run = execFileSync(argv[0]!, [...argv.slice(1), runnerScript(new Map([['E', 'echo "[${mr_lines-unset}] $(cat)"']]), new Map([['D', 'in\n']]))], {input: 'n\nrun E D\n.n\n', stdio: 'pipe'})
    expect(run.toString()).toBe('\nmirrorctl-runner n ready\n[] in\n\nmirrorctl-runner n done 0\n')
  })

  it('skips what the login shell printed before the runner started', async () => {
    const c = channel(argv, {prelude: 'echo "Welcome"; printf "no newline"; echo "rc noise" >&2; echo "mirrorctl-runner x done 0"'})
    try {
      expect(await c.request('echo hi', '')).toEqual({exitCode: 0, stdout: 'hi\n', stderr: ''})
    } finally {
      await c.close()
    }
  })
})

describe('channel', () => {
  const sh = ['/bin/sh', '-c']

  it('sends a script the command line lacks once ("def"), and an embedded one never', async () => {
    const writes: string[] = []
    const c = channel(sh, {writes})
    try {
      for (let i = 0; i < 3; i++) expect((await c.request('echo "x $(cat)"', `${i}\n`)).stdout).toBe(`x ${i}\n`)
      expect((await c.request('echo other', '')).stdout).toBe('other\n')
      await c.request(EMBEDDED_SCRIPT, '')
      const text = writes.join('')
      expect(text.match(/^def /gm)).toEqual(['def ', 'def '])
      expect(text.match(/^run /gm)).toHaveLength(5)
      expect(text).not.toContain('embedded: ')
    } finally {
      await c.close()
    }
  })

  it('works the same when spawned directly (no helper)', async () => {
    const c = channel(sh, {direct: true})
    try {
      const [a, b] = await Promise.all([c.request('cat', EVERY_BYTE_CLASS), c.request('echo e >&2; exit 2', '')])
      expect(a).toEqual({exitCode: 0, stdout: EVERY_BYTE_CLASS, stderr: ''})
      expect(b).toEqual({exitCode: 2, stdout: '', stderr: 'e\n'})
    } finally {
      await c.close()
    }
  })

  it.each([false, true])('a channel that dies fails the waiting request and every later one with one SshError (direct %s)', async (direct) => {
    const c = channel(sh, {direct})
    const dying = c.request('echo "fatal: gone" >&2; kill -9 $$', '')
    const queued = c.request('echo never', '')
    const e = await dying.then(() => null, (x: unknown) => x)
    expect(e).toBeInstanceOf(SshError)
    expect(e).toMatchObject({host: 't1', kind: 'connection-lost'})
    expect((e as SshError).reason).toMatch(/fatal: gone/)
    await expect(queued).rejects.toBe(e)
    await expect(c.request('echo later', '')).rejects.toBe(e)
    expect(c.closed).toBe(true)
  })

  it('a timeout or an abort kills the channel: SshError timeout', async () => {
    const slow = channel(sh)
    await expect(slow.request('sleep 30', '', {timeoutMs: 300})).rejects.toMatchObject({kind: 'timeout', reason: expect.stringMatching(/timed out/)})
    await expect(slow.request('echo x', '')).rejects.toMatchObject({kind: 'timeout'})
    const aborted = channel(sh)
    const controller = new AbortController()
    const pending = aborted.request('sleep 30', '', {signal: controller.signal})
    setTimeout(() => controller.abort(), 100)
    await expect(pending).rejects.toMatchObject({kind: 'timeout', reason: 'cancelled'})
  })

  it('ssh failing before the runner starts is classified from its stderr (sudo -n)', async () => {
    const c = new SshChannel('t2', '/bin/sh', ['-c', 'echo "sudo: a password is required" >&2; exit 1'], new Map())
    await expect(c.request('true', '')).rejects.toMatchObject({kind: 'sudo-password'})
  })

  it('a missing ssh program is a usage error', async () => {
    const c = new SshChannel('t3', '/nonexistent/ssh', [], new Map())
    await expect(c.request('true', '')).rejects.toBeInstanceOf(UserError)
  })

  it('an idle channel ends itself (retired, not failed)', async () => {
    const c = channel(sh, {idleMs: 100})
    expect((await c.request('echo a', '')).stdout).toBe('a\n')
    expect(c.idle).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(c).toMatchObject({closed: true, retired: true, idle: false})
  })

  it('close() lets the runner answer what it has, then ends it', async () => {
    const c = channel(sh)
    const answer = c.request('sleep 0.2; echo done', '')
    await c.close()
    expect((await answer).stdout).toBe('done\n')
    expect(c.closed).toBe(true)
  })
})

describe('request framing and output cutting', () => {
  it('refuses payloads it cannot frame', () => {
    expect(() => encodeRequest('run', '1', 'no newline', 'n')).toThrow(/end with a newline/)
    expect(() => encodeRequest('run', '1', 'a\0b\n', 'n')).toThrow(/NUL/)
    expect(() => encodeRequest('run', '1', 'x\n.n\n', 'n')).toThrow(/terminator/)
    expect(() => encodeRequest('run', 'x;y', '', 'n')).toThrow(/script id/)
    expect(encodeRequest('def', '2', 'echo a', 'n')).toBe('def 2\necho a\n.n\n')
    expect(encodeRequest('run', 'G', '', 'n')).toBe('run G\n.n\n')
  })

  it('cuts a stream at its markers whatever the chunk boundaries', () => {
    const stream = Buffer.from('rc noise\nmirrorctl-runner X done 1\n\nmirrorctl-runner N ready\nü1\n\nmirrorctl-runner N done 0\nno newline\nmirrorctl-runner N done 12\n\nmirrorctl-runner N done 7\ntail')
    const expected = [
      {text: 'rc noise\nmirrorctl-runner X done 1\n', mark: {kind: 'ready'}},
      {text: 'ü1\n', mark: {kind: 'done', status: 0}},
      {text: 'no newline', mark: {kind: 'done', status: 12}},
      {text: '', mark: {kind: 'done', status: 7}},
    ]
    for (const size of [1, 2, 3, 7, 1000]) {
      const cutter = new StreamCutter('N')
      const got = []
      for (let i = 0; i < stream.length; i += size) got.push(...cutter.push(stream.subarray(i, i + size)))
      expect(got.map((s) => ({text: s.text.toString('utf8'), mark: s.mark}))).toEqual(expected)
      expect(cutter.pending.toString()).toBe('tail')
    }
  })

  it('the fleet runner fits in one argument (Linux refuses a single one past 128 KiB)', () => {
    expect(Buffer.byteLength(remoteCommand(hostRunner(), true))).toBeLessThan(128 * 1024)
    expect(Buffer.byteLength(remoteCommand(hostRunner(true), true))).toBeLessThan(128 * 1024)
  })

  it('embeds the first gather of the run: with the units for a run that plans reloads, without for the others', () => {
    const first = (units: boolean) => encodeGatherRequest(candidateRequests(), {facts: true, units})
    expect([...hostRunnerInputs().keys()]).toEqual([first(false)])
    expect([...hostRunnerInputs(true).keys()]).toEqual([first(true)])
    expect(first(true)).not.toBe(first(false))
    expect(hostRunner(true)).toContain(shellQuote(first(true).slice(0, -1)))
    expect(hostRunner(false)).toContain(shellQuote(first(false).slice(0, -1)))
    expect(hostRunner(true)).toBe(hostRunner(true))
  })

  it('a marker line of our nonce that is not ours is a protocol error', () => {
    expect(() => new StreamCutter('N').push(Buffer.from('\nmirrorctl-runner N bogus\n'))).toThrow(/unknown marker/)
  })
})
