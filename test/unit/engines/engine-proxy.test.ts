import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {loadEngineProxyConfig, noProxyTarget} from '../../../src/engines/engine-proxy.js'
import {renderNoProxyDropIn, setContainersConfNoProxy, setEnvironmentFileNoProxy} from '../../../src/engines/proxy/no-proxy-edits.js'
import {containersConfEngineEnv, podmanProxyConfig} from '../../../src/engines/proxy/engine-env.js'
import {parseEnvironmentFile} from '../../../src/engines/proxy/environment-file.js'
import {mergeUnitEnvironment, parseSystemdUnit} from '../../../src/engines/proxy/systemd-unit.js'
import {LocalHost} from '../../../src/hosts/local-host.js'
import {decideProxy, labelEnv} from '../../../src/net/proxy.js'
import {getStaticTOMLValue, parseTOML} from 'toml-eslint-parser'

const DROP_IN_DIR = '/etc/systemd/system/docker.service.d'
const roots: string[] = []

afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, {recursive: true, force: true})
})

/** A --root tree with these files; a value starting with "->" makes a symlink. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mirrorctl-engine-proxy-'))
  roots.push(root)
  for (const [file, content] of Object.entries(files)) {
    const real = join(root, file)
    mkdirSync(dirname(real), {recursive: true})
    if (content.startsWith('->')) symlinkSync(content.slice(2), real)
    else writeFileSync(real, content)
  }
  return root
}

/** A host whose user we choose (tests may run as root). */
function host(root: string, env: Record<string, string> = {}, isRoot = true): LocalHost {
  const h = new LocalHost(root, env)
  Object.defineProperty(h, 'isRoot', {value: isRoot})
  return h
}

const values = (config: {httpProxy?: {value: string}; httpsProxy?: {value: string}; noProxy?: {value: string}}) => ({
  http: config.httpProxy?.value,
  https: config.httpsProxy?.value,
  no: config.noProxy?.value,
})

