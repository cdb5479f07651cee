import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync} from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cli, REPO, tempDir} from '../helpers/cli.js'

const fedora = readFileSync(path.join(REPO, 'fixtures/registries-conf/fedora-default.conf'), 'utf8')
let root: string
let cleanup: () => void
const conf = () => path.join(root, 'etc/containers/registries.conf')
const dropIns = () => path.join(root, 'etc/containers/registries.conf.d')

beforeEach(() => {
  ;({dir: root, cleanup} = tempDir('cli'))
  mkdirSync(dropIns(), {recursive: true})
  writeFileSync(conf(), fedora)
})
afterEach(() => cleanup())

describe('lint', () => {
  it('prints exactly the documented JSON shape and exits 1 on an error', async () => {
    const r = await cli(['lint', '-', '--json'], {input: '[[registry]]\nlocation = "https://quay.io"\nmirrors = []\n'})
    expect(r.exitCode).toBe(1)
    const out = JSON.parse(r.stdout)
    expect(Object.keys(out)).toEqual(['findings'])
    expect(out.findings[0]).toEqual({
      rule: 'registries-conf/uri-scheme',
      severity: 'error',
      file: '<stdin>',
      line: 2,
      column: 12,
      message: "invalid location 'https://quay.io': URI schemes are not supported",
      hint: expect.any(String),
    })
    expect(Object.keys(out.findings[0])).toEqual(['rule', 'severity', 'file', 'line', 'column', 'message', 'hint'])
    expect(out.findings.map((f: {rule: string}) => f.rule)).toContain('registries-conf/unknown-key')
  })

  it('exits 0 with warnings only, and --format json equals --json', async () => {
    const input = '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "docker.io"\n'
    const a = await cli(['lint', '-', '--format', 'json'], {input})
    const b = await cli(['lint', '-', '--json'], {input})
    expect(a.exitCode).toBe(0)
    expect(a.stdout).toBe(b.stdout)
  })

  it('lints the files the engines read under --root, drop-ins included, and reports a clash at the later file', async () => {
    writeFileSync(path.join(dropIns(), '10-a.conf'), '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m.example.com"\n')
    writeFileSync(path.join(dropIns(), '20-b.conf'), '[[registry]]\nlocation = "docker.io"\n')
    writeFileSync(path.join(dropIns(), 'ignored.txt'), 'not toml at all [[[')
    const r = await cli(['lint', '--root', root, '--json'])
    expect(r.exitCode).toBe(0)
    const f = JSON.parse(r.stdout).findings.find((x: {rule: string}) => x.rule === 'registries-conf/replaced-by-drop-in')
    expect(f.file).toBe('/etc/containers/registries.conf.d/20-b.conf')
    expect(f.line).toBe(1)
  })

  it('prints github annotations and valid-looking SARIF', async () => {
    const input = 'short-name-mode = "prompt"\n'
    const gh = await cli(['lint', '-', '--format', 'github'], {input})
    expect(gh.stdout).toMatch(/^::error file=<stdin>,line=1,col=19,title=registries-conf\/invalid-short-name-mode::/m)
    const sarif = JSON.parse((await cli(['lint', '-', '--format', 'sarif'], {input})).stdout)
    expect(sarif.version).toBe('2.1.0')
    expect(sarif.runs[0].results[0].ruleId).toBe('registries-conf/invalid-short-name-mode')
  })

  it('reports a TOML syntax error with its position', async () => {
    const r = await cli(['lint', path.join(REPO, 'fixtures/registries-conf/bad-syntax.conf')])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/bad-syntax\.conf:3:1\s+error\s+TOML syntax error/)
  })

  it('lists the rules from the catalog', async () => {
    const r = await cli(['lint', '--list-rules', '--json'])
    const ids = JSON.parse(r.stdout).rules.map((x: {id: string}) => x.id)
    expect(ids).toContain('registries-conf/key-in-mirror-scope')
  })

  it('exits 2 on an unreadable path, without a stack trace', async () => {
    const r = await cli(['lint', path.join(root, 'missing.conf')])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/missing\.conf: cannot read it \(ENOENT\)/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2 on a usage error', async () => {
    const r = await cli(['lint', '--format', 'xml'])
    expect(r.exitCode).toBe(2)
  })
})

