import {describe, expect, test} from 'vitest'
import {FILE, lint, only, ruleIds} from './lint-helpers.js'

const mirrors = (...urls: string[]) => JSON.stringify({'registry-mirrors': urls})

const STOCK_UNIT_ARGS = ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock']

describe('a clean file', () => {
  test('has no findings', () => {
    const text = '{\n  "registry-mirrors": ["https://mirror.gcr.io"],\n  "log-driver": "json-file",\n  "log-opts": {"max-size": "10m", "max-file": "3"},\n  "features": {"containerd-snapshotter": true}\n}\n'
    expect(lint(text, {dockerVersion: '28.5.1', dockerdArgs: STOCK_UNIT_ARGS})).toEqual([])
  })

  test('syntax findings are part of the lint result, in position order', () => {
    expect(ruleIds('{\n  // c\n  "registy-mirrors": [],\n}')).toEqual(['json-syntax', 'unknown-key', 'json-syntax'])
  })

  test('a top level that is not an object stops there', () => {
    expect(ruleIds('["https://mirror.gcr.io"]')).toEqual(['top-level-not-object'])
  })
})

describe('bom-before-24', () => {
  const text = '\ufeff{"debug": true}'
  test('error on 23.x', () => {
    expect(only('bom-before-24', text, {dockerVersion: '23.0.6'})).toEqual([
      {
        at: '1:1',
        severity: 'error',
        message: `the file starts with a UTF-8 byte order mark, which Docker Engine 23.0.6 does not skip; dockerd refuses to start: "invalid character 'ï' looking for beginning of value"`,
        hint: expect.stringContaining('without BOM'),
      },
    ])
  })
  test('accepted from 24.0, and when the version is unknown', () => {
    expect(lint(text, {dockerVersion: '24.0.0'})).toEqual([])
    expect(lint(text)).toEqual([])
  })
})

