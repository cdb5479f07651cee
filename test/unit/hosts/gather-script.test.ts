import {execFileSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MAX_CONFIG_BYTES} from '../../../src/core/limits.js'
import {candidateRequests} from '../../../src/hosts/gather-candidates.js'
import {decodeGatherOutput, GatherFormatError, GatherRaceError} from '../../../src/hosts/gather-decode.js'
import {CHILD_CONTENT_BYTES, encodeGatherRequest, GATHER_SCRIPT, GATHERED_COMMANDS} from '../../../src/hosts/gather-script.js'
import type {GatherRequest} from '../../../src/hosts/snapshot.js'

// The script runs through the real /bin/sh (dash on Debian) over a temp tree.
let root: string
const ODD = ['with space.conf', 'new\nline.conf', `quote'single.conf`, 'dq"uote.conf', '$(id).conf', 'back\\slash.conf', 'ünï.conf', '-dash.conf', '.hidden.conf', '..dots', '100%.conf']

/** The script's stdout as the channel hands it over: bytes (the content is raw). */
const bytesOf = (r: {stdout: Uint8Array}) => Buffer.from(r.stdout)

/** The script as on a host without /proc (busybox systems, some containers): the environment comes from env. */
const NO_PROC_ENVIRON = GATHER_SCRIPT.replaceAll('/proc/self/environ', '/nonexistent/environ')