describe('resolve', () => {
  it('prints exactly the documented JSON shape', async () => {
    writeFileSync(path.join(dropIns(), '50-hub.conf'), '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "127.0.0.1:5000"\ninsecure = true\n')
    writeFileSync(path.join(dropIns(), '00-alias.conf'), '[aliases]\n"hello" = "quay.io/podman/hello"\n')
    const r = await cli(['resolve', '--root', root, '--json', 'docker.io/library/nginx', 'hello:1', 'ubi9', 'quay.io/a/b@sha256:' + 'c'.repeat(64), 'docker.io/library/x:'])
    expect(r.exitCode).toBe(1) // ubi9 and x: cannot be resolved (each error stays in its result)
    expect(JSON.parse(r.stdout)).toEqual({
      results: [
        {
          image: 'docker.io/library/nginx',
          matchedPrefix: 'docker.io',
          blocked: false,
          sources: [
            {reference: '127.0.0.1:5000/library/nginx:latest', insecure: true, mirror: true},
            {reference: 'docker.io/library/nginx:latest', insecure: false, mirror: false},
          ],
        },
        {image: 'hello:1', candidates: [{image: 'quay.io/podman/hello:1', matchedPrefix: null, blocked: false, sources: [{reference: 'quay.io/podman/hello:1', insecure: false, mirror: false}]}]},
        {image: 'ubi9', error: 'short-name resolution enforced but cannot prompt without a TTY'},
        {image: 'quay.io/a/b@sha256:' + 'c'.repeat(64), matchedPrefix: null, blocked: false, sources: [{reference: 'quay.io/a/b@sha256:' + 'c'.repeat(64), insecure: false, mirror: false}]},
        {image: 'docker.io/library/x:', error: expect.stringMatching(/invalid tag/)},
      ],
    })
  })

  it('exits 1 with the error shape when the loader would reject the configuration', async () => {
    writeFileSync(path.join(dropIns(), '10-v1.conf'), '[registries.search]\nregistries = ["docker.io"]\n')
    const r = await cli(['resolve', '--root', root, '--json', 'nginx'])
    expect(r.exitCode).toBe(1)
    const out = JSON.parse(r.stdout)
    expect(out.error.file).toBe('/etc/containers/registries.conf.d/10-v1.conf')
    expect(out.error.line).toBe(1)
    expect(out.error.message).toMatch(/v2 format/)
  })

  it('honours the user file and CONTAINERS_REGISTRIES_CONF as the engines do', async () => {
    const home = path.join(root, 'home/u')
    mkdirSync(path.join(home, '.config/containers'), {recursive: true})
    writeFileSync(path.join(home, '.config/containers/registries.conf'), '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "user-mirror.example.com"\n')
    const viaUser = await cli(['resolve', '--root', root, '--json', 'docker.io/library/a'], {env: {HOME: '/home/u'}})
    expect(JSON.parse(viaUser.stdout).results[0].sources[0].reference).toBe('user-mirror.example.com/library/a:latest')
    const own = path.join(root, 'own.conf')
    writeFileSync(own, '[[registry]]\nlocation = "docker.io"\nblocked = true\n')
    const viaEnv = await cli(['resolve', '--json', 'docker.io/library/a'], {env: {CONTAINERS_REGISTRIES_CONF: own, HOME: '/nonexistent'}})
    expect(JSON.parse(viaEnv.stdout).results[0].blocked).toBe(true)
  })
})