describe('option names', () => {
  test('unknown-key with did-you-mean for a typo', () => {
    expect(only('unknown-key', '{\n  "registy-mirrors": []\n}')).toEqual([
      {
        at: '2:3',
        severity: 'error',
        message: `unknown option "registy-mirrors"; dockerd refuses to start: "the following directives don't match any configuration option: registy-mirrors"`,
        hint: 'did you mean "registry-mirrors"? Option names are case-sensitive',
      },
    ])
  })

  test.each([
    ['Registry-Mirrors', 'registry-mirrors'],
    ['registry_mirrors', 'registry-mirrors'],
    ['insecure-registires', 'insecure-registries'],
    ['log-opt-s', 'log-opts'],
    ['dataroot', 'data-root'],
  ])('%s → %s', (typo, meant) => {
    expect(only('unknown-key', `{"${typo}": null}`)[0]?.hint).toBe(`did you mean "${meant}"? Option names are case-sensitive`)
  })

  test('no guess for something unrelated', () => {
    expect(only('unknown-key', '{"x": 1}')[0]?.hint).toBe('correct the key name or remove it; names are case-sensitive')
  })

  test('keys inside a nested object are checked as option names', () => {
    expect(only('unknown-key', '{"proxies": {"http_proxy": "http://p:3128"}}', {dockerVersion: '25.0.0'})).toEqual([
      expect.objectContaining({at: '1:14', message: expect.stringContaining('"http_proxy" (inside "proxies"'), hint: expect.stringContaining('"http-proxy"')}),
    ])
  })

  test('"log-opt" instead of "log-opts" makes its inner keys unknown', () => {
    expect(only('unknown-key', '{"log-opt": {"max-size": "10m"}}')).toEqual([
      expect.objectContaining({message: expect.stringContaining('"max-size"'), hint: 'rename "log-opt" to "log-opts": only the inner keys of "log-opts" are free-form'}),
    ])
  })

  test('free-form maps are not checked inside', () => {
    expect(lint('{"log-opts": {"anything": "x"}, "runtimes": {"kata": {"path": "/usr/bin/kata"}}, "builder": {"gc": {"enabled": true}}}')).toEqual([])
  })

  test('ignored-key: the flag name instead of the file key', () => {
    expect(only('ignored-key', '{"registry-mirror": ["https://m.example.com"]}')).toEqual([
      {
        at: '1:2',
        severity: 'warning',
        message: `"registry-mirror" is accepted (it is the name of dockerd's --registry-mirror flag) but never read from the file; the file key is "registry-mirrors"`,
        hint: 'rename it to "registry-mirrors"',
      },
    ])
  })

  test('ignored-key: a proxy option outside "proxies"', () => {
    expect(only('ignored-key', '{"http-proxy": "http://p:3128"}')).toEqual([
      expect.objectContaining({message: `"http-proxy" here is accepted but never read; dockerd reads it only inside "proxies"`, hint: 'move it into "proxies": { "http-proxy": … }'}),
    ])
  })

  test('ignored-key: containerd-plugins-namespace can only be set as a flag', () => {
    expect(only('ignored-key', '{"containerd-plugins-namespace": "p"}')[0]?.hint).toContain('pass --containerd-plugins-namespace')
    expect(ruleIds('{"containerd-plugin-namespace": "p"}')).toEqual(['unknown-key'])
  })

  test('key-too-new: bip6 on 27.x, fine on 28.0', () => {
    const text = '{"bip6": "fd00:1::1/64"}'
    expect(only('key-too-new', text, {dockerVersion: '27.5.1'})).toEqual([
      {
        at: '1:2',
        severity: 'error',
        message: `"bip6" needs Docker Engine 28.0 or newer; Docker Engine 27.5.1 refuses to start: "the following directives don't match any configuration option: bip6"`,
        hint: 'upgrade Docker Engine to 28.0+, or remove "bip6"',
      },
    ])
    expect(lint(text, {dockerVersion: '28.0.0'})).toEqual([])
  })

  test('key-removed: cluster-store from 23.0; an unknown version says what it assumed', () => {
    const text = '{"cluster-store": "consul://10.0.0.1:8500"}'
    expect(lint(text, {dockerVersion: '20.10.24'})).toEqual([])
    expect(only('key-removed', text, {dockerVersion: '23.0.0'})[0]?.message).toMatch(/^"cluster-store" was removed in Docker Engine 23\.0 .*; dockerd refuses to start$/)
    expect(only('key-removed', text)[0]?.message).toContain('assuming the newest Docker Engine')
  })

  test('oom-score-adjust: no effect in 25.x, an error from 26.0', () => {
    const text = '{"oom-score-adjust": -500}'
    expect(lint(text, {dockerVersion: '24.0.9'})).toEqual([])
    expect(ruleIds(text, {dockerVersion: '25.0.5'})).toEqual(['ignored-key'])
    expect(ruleIds(text, {dockerVersion: '26.0.0'})).toEqual(['key-removed'])
  })
})