async function gather(requests: readonly GatherRequest[], opts: {facts?: boolean; units?: boolean; env?: Record<string, string>; as?: number; script?: string} = {}) {
  const input = encodeGatherRequest(requests, {facts: opts.facts ?? false, units: opts.units})
  const env = {PATH: '/usr/bin:/bin', ...opts.env}
  const script = opts.script ?? GATHER_SCRIPT
  const argv = opts.as === undefined ? ['/bin/sh', '-c', script] : ['setpriv', `--reuid=${opts.as}`, `--regid=${opts.as}`, '--clear-groups', '/bin/sh', '-c', script]
  const r = await execa(argv[0]!, argv.slice(1), {input, env, extendEnv: false, reject: false, encoding: 'buffer'})
  expect(Buffer.from(r.stderr).toString()).toBe('')
  expect(r.exitCode).toBe(0)
  const stdout = Buffer.from(r.stdout)
  return {stdout, snapshot: decodeGatherOutput(stdout, requests)}
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mirrorctl-gather-'))
  chmodSync(root, 0o755)
  mkdirSync(path.join(root, 'd/sub'), {recursive: true})
  writeFileSync(path.join(root, 'd/plain.conf'), 'a = 1\n')
  writeFileSync(path.join(root, 'd/empty.conf'), '')
  for (const name of ODD) writeFileSync(path.join(root, 'd', name), `content of ${name}\n`)
  symlinkSync('plain.conf', path.join(root, 'd/link.conf'))
  symlinkSync('/nonexistent/target', path.join(root, 'd/dangling.conf'))
  execFileSync('mkfifo', [path.join(root, 'd/fifo.conf')])
  writeFileSync(path.join(root, 'd/child-big.conf'), 'x'.repeat(CHILD_CONTENT_BYTES + 1))
  writeFileSync(path.join(root, 'big.conf'), Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x61))
  writeFileSync(path.join(root, 'bytes.bin'), Buffer.from([0, 1, 2, 0xff, 0x0a, 0x2e, 0x0a]))
  writeFileSync(path.join(root, 'secret.conf'), 'secret\n', {mode: 0o600})
  mkdirSync(path.join(root, 'closed'), {mode: 0o700})
  mkdirSync(path.join(root, 'home/.config/containers'), {recursive: true})
  writeFileSync(path.join(root, 'home/.config/containers/registries.conf'), 'unqualified-search-registries = []\n')
  chmodSync(path.join(root, 'home'), 0o755)
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('GATHER_SCRIPT through /bin/sh', () => {
  it('captures a regular file: content, mode, owner, size', async () => {
    const file = path.join(root, 'd/plain.conf')
    chmodSync(file, 0o640)
    const {snapshot} = await gather([{path: file, mode: 'read'}])
    const e = snapshot.entries.get(file)!
    expect(e.kind).toBe('file')
    expect(e.info).toEqual({kind: 'file', mode: 0o640, uid: 0, gid: 0, size: 6})
    expect(e.content?.toString()).toBe('a = 1\n')
    expect(e.linkTarget).toBeNull()
    chmodSync(file, 0o644)
  })

  it('stat mode captures no content; missing paths and paths below a file are missing', async () => {
    const file = path.join(root, 'd/plain.conf')
    const {snapshot} = await gather([
      {path: file, mode: 'stat'},
      {path: path.join(root, 'nope.conf'), mode: 'read'},
      {path: path.join(file, 'below'), mode: 'read'},
    ])
    expect(snapshot.entries.get(file)?.content).toBeUndefined()
    expect(snapshot.entries.get(file)?.info?.size).toBe(6)
    expect(snapshot.entries.get(path.join(root, 'nope.conf'))?.kind).toBe('missing')
    expect(snapshot.entries.get(path.join(file, 'below'))?.kind).toBe('missing')
  })

  it('keeps bytes exactly (binary, NUL, a line that is only ".") and empty files', async () => {
    const {snapshot} = await gather([
      {path: path.join(root, 'bytes.bin'), mode: 'read'},
      {path: path.join(root, 'd/empty.conf'), mode: 'read'},
    ])
    expect(snapshot.entries.get(path.join(root, 'bytes.bin'))?.content).toEqual(Buffer.from([0, 1, 2, 0xff, 0x0a, 0x2e, 0x0a]))
    expect(snapshot.entries.get(path.join(root, 'd/empty.conf'))?.content).toEqual(Buffer.alloc(0))
  })

  it('raw content: files that hold the lines of the answer itself, or end without a newline, keep their bytes', async () => {
    const tricky = {
      'lines.conf': Buffer.from('x\ncontent-end\ndone\nmirrorctl-gather 2\ncontent 1\nreadfail\n.\n!\n=\n'),
      'end-mark.conf': Buffer.from('\ncontent-end\n'),
      'no-newline.conf': Buffer.from('content-end'),
      'last.bin': Buffer.from([0x0a, 0xff, 0]),
    }
    for (const [name, bytes] of Object.entries(tricky)) writeFileSync(path.join(root, name), bytes)
    const requests = Object.keys(tricky).map((name) => ({path: path.join(root, name), mode: 'read' as const}))
    for (const facts of [false, true]) {
      const {snapshot} = await gather(requests, {facts, env: {PATH: '/usr/bin:/bin', TRICKY: '\ncontent-end\n'}})
      for (const [name, bytes] of Object.entries(tricky)) expect(snapshot.entries.get(path.join(root, name))?.content, name).toEqual(bytes)
      if (facts) expect(snapshot.env.TRICKY).toBe('\ncontent-end\n')
    }
  })

  it('does not ship files above MAX_CONFIG_BYTES', async () => {
    const file = path.join(root, 'big.conf')
    const {snapshot, stdout} = await gather([{path: file, mode: 'read'}])
    expect(snapshot.entries.get(file)).toMatchObject({kind: 'file', contentState: 'too-big'})
    expect(snapshot.entries.get(file)?.content).toBeUndefined()
    expect(stdout.length).toBeLessThan(2000)
  })

  it('records symbolic links: target text, stat of what they point to; dangling links are missing', async () => {
    const {snapshot} = await gather([
      {path: path.join(root, 'd/link.conf'), mode: 'read'},
      {path: path.join(root, 'd/dangling.conf'), mode: 'read'},
    ])
    expect(snapshot.entries.get(path.join(root, 'd/link.conf'))).toMatchObject({kind: 'file', linkTarget: 'plain.conf'})
    expect(snapshot.entries.get(path.join(root, 'd/link.conf'))?.content?.toString()).toBe('a = 1\n')
    expect(snapshot.entries.get(path.join(root, 'd/dangling.conf'))).toMatchObject({kind: 'missing', linkTarget: '/nonexistent/target'})
  })

  it('never opens a FIFO (kind other, no content) and does not block', async () => {
    const fifo = path.join(root, 'd/fifo.conf')
    const {snapshot} = await gather([{path: fifo, mode: 'read'}])
    expect(snapshot.entries.get(fifo)).toMatchObject({kind: 'other'})
    expect(snapshot.entries.get(fifo)?.content).toBeUndefined()
  })

  it('lists a folder with every child: kinds, odd names, hidden files, small contents', async () => {
    const dir = path.join(root, 'd')
    const {snapshot} = await gather([{path: dir, mode: 'list'}])
    const listing = snapshot.entries.get(dir)!
    expect(listing.kind).toBe('directory')
    const expected = ['plain.conf', 'empty.conf', ...ODD, 'link.conf', 'dangling.conf', 'fifo.conf', 'child-big.conf', 'sub'].sort()
    expect(listing.entries).toEqual(expected)
    for (const name of ODD) {
      const child = snapshot.entries.get(path.join(dir, name))
      expect(child?.kind, name).toBe('file')
      expect(child?.content?.toString(), name).toBe(`content of ${name}\n`)
    }
    expect(snapshot.entries.get(path.join(dir, 'sub'))?.kind).toBe('directory')
    expect(snapshot.entries.get(path.join(dir, 'sub'))?.entries).toBeUndefined()
    expect(snapshot.entries.get(path.join(dir, 'fifo.conf'))?.kind).toBe('other')
    expect(snapshot.entries.get(path.join(dir, 'dangling.conf'))?.kind).toBe('missing')
    expect(snapshot.entries.get(path.join(dir, 'link.conf'))?.linkTarget).toBe('plain.conf')
    // Larger children are stat'ed only: a read of one is gathered by itself.
    expect(snapshot.entries.get(path.join(dir, 'child-big.conf'))).toMatchObject({kind: 'file', contentState: 'too-big'})
  })

  it('takes odd request paths (spaces, newlines, quotes, $(...), backslashes, UTF-8) byte for byte', async () => {
    const requests = ODD.map((name) => ({path: path.join(root, 'd', name), mode: 'read' as const}))
    const {snapshot} = await gather(requests)
    for (const r of requests) expect(snapshot.entries.get(r.path)?.content?.toString(), r.path).toBe(`content of ${path.basename(r.path)}\n`)
  })

  it('resolves ~/ against the login HOME', async () => {
    const home = path.join(root, 'home')
    const {snapshot} = await gather([{path: '~/.config/containers/registries.conf', mode: 'read'}], {facts: true, env: {HOME: home}})
    expect(snapshot.entries.get(path.join(home, '.config/containers/registries.conf'))?.content?.toString()).toBe('unqualified-search-registries = []\n')
    const none = await gather([{path: '~/.config/containers/registries.conf', mode: 'read'}], {facts: true})
    expect(none.snapshot.entries.size).toBe(0)
  })

  it('as a user without permission: unreadable files and folders are marked, not fatal', async () => {
    const {snapshot} = await gather(
      [
        {path: path.join(root, 'secret.conf'), mode: 'read'},
        {path: path.join(root, 'closed'), mode: 'list'},
      ],
      {as: 65534},
    )
    expect(snapshot.entries.get(path.join(root, 'secret.conf'))).toMatchObject({kind: 'file', contentState: 'unreadable'})
    expect(snapshot.entries.get(path.join(root, 'closed'))).toMatchObject({kind: 'directory', listState: 'unreadable'})
  })

  it('facts: the uid is the effective one, read from /proc by the shell (and by id where /proc cannot be read)', async () => {
    expect((await gather([], {facts: true, as: 65534})).snapshot.uid).toBe(65534)
    expect((await gather([], {facts: true})).snapshot.uid).toBe(0)
    // No /proc/self/status: the same answer from id.
    const noProc = GATHER_SCRIPT.replaceAll('/proc/self/status', '/nonexistent/status')
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', '-c', noProc], {input: encodeGatherRequest([], {facts: true}), env: {PATH: '/usr/bin:/bin'}, extendEnv: false, reject: false, encoding: 'buffer'})
    expect(decodeGatherOutput(bytesOf(r), []).uid).toBe(65534)
  })

  it('facts: uid, environment (values with newlines and "="), tools and versions; units only when asked', async () => {
    const bin = path.join(root, 'bin')
    mkdirSync(bin, {recursive: true})
    writeFileSync(path.join(bin, 'dockerd'), '#!/bin/sh\necho "Docker version 27.1.1, build cafe"\n', {mode: 0o755})
    writeFileSync(path.join(bin, 'podman'), '#!/bin/sh\necho "broken" >&2\nexit 3\n', {mode: 0o755})
    writeFileSync(path.join(bin, 'systemctl'), '#!/bin/sh\nshift\nfor u; do if [ "$u" = docker ]; then echo active; else echo inactive; fi; done\nexit 3\n', {mode: 0o755})
    // Versions are taken only when asked for (a "version" request), with or without the facts.
    const versions = [{path: 'dockerd', mode: 'version' as const}, {path: 'podman', mode: 'version' as const}, {path: 'crio', mode: 'version' as const}]
    const {snapshot} = await gather(versions, {facts: true, units: true, env: {PATH: `${bin}:/usr/bin:/bin`, MULTI: 'a\nb=c', NO_PROXY: 'localhost,.corp'}})
    expect(snapshot.uid).toBe(0)
    expect(snapshot.env.MULTI).toBe('a\nb=c')
    expect(snapshot.env.NO_PROXY).toBe('localhost,.corp')
    expect(snapshot.env.LC_ALL).toBeUndefined()
    expect(snapshot.commands.dockerd).toBe(path.join(bin, 'dockerd'))
    expect(snapshot.commands.crio).toBeNull()
    expect(snapshot.commands.base64).toMatch(/\/base64$/)
    expect(snapshot.versions.dockerd).toEqual({exitCode: 0, output: 'Docker version 27.1.1, build cafe'})
    expect(snapshot.versions.podman).toEqual({exitCode: 3, output: 'broken'})
    expect(snapshot.versions.crio).toBeUndefined()
    expect(snapshot.units).toEqual({docker: 'active', crio: 'inactive', containerd: 'inactive', k3s: 'inactive', 'k3s-agent': 'inactive', 'rke2-server': 'inactive', 'rke2-agent': 'inactive'})
    // systemctl without a running systemd prints nothing: every unit is "unknown".
    writeFileSync(path.join(bin, 'systemctl'), '#!/bin/sh\necho "System has not been booted with systemd" >&2\nexit 1\n', {mode: 0o755})
    const down = await gather([], {facts: true, units: true, env: {PATH: `${bin}:/usr/bin:/bin`}})
    expect(down.snapshot.units).toEqual({docker: 'unknown', crio: 'unknown', containerd: 'unknown', k3s: 'unknown', 'k3s-agent': 'unknown', 'rke2-server': 'unknown', 'rke2-agent': 'unknown'})
    // The facts without the units: no unit lines, the other facts as before.
    const plain = await gather([], {facts: true, env: {PATH: `${bin}:/usr/bin:/bin`}})
    expect(plain.stdout.toString()).not.toMatch(/^unit /m)
    expect(plain.snapshot.units).toEqual({})
    expect(plain.snapshot.commands.systemctl).toBe(path.join(bin, 'systemctl'))
  })

  it('the environment as cat sees it (/proc/self/environ), else env -0: newlines, "=", empty values, bytes that are not UTF-8', async () => {
    const input = encodeGatherRequest([{path: path.join(root, 'd/plain.conf'), mode: 'read'}], {facts: true})
    // A value no JS string can carry to a child: the shell puts the byte 0xff in it.
    const wrapper = 'ODD=$(printf "\\377A="); export ODD; exec /bin/sh -c "$1"'
    const env = {PATH: '/usr/bin:/bin', MULTI: 'a\nb=c', LEAD: '=\n=', EMPTY: '', LC_ALL: 'C.UTF-8'}
    const seen = []
    for (const script of [GATHER_SCRIPT, NO_PROC_ENVIRON]) {
      const r = await execa('/bin/sh', ['-c', wrapper, 'sh', script], {input, env, extendEnv: false, encoding: 'buffer'})
      const snapshot = decodeGatherOutput(bytesOf(r), [{path: path.join(root, 'd/plain.conf'), mode: 'read'}])
      expect(snapshot.env).toMatchObject({MULTI: 'a\nb=c', LEAD: '=\n=', EMPTY: '', ODD: '\ufffdA=', LC_ALL: 'C.UTF-8', PATH: '/usr/bin:/bin'})
      expect(snapshot.entries.get(path.join(root, 'd/plain.conf'))?.content?.toString()).toBe('a = 1\n')
      seen.push(snapshot.env)
    }
    expect(seen[0]).toEqual(seen[1])
  })

  it('finds the tools on PATH as command -v does (without a subshell per tool)', async () => {
    const dirs = ['noexec', 'folder', 'tools'].map((d) => path.join(root, 'lookup', d))
    for (const d of dirs) mkdirSync(d, {recursive: true})
    writeFileSync(path.join(dirs[0]!, 'podman'), '#!/bin/sh\n', {mode: 0o644})
    mkdirSync(path.join(dirs[1]!, 'skopeo'), {recursive: true})
    for (const t of ['podman', 'skopeo', 'crio']) writeFileSync(path.join(dirs[2]!, t), '#!/bin/sh\n', {mode: 0o755})
    symlinkSync(path.join(dirs[2]!, 'crio'), path.join(dirs[0]!, 'crio'))
    symlinkSync(path.join(root, 'lookup', 'nowhere'), path.join(dirs[0]!, 'containerd'))
    const PATH = `${dirs.join(':')}:/usr/bin:/bin`
    const {snapshot} = await gather([], {facts: true, env: {PATH}})
    const scriptPath = `${PATH}:/usr/local/sbin:/usr/sbin:/sbin`
    for (const t of GATHERED_COMMANDS) {
      const r = await execa('/bin/sh', ['-c', 'command -v "$1"', 'sh', t], {env: {PATH: scriptPath}, extendEnv: false, reject: false})
      expect([t, snapshot.commands[t]]).toEqual([t, r.exitCode === 0 ? String(r.stdout) : null])
    }
    expect(snapshot.commands.podman).toBe(path.join(dirs[2]!, 'podman'))
    expect(snapshot.commands.crio).toBe(path.join(dirs[0]!, 'crio'))
  })

  it('refuses a request that is not the gather protocol, and a cut-off answer', async () => {
    const r = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input: 'rm -rf /\n', reject: false})
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe('')
    const requests: GatherRequest[] = [{path: path.join(root, 'd'), mode: 'list'}]
    const {stdout} = await gather(requests)
    expect(() => decodeGatherOutput(stdout.subarray(0, stdout.length - 10), requests)).toThrow(GatherFormatError)
    expect(() => decodeGatherOutput(stdout, [])).toThrow(GatherFormatError)
    // Whatever a login shell's rc file printed first is skipped.
    const noisy = decodeGatherOutput(Buffer.concat([Buffer.from('Welcome!\nmirrorctl-gather 1 is not the header\n'), stdout]), requests)
    expect(noisy.entries.get(path.join(root, 'd'))?.entries).toContain('plain.conf')
  })

  it('says which tool is missing on a host without coreutils', async () => {
    const r = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input: encodeGatherRequest([], {facts: true}), env: {PATH: '/nonexistent'}, extendEnv: false, reject: false})
    expect(r.exitCode).toBe(4)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^mirrorctl-gather: the host lacks base64 \(coreutils\)/)
  })

  it('encodes requests with only plain characters on the wire', () => {
    const wire = encodeGatherRequest([{path: "/a b/'$(x)'\n;|&", mode: 'read'}], {facts: false})
    expect(wire.split('\n')[2]).toBe('r /a\\0040b/\\0047\\0044\\0050x\\0051\\0047\\0012\\0073\\0174\\0046')
    expect(() => encodeGatherRequest([{path: 'relative', mode: 'read'}], {facts: false})).toThrow(/absolute/)
  })
})