describe('mirror add / remove / list', () => {
  it('dry-run prints a diff and writes nothing; then a real run writes atomically, keeps mode, backs up', async () => {
    chmodSync(conf(), 0o640)
    const dry = await cli(['mirror', 'add', 'docker.io', 'mirror.example.com:5000', '--root', root, '--dry-run'])
    expect(dry.exitCode).toBe(0)
    expect(dry.stdout).toContain('+[[registry.mirror]]')
    expect(dry.stdout).toContain('+location = "mirror.example.com:5000"')
    expect(readFileSync(conf(), 'utf8')).toBe(fedora)

    const run = await cli(['mirror', 'add', 'docker.io', 'mirror.example.com:5000', '--root', root, '--json'])
    expect(run.exitCode).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out.changed).toBe(true)
    const after = readFileSync(conf(), 'utf8')
    expect(after.startsWith(fedora)).toBe(true)
    expect(statSync(conf()).mode & 0o777).toBe(0o640)
    const backups = path.join(root, 'var/lib/mirrorctl/backups', encodeURIComponent('/etc/containers/registries.conf'))
    expect(readFileSync(path.join(backups, readdirSync(backups)[0]!), 'utf8')).toBe(fedora)
    expect(readdirSync(path.dirname(conf())).filter((n) => n.includes('mirrorctl'))).toEqual([])

    const again = await cli(['mirror', 'add', 'docker.io', 'mirror.example.com:5000', '--root', root])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toMatch(/nothing to change/)
    expect(readFileSync(conf(), 'utf8')).toBe(after)
  })

  it('keeps the last 5 backups per file', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await cli(['mirror', i % 2 ? 'remove' : 'add', 'docker.io', 'm.example.com', '--root', root])
      expect(r.exitCode).toBe(0)
    }
    const backups = path.join(root, 'var/lib/mirrorctl/backups', encodeURIComponent('/etc/containers/registries.conf'))
    expect(readdirSync(backups)).toHaveLength(5)
  })

  it('--no-backup writes no backup', async () => {
    await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--no-backup'])
    expect(existsSync(path.join(root, 'var/lib/mirrorctl'))).toBe(false)
  })

  it('leaves a file the engines reject untouched and says where the problem is', async () => {
    const bad = '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\npull-from-mirror = "sometimes"\nlocation = "a.example.com"\n'
    writeFileSync(conf(), bad)
    const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/registries\.conf:4:20: unsupported pull-from-mirror value "sometimes"/)
    expect(readFileSync(conf(), 'utf8')).toBe(bad)
  })

  it('rejects a bad mirror argument with exit 2 and writes nothing', async () => {
    for (const bad of ['ftp://m.example.com', 'user:pw@m.example.com', 'm.example.com:99999', 'M.example.com/UPPER']) {
      const r = await cli(['mirror', 'add', 'docker.io', bad, '--root', root])
      expect(r.exitCode, bad).toBe(2)
    }
    expect(readFileSync(conf(), 'utf8')).toBe(fedora)
    const none = await cli(['mirror', 'add', 'docker.io', '--root', root])
    expect(none.exitCode).toBe(2)
  })

  it('lists, then removes, mirrors', async () => {
    await cli(['mirror', 'add', 'docker.io', 'a.example.com', 'b.example.com/hub', '--insecure', '--root', root])
    const list = JSON.parse((await cli(['mirror', 'list', '--root', root, '--json'])).stdout).podman
    expect(list.registries).toEqual([
      {
        prefix: 'docker.io',
        location: 'docker.io',
        file: '/etc/containers/registries.conf',
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: [
          {location: 'a.example.com', insecure: true, pullFromMirror: 'all'},
          {location: 'b.example.com/hub', insecure: true, pullFromMirror: 'all'},
        ],
      },
    ])
    const rm = await cli(['mirror', 'remove', 'docker.io', 'a.example.com', '--root', root, '--json'])
    expect(JSON.parse(rm.stdout).changed).toBe(true)
    const after = JSON.parse((await cli(['mirror', 'list', '--root', root, '--json'])).stdout).podman
    expect(after.registries[0].mirrors.map((m: {location: string}) => m.location)).toEqual(['b.example.com/hub'])
  })
})

describe('help', () => {
  it('every command has help with examples', async () => {
    for (const c of [['lint'], ['resolve'], ['mirror', 'add'], ['mirror', 'remove'], ['mirror', 'list'], ['check'], ['ratelimit'], ['proxy', 'explain']]) {
      const r = await cli([...c, '--help'])
      expect(r.exitCode, c.join(' ')).toBe(0)
      expect(r.stdout, c.join(' ')).toMatch(/EXAMPLES/)
    }
  })
})

