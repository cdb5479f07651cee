import {describe, expect, it} from 'vitest'
import {
  lintContainerdConfig,
  lintHostsDir,
  lintHostsToml,
  parseContainerdConfig,
  parseTomlDoc,
  planConfigPath,
  planHostsToml,
  readContainerdConfig,
  resolveContainerd,
} from '../../../../src/formats/containerd-hosts/index.js'
import {parseMirrorArgument} from '../../../../src/policy/mirror-policy.js'

const P = '/etc/containerd/certs.d/docker.io/hosts.toml'
const ids = (text: string, version: '1.6' | '1.7' | '2' = '2', folder = 'docker.io'): string[] =>
  lintHostsToml(parseTomlDoc(text, P), {version, folder}).map((f) => f.rule)

describe('lintHostsToml: the silent failures', () => {
  it('syntax and decode errors are errors with positions', () => {
    const syntax = lintHostsToml(parseTomlDoc('[host."https://m"\n', P), {version: '2'})
    // the parser stops at the end of the input, where the ] is missing
    expect(syntax[0]).toMatchObject({rule: 'containerd-hosts/toml-syntax', severity: 'error', line: 2})
    const decode = lintHostsToml(parseTomlDoc('server = "https://registry-1.docker.io"\n\n[host."https://m"]\n  capabilities = ["pull", "mirror"]\n', P), {version: '2'})
    expect(decode[0]).toMatchObject({rule: 'containerd-hosts/decode-error', severity: 'error', line: 3, column: 1})
    expect(ids('[host."https://m"]\n  skip_verify = "true"\n')).toContain('containerd-hosts/decode-error')
  })

  it('no [host] table is an error for 1.6/1.7 only', () => {
    expect(ids('server = "https://mirror.example.com"\n', '1.6')).toContain('containerd-hosts/no-host-table')
    expect(ids('server = "https://mirror.example.com"\n', '2')).not.toContain('containerd-hosts/no-host-table')
  })

  it('Harbor path without override_path, http prefix without scheme, docker.io server, unknown key, _default server', () => {
    expect(ids('[host."https://harbor.example.com/proxy"]\n  capabilities = ["pull", "resolve"]\n')).toEqual(['containerd-hosts/path-gets-v2'])
    expect(ids('[host."https://harbor.example.com/v2/proxy"]\n  capabilities = ["pull"]\n  override_path = true\n')).toEqual([])
    expect(ids('[host."httpcache.local:5000"]\n  capabilities = ["pull"]\n')).toEqual(['containerd-hosts/http-prefix-no-scheme'])
    expect(ids('server = "docker.io"\n[host."https://m"]\n  capabilities = ["pull"]\n')).toEqual(['containerd-hosts/server-docker-io'])
    expect(ids('[host."https://m"]\n  capabilities = ["pull"]\n  skip-verify = true\n')).toEqual(['containerd-hosts/unknown-key'])
    expect(ids('server = "https://m"\n[host."https://m"]\n  capabilities = ["pull"]\n', '2', '_default')).toEqual(['containerd-hosts/default-folder-server'])
    expect(ids('[host."https://m"]\n  capabilities = ["push"]\n')).toEqual(['containerd-hosts/no-pull-capability'])
  })

  it('folder findings: shadowed host:port folder and an empty folder that wins the lookup', () => {
    const f = lintHostsDir({root: '/c', folders: new Map([['r_5000_', {hostsToml: '[host."https://m"]\n', files: ['hosts.toml']}], ['r:5000', {hostsToml: null, files: []}]])})
    expect(f.map((x) => x.rule).sort()).toEqual(['containerd-hosts/empty-folder', 'containerd-hosts/shadowed-folder'])
  })
})

describe('config.toml registry part', () => {
  it('reads config_path for versions 2 and 3 and lints the mirrors / config_path pair', () => {
    const v2 = parseContainerdConfig('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/a:/b"\n', '/c.toml')
    expect(readContainerdConfig(v2).configPath).toEqual(['/a', '/b'])
    const v3 = parseContainerdConfig('version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n', '/c.toml')
    expect(readContainerdConfig(v3).configPath).toEqual(['/etc/containerd/certs.d'])
    const both = parseContainerdConfig(
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/d"\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n',
      '/c.toml',
    )
    expect(lintContainerdConfig(both).map((f) => [f.rule, f.severity, f.line])).toEqual([['containerd-hosts/mirrors-with-config-path', 'error', 4]])
    expect(lintContainerdConfig(parseContainerdConfig('version = 2\n', '/c.toml')).map((f) => f.rule)).toEqual(['containerd-hosts/config-path-unset'])
    expect(lintContainerdConfig(parseContainerdConfig('disabled_plugins = ["cri"]\n', '/c.toml'))).toEqual([])
  })

  it('sets config_path keeping comments, into the existing table or a new one', () => {
    const text = '# mine\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  # keep\n  foo = 1\n'
    const out = planConfigPath(parseContainerdConfig(text, '/c'), '/etc/containerd/certs.d', 2).after
    expect(out).toBe('# mine\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  # keep\n  foo = 1\n  config_path = "/etc/containerd/certs.d"\n')
    const fresh = planConfigPath(parseContainerdConfig('version = 2\n# end\n', '/c'), '/d', 2).after
    expect(readContainerdConfig(parseContainerdConfig(fresh, '/c')).configPath).toEqual(['/d'])
    expect(fresh.startsWith('version = 2\n# end\n')).toBe(true)
  })
})