describe('GATHER_SCRIPT under each POSIX shell (dash, bash --posix, busybox ash with its own applets)', () => {
  /** The program's path, or null where it is not installed. */
  const which = (program: string) => execa('sh', ['-c', 'command -v "$1"', 'sh', program], {reject: false}).then((r) => (r.exitCode === 0 ? String(r.stdout) : null))
  let applets: string

  beforeAll(() => {
    // busybox's own cat, stat, env ... first on PATH: a host without coreutils.
    applets = mkdtempSync(path.join(tmpdir(), 'mirrorctl-gather-busybox-'))
    for (const t of ['cat', 'base64', 'stat', 'env', 'tr', 'readlink', 'id']) symlinkSync('/usr/bin/busybox', path.join(applets, t))
  })
  afterAll(() => rmSync(applets, {recursive: true, force: true}))

  it('gives the same snapshot: raw bytes, the environment from /proc and without it', async () => {
    const shells = [
      {argv: ['dash'], path: '/usr/bin:/bin'},
      {argv: ['bash', '--posix'], path: '/usr/bin:/bin'},
      {argv: ['busybox', 'sh'], path: applets},
    ]
    const file = path.join(root, 'bytes.bin')
    const requests: GatherRequest[] = [{path: file, mode: 'read'}, {path: path.join(root, 'd'), mode: 'list'}]
    const input = encodeGatherRequest(requests, {facts: true})
    let ran = 0
    for (const shell of shells) {
      const program = await which(shell.argv[0]!)
      if (!program) continue
      for (const script of [GATHER_SCRIPT, NO_PROC_ENVIRON]) {
        // HOME without rc files: bash reads ~/.bashrc when its stdin is a socket, as under sshd.
        const env = {PATH: shell.path, HOME: root, MULTI: 'a\nb=c', LEAD: '=\n'}
        const r = await execa(program, [...shell.argv.slice(1), '-c', script], {input, env, extendEnv: false, reject: false, encoding: 'buffer'})
        expect([shell.argv[0], Buffer.from(r.stderr).toString(), r.exitCode]).toEqual([shell.argv[0], '', 0])
        const snapshot = decodeGatherOutput(bytesOf(r), requests)
        expect(snapshot.entries.get(file)?.content).toEqual(Buffer.from([0, 1, 2, 0xff, 0x0a, 0x2e, 0x0a]))
        expect(snapshot.entries.get(path.join(root, 'd/new\nline.conf'))?.content?.toString()).toBe('content of new\nline.conf\n')
        expect(snapshot.env).toMatchObject({MULTI: 'a\nb=c', LEAD: '=\n', HOME: root})
        ran++
      }
    }
    expect(ran).toBeGreaterThanOrEqual(2)
  })
})

