import {describe, expect, test} from 'vitest'
import {askEntry, type ReachCheck} from '../../../../src/ui/wizard/mirror-step.js'
import {askUpstreams} from '../../../../src/ui/wizard/upstream-step.js'
import {ScriptedPrompter} from './scripted-prompter.js'

const reachable: ReachCheck = async () => true

describe('the mirror questions', () => {
  test('an invalid address is refused with the parser message and asked again', async () => {
    const p = new ScriptedPrompter(['mirror', 'http://bad host', 'ftp://x', 'https://mirror.example.com:5000'])
    const said: string[] = []
    const entry = await askEntry(p, 'docker.io', {engines: ['podman'], say: (t) => said.push(t), check: reachable})
    expect(p.refused.map((r) => r.why)).toEqual([expect.stringMatching(/invalid mirror "http:\/\/bad host"/), expect.stringMatching(/unsupported scheme "ftp"/)])
    // https:// says TLS itself: no TLS question.
    expect(entry).toEqual({source: 'docker.io', kind: 'mirror', mirrors: ['https://mirror.example.com:5000'], insecure: false, engines: null, location: null})
    expect(p.left).toBe(0)
  })

  test('an unreachable mirror can be entered again; the check sees each answer', async () => {
    const checked: string[] = []
    const check: ReachCheck = async (_s, target) => {
      checked.push(target.given)
      return checked.length > 1
    }
    const p = new ScriptedPrompter(['cache', '127.0.0.1:1', 'insecure', '127.0.0.1:5000', 'insecure'])
    const entry = await askEntry(p, 'docker.io', {engines: ['podman', 'docker'], say: () => {}, check})
    expect(checked).toEqual(['127.0.0.1:1', '127.0.0.1:5000'])
    expect(entry.mirrors).toEqual(['127.0.0.1:5000'])
    expect(entry.insecure).toBe(true)
  })

  test('a Distribution cache with a path is refused: it serves at its root', async () => {
    const p = new ScriptedPrompter(['cache', 'cache.example.com/hub', 'cache.example.com', 'tls'])
    const entry = await askEntry(p, 'docker.io', {engines: ['podman'], say: () => {}, check: reachable})
    expect(p.refused[0]!.why).toMatch(/serves at its root/)
    expect(entry.mirrors).toEqual(['cache.example.com'])
  })

  test('a Harbor project is for the registries.conf engines only, and Docker is told why', async () => {
    const said: string[] = []
    const p = new ScriptedPrompter(['harbor', 'harbor.example.com', 'Bad Project', 'dockerhub-proxy', 'tls'])
    const entry = await askEntry(p, 'docker.io', {engines: ['podman', 'docker'], say: (t) => said.push(t), check: reachable})
    expect(entry).toMatchObject({kind: 'harbor', mirrors: ['harbor.example.com/dockerhub-proxy'], engines: ['podman']})
    expect(p.refused[0]!.why).toMatch(/Harbor project name/)
    expect(said.join('\n')).toMatch(/cannot use a Harbor project path; Docker will keep pulling docker\.io as before/)
  })

  test('with Docker alone a Harbor project is refused and the kind asked again', async () => {
    const said: string[] = []
    const p = new ScriptedPrompter(['harbor', 'cache', '10.0.0.5:5000', 'insecure'])
    const entry = await askEntry(p, 'docker.io', {engines: ['docker'], say: (t) => said.push(t), check: reachable})
    expect(said.join('\n')).toMatch(/Docker is the only engine chosen/)
    expect(entry).toMatchObject({kind: 'cache', mirrors: ['10.0.0.5:5000'], engines: null})
  })

  test('a copy under another namespace becomes a location, validated as mirror add --location', async () => {
    const p = new ScriptedPrompter(['copy', 'https://quay.io/myorg', 'quay.io/myorg', 'tls'])
    const entry = await askEntry(p, 'docker.io/library', {engines: ['podman'], say: () => {}, check: reachable})
    expect(p.refused[0]!.why).toMatch(/take no scheme/)
    expect(entry).toMatchObject({kind: 'copy', mirrors: [], location: 'quay.io/myorg'})
  })

  test('a custom upstream that names no registry is refused', async () => {
    const p = new ScriptedPrompter([['docker.io', '\u0000custom'], 'nginx', 'registry.example.com', false])
    expect(await askUpstreams(p)).toEqual(['docker.io', 'registry.example.com'])
    expect(p.refused[0]!.why).toMatch(/names no registry/)
  })
})