describe('engines: docker and podman together', () => {
  const daemonJson = () => path.join(root, 'etc/docker/daemon.json')
  const pretty = '{\n    "log-driver": "json-file",\n    "log-opts": {"max-size": "10m"}\n}\n'
  beforeEach(() => {
    mkdirSync(path.dirname(daemonJson()), {recursive: true})
    writeFileSync(daemonJson(), pretty)
  })

  it('edits every detected engine, keeping daemon.json layout, and is idempotent', async () => {
    const r = await cli(['mirror', 'add', 'docker.io', 'mirror.example.com:5000', '--root', root, '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).files.map((f: {engine: string}) => f.engine)).toEqual(['podman', 'docker'])
    expect(readFileSync(daemonJson(), 'utf8')).toBe('{\n    "log-driver": "json-file",\n    "log-opts": {"max-size": "10m"},\n    "registry-mirrors": [\n        "https://mirror.example.com:5000"\n    ]\n}\n')
    const again = await cli(['mirror', 'add', 'docker.io', 'mirror.example.com:5000', '--root', root, '--json'])
    expect(JSON.parse(again.stdout).changed).toBe(false)
  })

  it('skips docker for a registry other than Docker Hub when it was only detected, refuses when asked for', async () => {
    const r = await cli(['mirror', 'add', 'quay.io', 'q.example.com', '--root', root, '--json'])
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout).skipped).toEqual([{engine: 'docker', reason: 'registry-mirrors serve Docker Hub only, not quay.io'}])
    expect(readFileSync(daemonJson(), 'utf8')).toBe(pretty)
    const asked = await cli(['mirror', 'add', 'quay.io', 'q.example.com', '--root', root, '--engine', 'docker'])
    expect(asked.exitCode).toBe(2)
    expect(asked.stderr).toMatch(/Docker Hub \(docker\.io\) only/)
    expect(asked.stderr).toMatch(/hint: .*registries\.conf/)
  })

  it('removing all Docker mirrors writes [] so a reload clears them', async () => {
    await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'docker'])
    await cli(['mirror', 'remove', 'docker.io', '--root', root, '--engine', 'docker'])
    expect(JSON.parse(readFileSync(daemonJson(), 'utf8'))['registry-mirrors']).toEqual([])
  })

  it('leaves a daemon.json dockerd would refuse untouched, with its position', async () => {
    writeFileSync(daemonJson(), '{\n  // comment\n  "debug": true\n}\n')
    const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root, '--engine', 'docker'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/daemon\.json:2:3/)
    expect(readFileSync(daemonJson(), 'utf8')).toBe('{\n  // comment\n  "debug": true\n}\n')
  })

  it('lint recognises daemon.json by itself and checks it against --docker-version', async () => {
    writeFileSync(daemonJson(), '{"registry-mirrors": ["https://harbor.example.com/dockerhub-proxy"]}\n')
    const old = JSON.parse((await cli(['lint', daemonJson(), '--docker-version', '24.0.9', '--json'])).stdout).findings
    expect(old.map((f: {rule: string; severity: string}) => `${f.rule}:${f.severity}`)).toContain('daemon-json/mirror-path:error')
    const recent = await cli(['lint', daemonJson(), '--docker-version', '25.0.0', '--json'])
    expect(recent.exitCode).toBe(0)
    expect(JSON.parse(recent.stdout).findings.map((f: {rule: string}) => f.rule)).toContain('daemon-json/harbor-project-path')
    const all = JSON.parse((await cli(['lint', '--root', root, '--json', '--docker-version', '24.0.0'])).stdout).findings
    expect(all.some((f: {file: string}) => f.file === '/etc/docker/daemon.json')).toBe(true)
  })

  it('lists both engines', async () => {
    await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', root])
    const list = JSON.parse((await cli(['mirror', 'list', '--root', root, '--json'])).stdout)
    expect(list.docker.registryMirrors).toEqual(['https://m.example.com/'])
    expect(list.podman.registries[0].mirrors[0].location).toBe('m.example.com')
  })

  it('requires --engine when no engine is detected', async () => {
    const {dir, cleanup: done} = tempDir('bare')
    try {
      const r = await cli(['mirror', 'add', 'docker.io', 'm.example.com', '--root', dir])
      expect(r.exitCode).toBe(2)
      expect(r.stderr).toMatch(/--engine/)
    } finally {
      done()
    }
  })
})