describe('planHostsToml', () => {
  const m = (s: string, insecure = false) => parseMirrorArgument(s, {insecure})
  it('creates a file with server and the mirror, which resolves mirror first; a second run changes nothing', () => {
    const first = planHostsToml(null, 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m('127.0.0.1:5000', true)], location: null, position: 'first'})
    expect(first.after).toBe('server = "https://registry-1.docker.io"\n\n[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n')
    const snap = {root: '/c', folders: new Map([['docker.io', {hostsToml: first.after, files: ['hosts.toml']}]])}
    expect(resolveContainerd('alpine', snap, '1.6').sources.map((s) => s.url)).toEqual(['http://127.0.0.1:5000/v2', 'https://registry-1.docker.io/v2'])
    const again = planHostsToml(parseTomlDoc(first.after, P), 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m('127.0.0.1:5000', true)], location: null, position: 'first'})
    expect(again.after).toBe(first.after)
    expect(again.actions).toEqual([])
  })

  it('adds first or last keeping comments; a namespace becomes a Harbor API root with override_path', () => {
    const text = '# top\nserver = "https://registry-1.docker.io"\n\n# the old one\n[host."https://old.example.com"]\n  capabilities = ["pull", "resolve"] # inline\n'
    const first = planHostsToml(parseTomlDoc(text, P), 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m('harbor.example.com/dockerhub-proxy')], location: null, position: 'first'})
    expect(first.after).toContain('# the old one\n[host."https://harbor.example.com/v2/dockerhub-proxy"]\n  capabilities = ["pull", "resolve"]\n  override_path = true\n\n[host."https://old.example.com"]')
    expect(lintHostsToml(parseTomlDoc(first.after, P), {version: '2'})).toEqual([])
    const last = planHostsToml(parseTomlDoc(text, P), 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m('new.example.com')], location: null, position: 'last'})
    expect(last.after).toBe(text + '\n[host."https://new.example.com"]\n  capabilities = ["pull", "resolve"]\n')
  })

  it('a MIRROR that names /v2 itself gets no second /v2, and matches the table written without it', () => {
    const add = (mirror: string, doc: string | null = null) => planHostsToml(doc === null ? null : parseTomlDoc(doc, P), 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m(mirror)], location: null, position: 'first'})
    const root = add('https://mirror.example.com/v2').after
    expect(root).toContain('[host."https://mirror.example.com/v2"]\n  capabilities = ["pull", "resolve"]\n')
    expect(root).not.toContain('override_path')
    const harbor = add('https://harbor.example.com/v2/proxy').after
    expect(harbor).toContain('[host."https://harbor.example.com/v2/proxy"]\n  capabilities = ["pull", "resolve"]\n  override_path = true\n')
    const snap = (text: string) => ({root: '/c', folders: new Map([['docker.io', {hostsToml: text, files: ['hosts.toml']}]])})
    expect(resolveContainerd('alpine', snap(root), '1.7').sources[0]!.url).toBe('https://mirror.example.com/v2')
    expect(resolveContainerd('alpine', snap(harbor), '1.7').sources[0]!.url).toBe('https://harbor.example.com/v2/proxy')
    // The same endpoint written either way is one mirror: adding it again changes nothing.
    expect(add('https://mirror.example.com/v2', add('mirror.example.com').after).actions).toEqual([])
    expect(add('harbor.example.com/proxy', harbor).actions).toEqual([])
  })

  it('remove takes the table out and restores the bytes of before the add', () => {
    const text = '# top\nserver = "https://registry-1.docker.io"\n\n[host."https://old.example.com"]\n  capabilities = ["pull", "resolve"]\n'
    const added = planHostsToml(parseTomlDoc(text, P), 'docker.io', {action: 'add', source: 'docker.io', mirrors: [m('new.example.com')], location: null, position: 'last'}).after
    const removed = planHostsToml(parseTomlDoc(added, P), 'docker.io', {action: 'remove', source: 'docker.io', mirrors: [m('new.example.com')]})
    expect(removed.after).toBe(text + '\n')
    expect(removed.actions).toEqual(['remove host https://new.example.com'])
  })
})
