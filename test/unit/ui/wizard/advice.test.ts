import {describe, expect, test} from 'vitest'
import {configFromEnv} from '../../../../src/net/proxy.js'
import {parseMirrorArgument} from '../../../../src/policy/mirror-policy.js'
import {parseSpec} from '../../../../src/policy/spec.js'
import {consequences, engineSets} from '../../../../src/ui/wizard/consequences.js'
import type {HostFacts} from '../../../../src/ui/wizard/host-facts.js'
import {proxyAdvice} from '../../../../src/ui/wizard/proxy-advice.js'

const facts = (over: Partial<HostFacts>): HostFacts => ({name: 'h1', engines: ['podman', 'docker'], dockerVersion: '26.1.0', proxies: {}, error: null, ...over})

describe('NO_PROXY advice', () => {
  const proxied = configFromEnv({HTTPS_PROXY: 'http://proxy.example.com:3128', HTTP_PROXY: 'http://proxy.example.com:3128', NO_PROXY: 'localhost'})
  test('an internal mirror sent through the engine proxy gets the NO_PROXY value that fixes it', () => {
    const advice = proxyAdvice([facts({proxies: {docker: proxied}})], [parseMirrorArgument('cache.corp.internal:5000', {insecure: true})])
    expect(advice).toEqual([expect.objectContaining({host: 'h1', engine: 'docker', mirror: 'cache.corp.internal:5000', proxy: 'http://proxy.example.com:3128', decidedBy: 'HTTP_PROXY', suggested: 'localhost,cache.corp.internal,127.0.0.1,::1'})])
  })

  test('loopback mirrors and engines without a proxy get none', () => {
    expect(proxyAdvice([facts({proxies: {docker: proxied, podman: configFromEnv({})}})], [parseMirrorArgument('127.0.0.1:5000')])).toEqual([])
    expect(proxyAdvice([facts({proxies: {podman: configFromEnv({})}})], [parseMirrorArgument('cache.corp.internal:5000')])).toEqual([])
  })
})

describe('per-engine consequences', () => {
  const spec = parseSpec(
    ['[[mirror]]', 'source = "docker.io"', 'mirrors = ["harbor.example.com/dockerhub"]', 'engines = ["podman"]', '', '[[mirror]]', 'source = "quay.io"', 'mirrors = ["127.0.0.1:5000"]', 'insecure = true', ''].join('\n'),
    'mirrorctl-spec.toml',
  )
  test('Docker is told what it keeps doing for a Harbor project path and a non-docker.io source', () => {
    const lines = consequences(spec, engineSets([facts({}), facts({name: 'h2'})]))
    expect(lines[0]).toBe('h1, h2:')
    expect(lines).toContain('  podman/CRI-O (registries.conf): docker.io pulls try harbor.example.com/dockerhub, then docker.io itself')
    expect(lines).toContain('  podman/CRI-O (registries.conf): quay.io pulls try 127.0.0.1:5000 (insecure), then quay.io itself')
    expect(lines).toContain('  docker: keeps pulling docker.io from Docker Hub (Docker cannot use a mirror path such as a Harbor project)')
    expect(lines).toContain("  docker: keeps pulling quay.io directly (Docker's registry-mirrors serve docker.io only)")
    expect(lines.some((l) => l.includes('registry-mirrors ='))).toBe(false)
  })

  test('a docker.io cache becomes Docker registry-mirrors as an http URL when insecure', () => {
    const cache = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5000"]\ninsecure = true\n', 's.toml')
    expect(consequences(cache, engineSets([facts({engines: ['docker']})]))).toContain(
      '  docker (daemon.json): registry-mirrors = [http://127.0.0.1:5000] for docker.io; Docker falls back to Docker Hub when they fail',
    )
  })

  test('hosts that could not be read are left out of the groups', () => {
    expect(engineSets([facts({error: 'connection refused'}), facts({name: 'h2', engines: []})])).toEqual([{hosts: ['h2'], engines: [], dockerVersion: '26.1.0'}])
  })
})