describe('wrong-type', () => {
  test('registry-mirrors as a string', () => {
    expect(only('wrong-type', '{"registry-mirrors": "https://m.example.com"}')).toEqual([
      {
        at: '1:22',
        severity: 'error',
        message:
          '"registry-mirrors" must be a list of strings, not a string; dockerd cannot decode the file: "json: cannot unmarshal string into Go struct field Config.registry-mirrors of type []string"',
        hint: 'put the value in a list: ["https://m.example.com"]',
      },
    ])
  })

  test('a number inside log-opts', () => {
    expect(only('wrong-type', '{"log-opts": {"max-file": 3}}')).toEqual([
      expect.objectContaining({at: '1:27', message: expect.stringContaining('"log-opts.max-file" must be a string, not a number'), hint: 'quote the value: "3" (log-opts values are always strings)'}),
    ])
  })

  test.each([
    ['{"debug": "true"}', 'write true without quotes'],
    ['{"max-concurrent-downloads": "10"}', 'write 10 without quotes'],
    ['{"mtu": 1500.5}', expect.any(String)],
    ['{"registry-mirrors": ["https://m.example.com", 5]}', expect.any(String)],
    ['{"registry-mirrors": {"a": "b"}}', expect.any(String)],
    ['{"proxies": {"http-proxy": 3128}}', expect.any(String)],
    ['{"features": {"containerd-snapshotter": "true"}}', expect.any(String)],
  ])('%s', (text, hint) => {
    expect(only('wrong-type', text)).toEqual([expect.objectContaining({severity: 'error', hint})])
  })

  test('"proxies" that is not an object fails the name check first, as in dockerd', () => {
    expect(only('unknown-key', '{"proxies": "http://p:3128"}')[0]?.hint).toBe('"proxies" must be an object, e.g. "proxies": { … }; dockerd checks the names inside it')
  })

  test('null decodes to the zero value and is fine', () => {
    expect(lint('{"registry-mirrors": null, "debug": null}')).toEqual([])
  })

  test('the size type takes a string or a number', () => {
    expect(lint('{"default-shm-size": "128M"}')).toEqual([])
    expect(lint('{"default-shm-size": 134217728}')).toEqual([])
  })
})