describe('internal mirrors behind a proxy', () => {
  const dropIn = () => path.join(root, 'etc/systemd/system/docker.service.d/http-proxy.conf')
  beforeEach(() => {
    mkdirSync(path.dirname(dropIn()), {recursive: true})
    writeFileSync(dropIn(), '[Service]\n# corporate proxy\nEnvironment="HTTPS_PROXY=http://proxy.corp.example.com:3128"\nEnvironment="NO_PROXY=localhost"\n')
    mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{}\n')
  })

  it('warns without --fix-no-proxy, and lint points at the mirror with the exact NO_PROXY', async () => {
    const r = await cli(['mirror', 'add', 'docker.io', 'registry-cache.corp.internal:5000', '--root', root, '--engine', 'docker'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/warning: docker would reach the new mirror through its proxy; rerun with --fix-no-proxy/)
    const lint = JSON.parse((await cli(['lint', '--root', root, '--json'])).stdout).findings
    const f = lint.find((x: {rule: string}) => x.rule === 'daemon-json/mirror-through-proxy')
    expect(f.file).toBe('/etc/docker/daemon.json')
    expect(f.hint).toContain('NO_PROXY=localhost,registry-cache.corp.internal,127.0.0.1,::1')
  })

  it('--fix-no-proxy extends NO_PROXY in the drop-in dockerd reads and names the restart', async () => {
    const r = await cli(['mirror', 'add', 'docker.io', 'registry-cache.corp.internal:5000', '--root', root, '--engine', 'docker', '--fix-no-proxy', '--json'])
    expect(r.exitCode, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    const fix = out.files.find((f: {path: string}) => f.path.endsWith('http-proxy.conf'))
    expect(fix.actions.join(' ')).toMatch(/systemctl daemon-reload && systemctl restart docker/)
    const text = readFileSync(dropIn(), 'utf8')
    expect(text).toContain('# corporate proxy')
    expect(text).toContain('NO_PROXY=localhost,registry-cache.corp.internal,127.0.0.1,::1')
    const explain = JSON.parse((await cli(['proxy', 'explain', 'https://registry-cache.corp.internal:5000/v2/', '--engine', 'docker', '--root', root, '--json'])).stdout)
    expect(explain.proxy).toBeNull()
    const again = await cli(['mirror', 'add', 'docker.io', 'registry-cache.corp.internal:5000', '--root', root, '--engine', 'docker', '--fix-no-proxy', '--json'])
    expect(JSON.parse(again.stdout).changed).toBe(false)
  })
})

describe('daemon.json against the dockerd command line of the systemd unit', () => {
  const unitDir = () => path.join(root, 'lib/systemd/system')
  beforeEach(() => {
    mkdirSync(unitDir(), {recursive: true})
    writeFileSync(
      path.join(unitDir(), 'docker.service'),
      '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --registry-mirror=https://old.example.com\n',
    )
    mkdirSync(path.join(root, 'etc/docker'), {recursive: true})
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{\n  "hosts": ["unix:///var/run/docker.sock"]\n}\n')
  })

  it('lint reports keys that are also flags (dockerd refuses to start)', async () => {
    const r = await cli(['lint', '--root', root, '--json'])
    expect(r.exitCode).toBe(1)
    const f = JSON.parse(r.stdout).findings.filter((x: {rule: string}) => x.rule === 'daemon-json/flag-conflict')
    expect(f).toHaveLength(1)
    expect(f[0].line).toBe(2)
  })

  it('mirror add refuses to write registry-mirrors when the unit passes --registry-mirror', async () => {
    writeFileSync(path.join(root, 'etc/docker/daemon.json'), '{}\n')
    const r = await cli(['mirror', 'add', 'docker.io', 'https://m.example.com', '--root', root, '--engine', 'docker'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/nothing was written/)
    expect(readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')).toBe('{}\n')
  })
})