describe('loadEngineProxyConfig: docker', () => {
  it('applies unit, drop-ins in systemd order (same name: higher folder wins) and EnvironmentFile=', async () => {
    const root = tree({
      '/lib/systemd/system/docker.service': '[Service]\nEnvironment=HTTP_PROXY=http://vendor:1\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/bin/dockerd -H fd://\n',
      '/usr/lib/systemd/system/docker.service.d/10-proxy.conf': '[Service]\nEnvironment=HTTPS_PROXY=http://shadowed:1\n',
      [`${DROP_IN_DIR}/10-proxy.conf`]: '[Service]\nEnvironment="HTTPS_PROXY=http://etc:3128" "NO_PROXY=one"\n',
      '/run/systemd/system/docker.service.d/15-run.conf': '[Service]\nEnvironment=HTTPS_PROXY=http://run:3128\n',
      [`${DROP_IN_DIR}/20-override.conf`]: '# later name wins\n[Service]\nEnvironment=NO_PROXY=two\n',
      [`${DROP_IN_DIR}/notes.txt`]: '[Service]\nEnvironment=NO_PROXY=ignored\n',
      '/etc/default/docker': '# Debian style\nHTTP_PROXY="http://envfile:8080"\n',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(values(r.config)).toEqual({http: 'http://envfile:8080', https: 'http://run:3128', no: 'two'})
    expect(r.config.httpsProxy!.source).toBe('/run/systemd/system/docker.service.d/15-run.conf:2: HTTPS_PROXY')
    expect(r.config.httpProxy!.source).toBe('/etc/default/docker:2: HTTP_PROXY')
    expect(r.sources).toEqual([
      '/lib/systemd/system/docker.service',
      `${DROP_IN_DIR}/10-proxy.conf`,
      '/run/systemd/system/docker.service.d/15-run.conf',
      `${DROP_IN_DIR}/20-override.conf`,
      '/etc/default/docker',
    ])
    expect(r.mode).toBe('rootful')
    expect(r.needsRestart).toBe('systemctl daemon-reload && systemctl restart docker')
    expect(r.notes).toEqual([])
  })

  it('uses the highest-priority unit file only', async () => {
    const root = tree({
      '/usr/lib/systemd/system/docker.service': '[Service]\nEnvironment=HTTPS_PROXY=http://vendor:1\n',
      '/etc/systemd/system/docker.service': '[Service]\nEnvironment=NO_PROXY=local\n',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(values(r.config)).toEqual({http: undefined, https: undefined, no: 'local'})
  })

  it('a drop-in symlinked to /dev/null masks the same name in lower folders', async () => {
    const root = tree({
      '/usr/lib/systemd/system/docker.service.d/proxy.conf': '[Service]\nEnvironment=HTTPS_PROXY=http://vendor:1\n',
      [`${DROP_IN_DIR}/proxy.conf`]: '->/dev/null',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(r.config.httpsProxy).toBeUndefined()
  })

  it("reads the manager's DefaultEnvironment=, which the unit overrides", async () => {
    const root = tree({
      '/etc/systemd/system.conf.d/proxy.conf': '[Manager]\nDefaultEnvironment="HTTPS_PROXY=http://corp:3128" "NO_PROXY=corp"\n',
      [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=NO_PROXY=unit\n',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(values(r.config)).toEqual({http: undefined, https: 'http://corp:3128', no: 'unit'})
    expect(r.config.httpsProxy!.source).toBe('/etc/systemd/system.conf.d/proxy.conf:2: HTTPS_PROXY')
  })

  it('expands EnvironmentFile= globs and notes a missing required file', async () => {
    const root = tree({
      [`${DROP_IN_DIR}/env.conf`]: '[Service]\nEnvironmentFile=/etc/docker/proxy.d/*.env\nEnvironmentFile=/etc/docker/missing.env\n',
      '/etc/docker/proxy.d/a.env': 'HTTPS_PROXY=http://a:1\n',
      '/etc/docker/proxy.d/b.env': 'HTTPS_PROXY=http://b:1\n',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(r.config.httpsProxy).toEqual({value: 'http://b:1', source: '/etc/docker/proxy.d/b.env:1: HTTPS_PROXY'})
    expect(r.notes.join('\n')).toMatch(/\/etc\/docker\/missing\.env: .*refuses to start/)
  })

  it('daemon.json proxies override both spellings; an empty value leaves the environment alone', async () => {
    const root = tree({
      [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://unit:1 https_proxy=http://lower:1 NO_PROXY=unit\n',
      '/etc/docker/daemon.json': JSON.stringify({proxies: {'https-proxy': 'http://json:3128', 'no-proxy': ''}}),
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(values(r.config)).toEqual({http: undefined, https: 'http://json:3128', no: 'unit'})
    expect(r.config.httpsProxy!.source).toBe('/etc/docker/daemon.json proxies.https-proxy')
    expect(r.env.https_proxy!.value).toBe('http://json:3128')
    expect(r.sources).toContain('/etc/docker/daemon.json')
  })

  it('reads daemon.json from the given path, and from --config-file on ExecStart=', async () => {
    const root = tree({
      '/usr/lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/bin/dockerd --config-file /srv/docker.json -H fd://\n',
      '/srv/docker.json': '{"proxies": {"https-proxy": "http://flagfile:1"}}',
      '/tmp/other.json': '{"proxies": {"https-proxy": "http://option:1"}}',
    })
    expect((await loadEngineProxyConfig(host(root), 'docker')).config.httpsProxy!.value).toBe('http://flagfile:1')
    expect((await loadEngineProxyConfig(host(root), 'docker', {daemonJsonPath: '/tmp/other.json'})).config.httpsProxy!.value).toBe('http://option:1')
  })

  it('reads --https-proxy on ExecStart= and notes a conflict with daemon.json', async () => {
    const root = tree({
      '/usr/lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/bin/dockerd -H fd://\n',
      [`${DROP_IN_DIR}/flags.conf`]: '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --https-proxy=http://flag:1 --no-proxy example.com\n',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(values(r.config)).toEqual({http: undefined, https: 'http://flag:1', no: 'example.com'})
    expect(r.config.httpsProxy!.source).toBe(`${DROP_IN_DIR}/flags.conf:3: --https-proxy`)
    const both = tree({
      [`${DROP_IN_DIR}/flags.conf`]: '[Service]\nExecStart=/usr/bin/dockerd --https-proxy=http://flag:1\n',
      '/etc/docker/daemon.json': '{"proxies": {"https-proxy": "http://json:1"}}',
    })
    expect((await loadEngineProxyConfig(host(both), 'docker')).notes.join('\n')).toMatch(/refuses to start with both/)
  })

  it('ignores a broken daemon.json with a note and never prints its password', async () => {
    const root = tree({
      [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://unit:1\n',
      '/etc/docker/daemon.json': '{"proxies": {"https-proxy": "http://u:secret@json:1",}}',
    })
    const r = await loadEngineProxyConfig(host(root), 'docker')
    expect(r.config.httpsProxy!.value).toBe('http://unit:1')
    const notes = r.notes.filter(n => n.includes('daemon.json'))
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/^\/etc\/docker\/daemon\.json:1:\d+: .*"proxies" are ignored here$/)
    expect(r.notes.join('')).not.toContain('secret')
  })

  it('rootless docker: the user unit, its drop-ins and ~/.config/docker/daemon.json', async () => {
    const root = tree({
      '/home/ann/.config/systemd/user/docker.service': '[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n',
      '/home/ann/.config/systemd/user/docker.service.d/proxy.conf': '[Service]\nEnvironment=HTTPS_PROXY=http://user:1\n',
      [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://system:1\n',
      '/home/ann/.config/docker/daemon.json': '{"proxies": {"no-proxy": "rootless"}}',
    })
    const r = await loadEngineProxyConfig(host(root, {HOME: '/home/ann'}, false), 'docker')
    expect(r.mode).toBe('rootless')
    expect(values(r.config)).toEqual({http: undefined, https: 'http://user:1', no: 'rootless'})
    expect(r.needsRestart).toBe('systemctl --user daemon-reload && systemctl --user restart docker')
    // The same user without a user unit talks to the system daemon.
    const system = await loadEngineProxyConfig(host(tree({[`${DROP_IN_DIR}/p.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://system:1\n'}), {HOME: '/home/ann'}, false), 'docker')
    expect(system.mode).toBe('rootful')
    expect(system.config.httpsProxy!.value).toBe('http://system:1')
  })

  it('an empty tree has no proxy and no notes', async () => {
    const r = await loadEngineProxyConfig(host(tree({})), 'docker')
    expect(r.config).toEqual({})
    expect(r.sources).toEqual([])
    expect(r.notes).toEqual([])
  })
})

describe('loadEngineProxyConfig: podman', () => {
  const share = '/usr/share/containers/containers.conf'
  const etc = '/etc/containers/containers.conf'

  it('process environment first, then containers.conf [engine] env in load order', async () => {
    const root = tree({
      [share]: '[engine]\nenv = ["HTTPS_PROXY=http://share:1", "NO_PROXY=share"]\n',
      [etc]: '[engine]\nenv = ["HTTPS_PROXY=http://etc:1"]\n',
      '/etc/containers/containers.conf.d/10-more.conf': '[engine]\nenv = ["NO_PROXY=dropin", "NO_PROXY=second", {append = true}]\n',
    })
    const r = await loadEngineProxyConfig(host(root, {HTTP_PROXY: 'http://shell:1'}), 'podman')
    // /etc replaced /usr/share's list; the drop-in appended; the first entry of a name wins.
    expect(values(r.config)).toEqual({http: 'http://shell:1', https: 'http://etc:1', no: 'dropin'})
    expect(r.config.httpProxy!.source).toBe('HTTP_PROXY')
    expect(r.config.noProxy!.source).toBe('/etc/containers/containers.conf.d/10-more.conf [engine] env: NO_PROXY')
    expect(r.sources).toEqual([share, etc, '/etc/containers/containers.conf.d/10-more.conf'])
    expect(r.needsRestart).toMatch(/^nothing to restart/)

    // A variable the process defines, even as '', is never filled in from containers.conf.
    const shell = await loadEngineProxyConfig(host(root, {HTTPS_PROXY: '', NO_PROXY: 'shell'}), 'podman')
    expect(values(shell.config)).toEqual({http: undefined, https: undefined, no: 'shell'})
  })

  it('agrees with podmanProxyConfig', async () => {
    const root = tree({[etc]: '[engine]\nenv = ["https_proxy=http://conf:1", "NO_PROXY=conf"]\n'})
    const env = {HTTPS_PROXY: 'http://shell:1', no_proxy: 'x'}
    const r = await loadEngineProxyConfig(host(root, env), 'podman')
    const {entries} = containersConfEngineEnv([{file: etc, config: getStaticTOMLValue(parseTOML('[engine]\nenv = ["https_proxy=http://conf:1", "NO_PROXY=conf"]\n'))}])
    expect(r.config).toEqual(podmanProxyConfig({processEnv: labelEnv(env), containersConfEnv: entries}))
  })

  it('rootless: the rootless system file and the user files come last', async () => {
    const root = tree({
      [etc]: '[engine]\nenv = ["HTTPS_PROXY=http://etc:1"]\n',
      '/etc/containers/containers.rootless.conf': '[engine]\nenv = ["HTTPS_PROXY=http://rootless:1"]\n',
      '/home/ann/.config/containers/containers.conf.d/proxy.conf': '[engine]\nenv = ["HTTPS_PROXY=http://user:1"]\n',
    })
    expect((await loadEngineProxyConfig(host(root, {HOME: '/home/ann'}, false), 'podman')).config.httpsProxy!.value).toBe('http://user:1')
    const noUser = tree({[etc]: '[engine]\nenv = ["HTTPS_PROXY=http://etc:1"]\n', '/etc/containers/containers.rootless.conf': '[engine]\nenv = ["HTTPS_PROXY=http://rootless:1"]\n'})
    expect((await loadEngineProxyConfig(host(noUser, {HOME: '/home/ann'}, false), 'podman')).config.httpsProxy!.value).toBe('http://rootless:1')
    expect((await loadEngineProxyConfig(host(noUser, {HOME: '/root'}, true), 'podman')).config.httpsProxy!.value).toBe('http://etc:1')
  })

  it('CONTAINERS_CONF replaces every other file; CONTAINERS_CONF_OVERRIDE is read last', async () => {
    const root = tree({
      [etc]: '[engine]\nenv = ["HTTPS_PROXY=http://etc:1"]\n',
      '/srv/podman.conf': '[engine]\nenv = ["NO_PROXY=only"]\n',
      '/srv/override.conf': '[engine]\nenv = ["NO_PROXY=override"]\n',
    })
    const only = await loadEngineProxyConfig(host(root, {CONTAINERS_CONF: '/srv/podman.conf'}), 'podman')
    expect(values(only.config)).toEqual({http: undefined, https: undefined, no: 'only'})
    const both = await loadEngineProxyConfig(host(root, {CONTAINERS_CONF: '/srv/podman.conf', CONTAINERS_CONF_OVERRIDE: '/srv/override.conf'}), 'podman')
    expect(both.config.noProxy!.value).toBe('override')
    const missing = await loadEngineProxyConfig(host(root, {CONTAINERS_CONF: '/srv/none.conf'}), 'podman')
    expect(missing.notes.join('\n')).toMatch(/\/srv\/none\.conf: .*missing/)
  })

  it('notes and ignores a containers.conf with a TOML error', async () => {
    const root = tree({[etc]: '[engine]\nenv = ["HTTPS_PROXY=http://etc:1"\n'})
    const r = await loadEngineProxyConfig(host(root), 'podman')
    expect(r.config).toEqual({})
    expect(r.notes).toHaveLength(1)
    expect(r.notes[0]).toMatch(/^\/etc\/containers\/containers\.conf(:\d+)?: TOML syntax error/)
  })
})

describe('noProxyTarget: docker', () => {
  it('daemon.json when it sets proxies', async () => {
    const root = tree({'/etc/docker/daemon.json': '{"proxies": {"https-proxy": "http://p:1"}}', [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=NO_PROXY=x\n'})
    const t = await noProxyTarget(host(root), 'docker')
    expect(t).toMatchObject({kind: 'daemon-json', path: '/etc/docker/daemon.json', variable: 'proxies.no-proxy', current: 'x', writable: true, restart: 'systemctl restart docker'})
  })

  it('the drop-in that sets NO_PROXY, else the one that sets the proxy, else http-proxy.conf', async () => {
    const sets = tree({[`${DROP_IN_DIR}/10-proxy.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://p:1\n', [`${DROP_IN_DIR}/20-bypass.conf`]: '[Service]\nEnvironment=no_proxy=a\n'})
    expect(await noProxyTarget(host(sets), 'docker')).toMatchObject({kind: 'systemd-drop-in', path: `${DROP_IN_DIR}/20-bypass.conf`, current: 'a', restart: 'systemctl daemon-reload && systemctl restart docker'})
    const proxyOnly = tree({[`${DROP_IN_DIR}/10-proxy.conf`]: '[Service]\nEnvironment=HTTPS_PROXY=http://p:1\n'})
    expect(await noProxyTarget(host(proxyOnly), 'docker')).toMatchObject({kind: 'systemd-drop-in', path: `${DROP_IN_DIR}/10-proxy.conf`, current: undefined})
    expect(await noProxyTarget(host(tree({})), 'docker')).toMatchObject({kind: 'systemd-drop-in', path: `${DROP_IN_DIR}/http-proxy.conf`})
  })

  it('never hides a vendor drop-in of the same name, and comes after a vendor NO_PROXY', async () => {
    const vendor = tree({'/usr/lib/systemd/system/docker.service.d/http-proxy.conf': '[Service]\nEnvironment=HTTPS_PROXY=http://p:1\n'})
    expect((await noProxyTarget(host(vendor), 'docker')).path).toBe(`${DROP_IN_DIR}/http-proxy.mirrorctl.conf`)
    const late = tree({'/run/systemd/system/docker.service.d/zz.conf': '[Service]\nEnvironment=NO_PROXY=run\n'})
    const t = await noProxyTarget(host(late), 'docker')
    expect(t.path).toBe(`${DROP_IN_DIR}/zz.mirrorctl.conf`)
    // Writing there really wins.
    const root = tree({
      '/run/systemd/system/docker.service.d/zz.conf': '[Service]\nEnvironment=NO_PROXY=run\n',
      [t.path!]: renderNoProxyDropIn(null, 'run,mirror.test'),
    })
    expect((await loadEngineProxyConfig(host(root), 'docker')).config.noProxy!.value).toBe('run,mirror.test')
  })

  it('the EnvironmentFile= that sets NO_PROXY (its values beat drop-ins)', async () => {
    const root = tree({
      [`${DROP_IN_DIR}/http-proxy.conf`]: '[Service]\nEnvironment=NO_PROXY=dropin\nEnvironmentFile=/etc/sysconfig/docker-proxy\n',
      '/etc/sysconfig/docker-proxy': 'NO_PROXY=file\n',
    })
    expect(await noProxyTarget(host(root), 'docker')).toMatchObject({kind: 'environment-file', path: '/etc/sysconfig/docker-proxy', current: 'file', restart: 'systemctl restart docker'})
  })

  it('a --no-proxy flag cannot be rewritten', async () => {
    const root = tree({'/etc/systemd/system/docker.service': '[Service]\nExecStart=/usr/bin/dockerd --no-proxy=a\n'})
    expect(await noProxyTarget(host(root), 'docker')).toMatchObject({kind: 'dockerd-flag', path: '/etc/systemd/system/docker.service', writable: false})
  })
})

describe('noProxyTarget: podman', () => {
  it('the process environment cannot be written', async () => {
    const t = await noProxyTarget(host(tree({}), {NO_PROXY: 'x'}), 'podman')
    expect(t).toMatchObject({kind: 'environment', path: null, writable: false, current: 'x'})
    expect(t.reason).toMatch(/cannot/)
  })

  it('the file with the NO_PROXY entry, else the list in force, else a drop-in', async () => {
    const entry = tree({
      '/etc/containers/containers.conf': '[engine]\nenv = ["NO_PROXY=a"]\n',
      '/etc/containers/containers.conf.d/proxy.conf': '[engine]\nenv = ["HTTPS_PROXY=http://p:1", {append = true}]\n',
    })
    expect(await noProxyTarget(host(entry, {no_proxy: 'lower'}), 'podman')).toMatchObject({kind: 'containers-conf', path: '/etc/containers/containers.conf', current: 'a', writable: true})
    const list = tree({'/etc/containers/containers.conf.d/proxy.conf': '[engine]\nenv = ["HTTPS_PROXY=http://p:1"]\n'})
    expect((await noProxyTarget(host(list), 'podman')).path).toBe('/etc/containers/containers.conf.d/proxy.conf')
    expect((await noProxyTarget(host(tree({})), 'podman')).path).toBe('/etc/containers/containers.conf.d/50-mirrorctl-no-proxy.conf')
    expect((await noProxyTarget(host(tree({}), {HOME: '/home/ann'}, false), 'podman')).path).toBe('/home/ann/.config/containers/containers.conf.d/50-mirrorctl-no-proxy.conf')
  })
})

// ---------------------------------------------------------------------------------------

function unitEnv(text: string): Record<string, string> {
  const unit = parseSystemdUnit(text, 'drop-in')
  expect(unit.warnings).toEqual([])
  return Object.fromEntries(Object.entries(mergeUnitEnvironment([unit]).env).map(([k, v]) => [k, v.value]))
}

describe('renderNoProxyDropIn', () => {
  it('writes a new drop-in', () => {
    expect(renderNoProxyDropIn(null, 'localhost,mirror.test')).toBe('[Service]\nEnvironment="NO_PROXY=localhost,mirror.test"\nEnvironment="no_proxy=localhost,mirror.test"\n')
  })

  it('edits NO_PROXY in place, keeps every other byte, and appends no_proxy to the section', () => {
    const before = [
      '# proxy for dockerd',
      '[Service]',
      'Environment="HTTP_PROXY=http://proxy.example.com:3128"',
      '  Environment="NO_PROXY=localhost"',
      '; keep me',
      'Environment="HTTPS_PROXY=http://proxy.example.com:3128"',
      '',
      '[Unit]',
      'Description=x',
      '',
    ].join('\n')
    const after = renderNoProxyDropIn(before, 'localhost,mirror.test')
    expect(after).toBe(
      [
        '# proxy for dockerd',
        '[Service]',
        'Environment="HTTP_PROXY=http://proxy.example.com:3128"',
        '  Environment="NO_PROXY=localhost,mirror.test"',
        '; keep me',
        'Environment="HTTPS_PROXY=http://proxy.example.com:3128"',
        'Environment="no_proxy=localhost,mirror.test"',
        '',
        '[Unit]',
        'Description=x',
        '',
      ].join('\n'),
    )
    expect(renderNoProxyDropIn(after, 'localhost,mirror.test')).toBe(after)
  })

  it('is unchanged when both variables already have the value, whatever the quoting', () => {
    const text = "[Service]\nEnvironment=NO_PROXY=a,b 'no_proxy=a,b'\n"
    expect(renderNoProxyDropIn(text, 'a,b')).toBe(text)
  })

  it('overrides an assignment that shares its line, after that line', () => {
    const before = '[Service]\r\nEnvironment="HTTPS_PROXY=http://p:1" "NO_PROXY=old" no_proxy=old\r\n'
    const after = renderNoProxyDropIn(before, 'new')
    expect(after).toBe('[Service]\r\nEnvironment="HTTPS_PROXY=http://p:1" "NO_PROXY=old" no_proxy=old\r\nEnvironment="no_proxy=new"\r\nEnvironment="NO_PROXY=new"\r\n')
    expect(unitEnv(after)).toEqual({HTTPS_PROXY: 'http://p:1', NO_PROXY: 'new', no_proxy: 'new'})
    expect(renderNoProxyDropIn(after, 'new')).toBe(after)
  })

  it('does not rewrite a line systemd reads differently from how it looks (trailing "# comment" words)', () => {
    const before = '\uFEFF[Service]\r\nEnvironment="NO_PROXY=a" # old\r\n'
    const after = renderNoProxyDropIn(before, 'b')
    expect(after).toBe('\uFEFF[Service]\r\nEnvironment="NO_PROXY=a" # old\r\nEnvironment="NO_PROXY=b"\r\nEnvironment="no_proxy=b"\r\n')
    expect(renderNoProxyDropIn(after, 'b')).toBe(after)
  })

  it('escapes %, quotes and backslashes so systemd reads the value back', () => {
    const value = 'a%41b,"q",back\\slash,with space'
    const text = renderNoProxyDropIn(null, value)
    expect(text).toContain('%%41')
    expect(unitEnv(text)).toEqual({NO_PROXY: value, no_proxy: value})
  })

  it('adds a [Service] section to a file without one, and keeps a file without final newline intact', () => {
    expect(renderNoProxyDropIn('[Unit]\nDescription=x', 'a')).toBe('[Unit]\nDescription=x\n\n[Service]\nEnvironment="NO_PROXY=a"\nEnvironment="no_proxy=a"\n')
    expect(renderNoProxyDropIn('[Service]\nEnvironment=NO_PROXY=b', 'a')).toBe('[Service]\nEnvironment="NO_PROXY=a"\nEnvironment="no_proxy=a"\n')
  })

  it('writes after an empty Environment= that cleared the earlier assignment', () => {
    const after = renderNoProxyDropIn('[Service]\nEnvironment=NO_PROXY=a\nEnvironment=\n', 'b')
    expect(unitEnv(after)).toEqual({NO_PROXY: 'b', no_proxy: 'b'})
  })

  it('refuses control characters and values an UnsetEnvironment= would remove', () => {
    expect(() => renderNoProxyDropIn(null, 'a\nb')).toThrow(UserError)
    expect(() => renderNoProxyDropIn('[Service]\nUnsetEnvironment=NO_PROXY\n', 'a')).toThrow(/UnsetEnvironment/)
  })
})

describe('setEnvironmentFileNoProxy', () => {
  const read = (text: string) => Object.fromEntries(parseEnvironmentFile(text, 'f').assignments.map(a => [a.name, a.value]))

  it('edits in place and appends what is missing', () => {
    const before = '# corp proxy\nHTTPS_PROXY=http://p:1\nNO_PROXY=old\nDOCKER_OPTS="-H fd://"\n'
    const after = setEnvironmentFileNoProxy(before, 'old,mirror.test')
    expect(after).toBe('# corp proxy\nHTTPS_PROXY=http://p:1\nNO_PROXY=old,mirror.test\nDOCKER_OPTS="-H fd://"\nno_proxy=old,mirror.test\n')
    expect(setEnvironmentFileNoProxy(after, 'old,mirror.test')).toBe(after)
  })

  it('quotes values that need it and appends after a multi-line assignment', () => {
    const before = 'NO_PROXY="a,\\\nb"'
    const after = setEnvironmentFileNoProxy(before, 'x y,$z')
    expect(read(after)).toMatchObject({NO_PROXY: 'x y,$z', no_proxy: 'x y,$z'})
    expect(after.startsWith(before)).toBe(true)
    expect(setEnvironmentFileNoProxy(null, 'a')).toBe('NO_PROXY=a\nno_proxy=a\n')
  })
})

describe('setContainersConfNoProxy', () => {
  const entries = (text: string) => (getStaticTOMLValue(parseTOML(text)) as {engine: {env: unknown[]}}).engine.env

  it('creates [engine] env in a new or table-less file', () => {
    expect(setContainersConfNoProxy(null, 'a,b')).toBe('[engine]\nenv = ["NO_PROXY=a,b"]\n')
    expect(setContainersConfNoProxy('# mine\n[containers]\nlog_size_max = -1\n', 'a')).toBe('# mine\n[containers]\nlog_size_max = -1\n\n[engine]\nenv = ["NO_PROXY=a"]\n')
  })

  it('replaces the first NO_PROXY entry in place, keeping comments; idempotent', () => {
    const before = '[engine]\n# proxies for pulls\nenv = ["HTTPS_PROXY=http://p:1", "NO_PROXY=old", "NO_PROXY=second"] # inline\nevents_logger = "file"\n'
    const after = setContainersConfNoProxy(before, 'old,mirror.test')
    expect(after).toBe('[engine]\n# proxies for pulls\nenv = ["HTTPS_PROXY=http://p:1", "NO_PROXY=old,mirror.test", "NO_PROXY=second"] # inline\nevents_logger = "file"\n')
    expect(setContainersConfNoProxy(after, 'old,mirror.test')).toBe(after)
  })

  it('adds to a multi-line list with its indentation, before an append marker', () => {
    const before = '[engine]\nenv = [\n    "HTTPS_PROXY=http://p:1",\n    {append = true},\n]\n'
    const after = setContainersConfNoProxy(before, 'a')
    expect(after).toBe('[engine]\nenv = [\n    "HTTPS_PROXY=http://p:1",\n    "NO_PROXY=a",\n    {append = true},\n]\n')
    expect(entries(after)).toEqual(['HTTPS_PROXY=http://p:1', 'NO_PROXY=a', {append: true}])
    expect(setContainersConfNoProxy('[engine]\nenv = [{append = true}]\n', 'a')).toBe('[engine]\nenv = ["NO_PROXY=a", {append = true}]\n')
    expect(setContainersConfNoProxy('[engine]\nenv = []\n', 'a')).toBe('[engine]\nenv = ["NO_PROXY=a"]\n')
  })

  it('adds env to an existing [engine] table, and handles a dotted engine.env key', () => {
    const before = '[engine]\r\ncgroup_manager = "systemd"\r\n\r\n[engine.runtimes]\r\ncrun = ["/usr/bin/crun"]\r\n'
    const after = setContainersConfNoProxy(before, 'a')
    expect(after).toBe('[engine]\r\ncgroup_manager = "systemd"\r\nenv = ["NO_PROXY=a"]\r\n\r\n[engine.runtimes]\r\ncrun = ["/usr/bin/crun"]\r\n')
    expect(setContainersConfNoProxy('engine.env = ["X=1"]\n', 'a')).toBe('engine.env = ["X=1", "NO_PROXY=a"]\n')
  })

  it('escapes quotes and backslashes, and refuses broken or unsafe files', () => {
    const after = setContainersConfNoProxy(null, 'a"b\\c')
    expect(entries(after)).toEqual(['NO_PROXY=a"b\\c'])
    expect(() => setContainersConfNoProxy('[engine\n', 'a')).toThrow(/TOML syntax error/)
    expect(() => setContainersConfNoProxy('engine.cgroup_manager = "systemd"\n', 'a')).toThrow(/edit it by hand/)
  })
})

describe('what the engine then decides', () => {
  it('a drop-in written by renderNoProxyDropIn makes dockerd go direct to the mirror', async () => {
    const existing = '[Service]\nEnvironment="HTTPS_PROXY=http://proxy.corp:3128" "NO_PROXY=localhost"\n'
    const root = tree({[`${DROP_IN_DIR}/http-proxy.conf`]: existing})
    const before = await loadEngineProxyConfig(host(root), 'docker')
    expect(decideProxy('https://mirror.test:5000/v2/', before.config).via).toBe('proxy')
    const t = await noProxyTarget(host(root), 'docker')
    writeFileSync(join(root, t.path!), renderNoProxyDropIn(existing, `${t.current},mirror.test`))
    const after = await loadEngineProxyConfig(host(root), 'docker')
    expect(decideProxy('https://mirror.test:5000/v2/', after.config)).toMatchObject({via: 'no-proxy', decidedBy: 'mirror.test'})
  })
})