describe('registry-mirrors', () => {
  test('mirror-no-scheme: the 29.0 wording', () => {
    expect(only('mirror-no-scheme', mirrors('mirror.example.com:5000'), {dockerVersion: '29.0.0'})).toEqual([
      {
        at: '1:22',
        severity: 'error',
        message: `invalid mirror: no scheme specified for "mirror.example.com:5000": must use either 'https://' or 'http://'; dockerd refuses to start`,
        hint: 'write "https://mirror.example.com:5000" (or "http://mirror.example.com:5000" for a plain-HTTP mirror)',
      },
    ])
  })

  test('mirror-no-scheme: 28.x prints the host as the scheme, and --validate misses it', () => {
    const [f] = only('mirror-no-scheme', mirrors('mirror.example.com:5000'), {dockerVersion: '28.5.2'})
    expect(f?.message).toBe('invalid mirror: unsupported scheme "mirror.example.com" in "mirror.example.com:5000"; dockerd refuses to start')
    expect(f?.hint).toContain('`dockerd --validate` does not check mirrors')
  })

  test('mirror-invalid-url', () => {
    expect(only('mirror-invalid-url', mirrors('https://m.example.com:port'))).toEqual([
      expect.objectContaining({message: expect.stringContaining('is not a valid URI (invalid port ":port" after host)')}),
    ])
  })

  test('mirror-scheme', () => {
    expect(only('mirror-scheme', mirrors('registry://m.example.com'))[0]?.hint).toBe('use https:// (or http:// for a plain-HTTP mirror): "https://m.example.com"')
  })

  test('mirror-query-fragment', () => {
    expect(only('mirror-query-fragment', mirrors('https://m.example.com/?ns=docker.io'))[0]?.hint).toBe('remove the query/fragment: "https://m.example.com/"')
  })

  test('mirror-userinfo masks the password', () => {
    const found = only('mirror-userinfo', mirrors('https://ci:hunter2@m.example.com'))
    expect(found).toEqual([expect.objectContaining({message: expect.stringContaining('"https://ci:xxxxx@m.example.com"'), hint: expect.stringContaining('"https://m.example.com"')})])
    expect(JSON.stringify(found)).not.toContain('hunter2')
  })

  test('mirror-path: an error up to 24.x; from 25.0 a harbor-project-path warning instead', () => {
    const text = mirrors('https://harbor.example.com/dockerhub-proxy')
    expect(ruleIds(text, {dockerVersion: '24.0.9'})).toEqual(['mirror-path'])
    expect(ruleIds(text, {dockerVersion: '25.0.0'})).toEqual(['harbor-project-path'])
  })

  test('harbor-project-path explains the layout and shows the podman and containerd ways', () => {
    const [f] = only('harbor-project-path', mirrors('https://harbor.example.com/dockerhub-proxy/'), {dockerVersion: '26.1.0'})
    expect(f?.severity).toBe('warning')
    expect(f?.message).toContain('dockerd requests https://harbor.example.com/dockerhub-proxy/v2/library/<image>/…')
    expect(f?.message).toContain('answers at /v2/dockerhub-proxy/library/<image>/…')
    expect(f?.hint).toContain('[[registry]] prefix = "docker.io"')
    expect(f?.hint).toContain('[[registry.mirror]] location = "harbor.example.com/dockerhub-proxy"')
    expect(f?.hint).toContain('[host."https://harbor.example.com/v2/dockerhub-proxy"]')
    expect(f?.hint).toContain('override_path = true')
  })

  test('harbor-project-path without a version mentions the older behaviour', () => {
    expect(only('harbor-project-path', mirrors('https://h.example.com/p'))[0]?.message).toContain('Docker Engine before 25.0 refuses such a URL outright')
  })

  test('mirror-no-host', () => {
    expect(ruleIds(mirrors('https://'))).toEqual(['mirror-no-host'])
  })

  test('mirror-duplicate compares as dockerd stores them', () => {
    expect(only('mirror-duplicate', mirrors('https://m.example.com', 'https://m.example.com/'))).toEqual([
      expect.objectContaining({at: '1:46', severity: 'info'}),
    ])
  })

  test('http-mirror', () => {
    expect(only('http-mirror', mirrors('http://10.0.0.5:5000'))).toEqual([expect.objectContaining({severity: 'info', message: expect.stringContaining('plain HTTP')})])
  })

  test('mirror-not-docker-hub from the name', () => {
    const found = only('mirror-not-docker-hub', mirrors('https://quay-cache.example.com', 'https://mirror.example.com/ghcr', 'https://mirror.gcr.io'))
    expect(found.map((f) => f.message)).toEqual([
      'mirror "https://quay-cache.example.com" looks meant for quay.io, but dockerd uses registry-mirrors only for Docker Hub (docker.io); pulls from quay.io never go through it',
      'mirror "https://mirror.example.com/ghcr" looks meant for ghcr.io, but dockerd uses registry-mirrors only for Docker Hub (docker.io); pulls from ghcr.io never go through it',
    ])
    expect(found[0]?.hint).toContain('[[registry]] prefix = "quay.io"')
    expect(found[0]?.hint).toContain('certs.d/quay.io/hosts.toml')
  })

  test('mirror-not-docker-hub from what mirrorctl knows', () => {
    const text = mirrors('https://cache.example.com', 'https://k8s-hub.example.com')
    const ctx = {mirrorSources: {'https://cache.example.com': 'registry.k8s.io', 'k8s-hub.example.com': 'docker.io'}}
    expect(only('mirror-not-docker-hub', text, ctx).map((f) => f.message)).toEqual([
      'mirror "https://cache.example.com" is meant for registry.k8s.io, but dockerd uses registry-mirrors only for Docker Hub (docker.io); pulls from registry.k8s.io never go through it',
    ])
  })
})

describe('insecure-registries', () => {
  test('insecure-registry-invalid', () => {
    expect(only('insecure-registry-invalid', '{"insecure-registries": ["registry.example.com:70000"]}')).toEqual([
      expect.objectContaining({at: '1:26', severity: 'error', message: 'insecure registry registry.example.com:70000 is not valid: invalid port "70000"; dockerd refuses to start'}),
    ])
  })

  test('insecure-registry-scheme', () => {
    expect(only('insecure-registry-scheme', '{"insecure-registries": ["http://10.0.0.5:5000"]}')).toEqual([
      expect.objectContaining({severity: 'warning', hint: 'write "10.0.0.5:5000"'}),
    ])
  })

  test('insecure-registry-loopback', () => {
    expect(ruleIds('{"insecure-registries": ["localhost:5000", "127.0.0.1:5000", "10.0.0.0/8"]}')).toEqual(['insecure-registry-loopback', 'insecure-registry-loopback'])
  })
})