describe('GATHER_SCRIPT: a fixed number of processes, whatever the number of files', () => {
  // Stand-ins for coreutils, first on PATH: each logs its name, may act (a race), then runs the real one.
  let bin: string
  let log: string
  const wrap = (tool: string, before = '', args = '"$@"') =>
    writeFileSync(path.join(bin, tool), `#!/bin/sh\necho ${tool} >> '${log}'\n${before}\nexec /usr/bin/${tool} ${args}\n`, {mode: 0o755})
  const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean)
  const many = () => path.join(root, 'many')
  const FILES: Record<string, Buffer> = {
    'a.conf': Buffer.from('a = 1\n'),
    'empty.conf': Buffer.alloc(0),
    'no-newline.conf': Buffer.from('last line without one'),
    'binary.bin': Buffer.from([0, 0xff, 0x0a, 0x2e, 0x0a, 0, 0x80]),
    'z.conf': Buffer.from('z\n'.repeat(1000)),
  }

  beforeAll(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'mirrorctl-gather-bin-'))
    log = path.join(bin, 'log')
    mkdirSync(path.join(many(), 'listed'), {recursive: true})
    for (const [name, bytes] of Object.entries(FILES)) {
      writeFileSync(path.join(many(), name), bytes)
      writeFileSync(path.join(many(), 'listed', name), bytes)
    }
    writeFileSync(path.join(many(), 'listed/over-childmax.conf'), 'y'.repeat(CHILD_CONTENT_BYTES + 1))
  })
  afterAll(() => rmSync(bin, {recursive: true, force: true}))

  const requests = (): GatherRequest[] => [
    ...Object.keys(FILES).map((name) => ({path: path.join(many(), name), mode: 'read' as const})),
    {path: path.join(many(), 'listed'), mode: 'list'},
    {path: path.join(many(), 'absent.conf'), mode: 'read'},
    {path: path.join(many(), 'absent'), mode: 'list'},
  ]
  const run = (opts: {facts?: boolean; units?: boolean; script?: string} = {}) => {
    writeFileSync(log, '')
    return gather(requests(), {facts: opts.facts ?? true, units: opts.units, script: opts.script, env: {PATH: `${bin}:/usr/bin:/bin`, MULTI: 'a\nb=c'}})
  }
  const expectAllBytes = (snapshot: Awaited<ReturnType<typeof gather>>['snapshot']) => {
    for (const [name, bytes] of Object.entries(FILES)) {
      for (const file of [path.join(many(), name), path.join(many(), 'listed', name)]) {
        expect(snapshot.entries.get(file), file).toMatchObject({kind: 'file', contentState: 'ok', info: {size: bytes.length}})
        expect(snapshot.entries.get(file)?.content, file).toEqual(bytes)
      }
    }
    expect(snapshot.entries.get(path.join(many(), 'listed/over-childmax.conf'))).toMatchObject({kind: 'file', contentState: 'too-big'})
    expect(snapshot.entries.get(path.join(many(), 'listed/over-childmax.conf'))?.content).toBeUndefined()
    expect(snapshot.entries.get(path.join(many(), 'absent.conf'))?.kind).toBe('missing')
  }

  it('reads every file with one stat and one cat, raw: right bytes per file, the environment in the same cat', async () => {
    for (const tool of ['stat', 'cat', 'base64', 'env', 'id', 'readlink', 'tr', 'systemctl']) wrap(tool)
    const {snapshot} = await run()
    expectAllBytes(snapshot)
    expect(snapshot.entries.get(path.join(many(), 'listed'))?.entries).toEqual([...Object.keys(FILES), 'over-childmax.conf'].sort())
    expect(snapshot.env.MULTI).toBe('a\nb=c')
    expect(snapshot.uid).toBe(0)
    expect(calls().sort()).toEqual(['cat', 'stat'])
    // The units (a run that plans reloads): one systemctl more, nothing else.
    const withUnits = await run({units: true})
    expectAllBytes(withUnits.snapshot)
    expect(calls().sort()).toEqual(['cat', 'stat', 'systemctl'])
    expect(Object.keys(withUnits.snapshot.units)).toContain('docker')
    // Without facts, and with nothing to read, fewer still (never a cat without operands).
    await run({facts: false})
    expect(calls().sort()).toEqual(['cat', 'stat'])
    writeFileSync(log, '')
    const none = await gather([{path: path.join(many(), 'listed'), mode: 'stat'}], {env: {PATH: `${bin}:/usr/bin:/bin`}})
    expect(none.snapshot.entries.get(path.join(many(), 'listed'))?.kind).toBe('directory')
    expect(calls()).toEqual(['stat'])
  })

  it('a path that vanishes before the stat: one stat per path, that path missing, the others right', async () => {
    const gone = path.join(many(), 'gone.conf')
    writeFileSync(gone, 'soon gone\n')
    wrap('stat', `rm -f '${gone}'`)
    wrap('cat')
    const {snapshot} = await gather([...requests(), {path: gone, mode: 'read'}], {env: {PATH: `${bin}:/usr/bin:/bin`}})
    expectAllBytes(snapshot)
    expect(snapshot.entries.get(gone)).toEqual({kind: 'missing', info: null, linkTarget: null})
    expect(calls().filter((c) => c === 'stat').length).toBeGreaterThan(1)
  })

  it('a read that fails inside the one cat: each file is read again on its own', async () => {
    wrap('stat')
    wrap('cat', '', '"$@" /nonexistent/mirrorctl-gather')
    const {snapshot, stdout} = await run()
    expect(stdout.toString()).toContain('\nreadfail\n')
    expectAllBytes(snapshot)
    expect(snapshot.env.MULTI).toBe('a\nb=c')
  })

  it('a file that grows between the stat and the cat: GatherRaceError (the caller gathers again)', async () => {
    const growing = path.join(many(), 'a.conf')
    wrap('cat', `printf 'more' >> '${growing}'`)
    writeFileSync(log, '')
    const input = encodeGatherRequest(requests(), {facts: true})
    const r = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input, env: {PATH: `${bin}:/usr/bin:/bin`}, extendEnv: false, encoding: 'buffer'})
    writeFileSync(growing, FILES['a.conf']!)
    expect(() => decodeGatherOutput(bytesOf(r), requests())).toThrow(GatherRaceError)
    expect(new GatherRaceError('x')).toBeInstanceOf(GatherFormatError)
  })

  it('a file that grows between the stat and the cat without /proc (env prints the environment): GatherRaceError too', async () => {
    const growing = path.join(many(), 'a.conf')
    wrap('cat', `printf 'more' >> '${growing}'`)
    const input = encodeGatherRequest(requests(), {facts: true})
    const r = await execa('/bin/sh', ['-c', NO_PROC_ENVIRON], {input, env: {PATH: `${bin}:/usr/bin:/bin`}, extendEnv: false, encoding: 'buffer'})
    writeFileSync(growing, FILES['a.conf']!)
    expect(() => decodeGatherOutput(bytesOf(r), requests())).toThrow(GatherRaceError)
  })

  it('without /proc: env -0 gives the same environment, with one env more', async () => {
    wrap('cat')
    wrap('env')
    const viaProc = await run()
    const viaEnv = await run({script: NO_PROC_ENVIRON})
    expectAllBytes(viaEnv.snapshot)
    expect(calls().sort()).toEqual(['cat', 'env', 'stat'])
    expect(viaEnv.snapshot.env).toEqual(viaProc.snapshot.env)
    expect(viaEnv.snapshot.env.MULTI).toBe('a\nb=c')
    // With nothing to read, the environment alone (no cat).
    writeFileSync(log, '')
    const alone = await gather([], {facts: true, script: NO_PROC_ENVIRON, env: {PATH: `${bin}:/usr/bin:/bin`, MULTI: 'a\nb=c'}})
    expect(alone.snapshot.env.MULTI).toBe('a\nb=c')
    expect(calls()).toEqual(['env'])
  })

  it('env without -0 (older busybox, no /proc): the plain form, split at newlines as before', async () => {
    wrap('cat')
    wrap('env', '[ "${1-}" = -0 ] && exit 1')
    const {snapshot} = await run({script: NO_PROC_ENVIRON})
    expectAllBytes(snapshot)
    expect(snapshot.env).toMatchObject({MULTI: 'a', b: 'c', PATH: `${bin}:/usr/bin:/bin`})
  })
})

