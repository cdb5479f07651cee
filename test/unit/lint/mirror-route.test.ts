import {describe, expect, it} from 'vitest'
import {mirrorRouteFindings} from '../../../src/lint/mirror-route.js'
import {configFromEnv} from '../../../src/net/proxy.js'
import {rules} from '../../../src/formats/registries-conf/rules.js'
import {rules as dockerRules} from '../../../src/formats/daemon-json/rules.js'
import {evaluateConfigSet} from '../../../src/formats/registries-conf/config-set.js'
import {mirrorsInEffect} from '../../../src/formats/registries-conf/mirrors-in-effect.js'
import {mirrorEntries, parseDaemonJson} from '../../../src/formats/daemon-json/index.js'

const conf = `[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "mirror.corp.internal:5000/hub"
[[registry.mirror]]
location = "10.1.2.3:5000"
[[registry.mirror]]
location = "mirror.gcr.io"
`
const route = (env: Record<string, string>) => ({engine: 'podman' as const, config: configFromEnv(env), restart: 'start podman again'})

describe('mirrors an engine would send through its proxy', () => {
  const mirrors = mirrorsInEffect(evaluateConfigSet([{path: '/etc/containers/registries.conf', text: conf, dropIn: false}]))

  it('finds internal mirrors behind HTTPS_PROXY, with the exact NO_PROXY as hint', () => {
    const f = mirrorRouteFindings(mirrors, route({HTTPS_PROXY: 'http://user:secret@proxy.corp:3128', NO_PROXY: 'localhost'}), rules['mirror-through-proxy'])
    expect(f.map((x) => [x.line, x.column])).toEqual([
      [4, 12],
      [6, 12],
    ])
    expect(f[0]!.message).toContain('through the proxy http://user:***@proxy.corp:3128 (HTTPS_PROXY)')
    expect(f[0]!.hint).toContain('NO_PROXY=localhost,mirror.corp.internal,127.0.0.1,::1')
    expect(JSON.stringify(f)).not.toContain('secret')
  })

  it('says nothing when NO_PROXY covers the mirror or no proxy applies', () => {
    expect(mirrorRouteFindings(mirrors, route({HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'corp.internal,10.0.0.0/8'}), rules['mirror-through-proxy'])).toEqual([])
    // registries are HTTPS: HTTP_PROXY alone never applies
    expect(mirrorRouteFindings(mirrors, route({HTTP_PROXY: 'http://p:3128'}), rules['mirror-through-proxy'])).toEqual([])
  })

  it('reads daemon.json registry-mirrors with positions', () => {
    const doc = parseDaemonJson('{\n  "registry-mirrors": ["https://registry-cache.lan", "https://mirror.gcr.io"]\n}\n', '/etc/docker/daemon.json')
    const f = mirrorRouteFindings(mirrorEntries(doc), {...route({https_proxy: 'proxy:3128'}), engine: 'docker'}, dockerRules['mirror-through-proxy'])
    expect(f).toHaveLength(1)
    expect([f[0]!.rule, f[0]!.line, f[0]!.column]).toEqual(['daemon-json/mirror-through-proxy', 2, 24])
  })
})