describe('proxies', () => {
  const text = '{\n  "proxies": {"http-proxy": "http://proxy.example.com:3128", "no-proxy": "localhost,.example.com"}\n}'

  test('proxies-too-old before 23.0, reported once at "proxies"', () => {
    expect(lint(text, {dockerVersion: '20.10.24'}).map((f) => [f.rule, `${f.line}:${f.column}`, f.message])).toEqual([
      [
        'daemon-json/proxies-too-old',
        '2:3',
        `"proxies" needs Docker Engine 23.0 or newer; Docker Engine 20.10.24 refuses to start: "the following directives don't match any configuration option: http-proxy, no-proxy"`,
      ],
    ])
  })

  test('from 23.0: proxies-not-reloadable', () => {
    expect(only('proxies-not-reloadable', text, {dockerVersion: '23.0.0'})).toEqual([expect.objectContaining({at: '2:3', severity: 'info'})])
    expect(ruleIds(text, {dockerVersion: '23.0.0'})).toEqual(['proxies-not-reloadable'])
  })
})

describe('flag-conflict', () => {
  test('"hosts" and "containerd" against the stock unit', () => {
    const text = '{\n  "hosts": ["unix:///var/run/docker.sock"],\n  "containerd": "/run/containerd/containerd.sock"\n}'
    const found = only('flag-conflict', text, {dockerdArgs: STOCK_UNIT_ARGS, unitPath: '/lib/systemd/system/docker.service'})
    expect(found.map((f) => [f.at, f.message])).toEqual([
      [
        '2:3',
        '"hosts" is set in daemon.json and by the dockerd flag -H fd:// (ExecStart in /lib/systemd/system/docker.service); dockerd refuses to start: "the following directives are specified both as a flag and in the configuration file: hosts"',
      ],
      [
        '3:3',
        '"containerd" is set in daemon.json and by the dockerd flag --containerd=/run/containerd/containerd.sock (ExecStart in /lib/systemd/system/docker.service); dockerd refuses to start: "the following directives are specified both as a flag and in the configuration file: containerd"',
      ],
    ])
    expect(found[0]?.hint).toContain('ExecStart=')
  })

  test('mirrors and a proxy inside "proxies"', () => {
    const text = '{"registry-mirrors": ["https://m.example.com"], "proxies": {"http-proxy": "http://p:3128"}}'
    const args = ['/usr/bin/dockerd', '--registry-mirror', 'https://other.example.com', '--http-proxy=http://q:3128']
    expect(only('flag-conflict', text, {dockerdArgs: args}).map((f) => f.message.split(';')[0])).toEqual([
      '"registry-mirrors" is set in daemon.json and by the dockerd flag --registry-mirror https://other.example.com',
      '"proxies.http-proxy" is set in daemon.json and by the dockerd flag --http-proxy=http://q:3128',
    ])
  })

  test('runtimes may be in both', () => {
    expect(only('flag-conflict', '{"runtimes": {"kata": {"path": "/usr/bin/kata"}}}', {dockerdArgs: ['--add-runtime', 'crun=/usr/bin/crun']})).toEqual([])
  })

  test('nothing without dockerd arguments', () => {
    expect(only('flag-conflict', '{"hosts": ["fd://"]}')).toEqual([])
  })
})

test('every finding carries file, position, message and hint', () => {
  const text = "{\n  // x\n  'debug': true,\n  \"registry-mirrors\": [\"m.example.com\", \"https://quay.example.com/x?y\"],\n  \"hosts\": [],\n  \"Bip\": \"\"\n}"
  const findings = lint(text, {dockerVersion: '24.0.0', dockerdArgs: STOCK_UNIT_ARGS})
  expect(findings.length).toBeGreaterThan(4)
  for (const f of findings) {
    expect(f.file).toBe(FILE)
    expect(f.line).toBeGreaterThan(0)
    expect(f.column).toBeGreaterThan(0)
    expect(f.message).not.toBe('')
    expect(f.hint).not.toBe('')
  }
})