describe('decodeGatherOutput: the content stream split by the stat sizes', () => {
  const requests: GatherRequest[] = [
    {path: '/etc/a.conf', mode: 'read'},
    {path: '/etc/b.conf', mode: 'read'},
  ]
  const head = ['mirrorctl-gather 2', '@ 1', 'T', '@ 2', 'T', 'stat', '81a4 0 0 3 data', '81a4 0 0 2 data']
  /** An answer as the script writes it: the lines, the raw content framed by "content" and "content-end", the tail. */
  const frame = (lines: string[], content: string, tail: string[] = []) => Buffer.from([...lines, `${content}\ncontent-end`, ...tail, 'done', ''].join('\n'))
  const answer = (content: string, tail = '') => frame([...head, 'content 0'], content, tail ? [tail] : [])

  it('gives each file its own bytes', () => {
    const snapshot = decodeGatherOutput(answer('abcde'), requests)
    expect(snapshot.entries.get('/etc/a.conf')?.content?.toString()).toBe('abc')
    expect(snapshot.entries.get('/etc/b.conf')?.content?.toString()).toBe('de')
  })

  it('throws GatherRaceError when the bytes do not add up to the sizes', () => {
    expect(() => decodeGatherOutput(answer('abcdef'), requests)).toThrow(GatherRaceError)
    expect(() => decodeGatherOutput(answer('abcd'), requests)).toThrow(/4 bytes where their stat said 5/)
  })

  it('splits the environment at "=\\n" where an entry would start, and catches an entry that starts so', () => {
    const withEnv = (env: string, content: string) => frame(['mirrorctl-gather 2', 'uid 0', ...head.slice(1), 'content 1'], env + content)
    const snapshot = decodeGatherOutput(withEnv('A=x\n=\n\0B==\n\0=\n', 'abcde'), requests)
    expect(snapshot.env).toEqual({A: 'x\n=\n', B: '=\n'})
    expect(snapshot.entries.get('/etc/b.conf')?.content?.toString()).toBe('de')
    expect(decodeGatherOutput(withEnv('=\n', 'abcde'), requests).env).toEqual({})
    // An entry with an empty name (no shell exports one) would cut the environment short: the sizes disagree.
    expect(() => decodeGatherOutput(withEnv('A=1\0=\nx\0=\n', 'abcde'), requests)).toThrow(GatherRaceError)
    expect(() => decodeGatherOutput(withEnv('A=1\0', 'abcde'), requests)).toThrow(GatherFormatError)
  })

  it('a content not ended by "content-end" is a cut-off answer', () => {
    const full = answer('abcde')
    const cut = full.subarray(0, full.indexOf('\ncontent-end'))
    expect(() => decodeGatherOutput(cut, requests)).toThrow(/cut off in the content/)
  })

  it('after "readfail", takes each file from its own block ("!" is unreadable)', () => {
    const snapshot = decodeGatherOutput(answer('ab', `readfail\n${Buffer.from('xyz').toString('base64')}\n.\n!`), requests)
    expect(snapshot.entries.get('/etc/a.conf')?.content?.toString()).toBe('xyz')
    expect(snapshot.entries.get('/etc/b.conf')).toMatchObject({contentState: 'unreadable'})
  })
})

describe('encodeGatherRequest of the candidate list', () => {
  it('names the list with one "*" line (the script holds it); the script answers it as it answers every line sent', async () => {
    const frozen = candidateRequests()
    expect(candidateRequests()).toBe(frozen)
    expect(Object.isFrozen(frozen) && frozen.every((r) => Object.isFrozen(r))).toBe(true)
    for (const level of [0, 1, 2]) {
      const options = {facts: level > 0, units: level === 2}
      expect(encodeGatherRequest(frozen, options)).toBe(`mirrorctl-gather 1\nfacts ${level}\n*\n`)
    }
    const copy = frozen.map((r) => ({...r}))
    expect(encodeGatherRequest(copy, {facts: true}).split('\n')).toHaveLength(frozen.length + 3)
    // The same answer either way, on this machine's own files (and a "*" between other lines).
    const env = {PATH: '/usr/bin:/bin', HOME: root}
    const viaStar = await gather(frozen, {facts: true, env})
    const input = encodeGatherRequest(copy, {facts: true})
    const r = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input, env, extendEnv: false, encoding: 'buffer'})
    expect(bytesOf(r)).toEqual(viaStar.stdout)
    const around: GatherRequest[] = [{path: path.join(root, 'd/plain.conf'), mode: 'read'}, ...frozen, {path: path.join(root, 'bytes.bin'), mode: 'stat'}]
    const lines = encodeGatherRequest([around[0]!], {facts: false}).split('\n')
    const mixed = [lines[0], lines[1], lines[2], '*', `s ${path.join(root, 'bytes.bin')}`, ''].join('\n')
    const m = await execa('/bin/sh', ['-c', GATHER_SCRIPT], {input: mixed, env, extendEnv: false, encoding: 'buffer'})
    const snapshot = decodeGatherOutput(bytesOf(m), around)
    expect(snapshot.entries.get(path.join(root, 'd/plain.conf'))?.content?.toString()).toBe('a = 1\n')
    expect(snapshot.entries.get(path.join(root, 'bytes.bin'))?.info?.size).toBe(7)
    expect(snapshot.entries.get('/etc/containers/registries.conf')).toEqual(viaStar.snapshot.entries.get('/etc/containers/registries.conf'))
  })
})
