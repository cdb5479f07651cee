// The wizard with containerd and k3s on the targets: offered only when found, explained, planned.
import {describe, expect, test} from 'vitest'
import {parseSpec} from '../../../../src/policy/spec.js'
import type {SpecAnswers} from '../../../../src/ui/wizard/answers.js'
import {mirrorAddCommands} from '../../../../src/ui/wizard/command-text.js'
import {consequences} from '../../../../src/ui/wizard/consequences.js'
import {describeFacts} from '../../../../src/ui/wizard/host-facts.js'
import {askEntry, type ReachCheck} from '../../../../src/ui/wizard/mirror-step.js'
import {restartNotes} from '../../../../src/ui/wizard/restart-notes.js'
import {engineChoices} from '../../../../src/ui/wizard/run-wizard.js'
import type {PlannedHost} from '../../../../src/fleet/run-fleet.js'
import {ScriptedPrompter} from './scripted-prompter.js'

const reachable: ReachCheck = async () => true

describe('engine choices', () => {
  test('podman and Docker as before; containerd and k3s only where found, checked', () => {
    expect(engineChoices(['docker']).map((c) => [c.value, c.checked])).toEqual([
      ['podman', false],
      ['docker', true],
    ])
    expect(engineChoices(['containerd', 'k3s']).map((c) => [c.value, c.checked])).toEqual([
      ['podman', false],
      ['docker', false],
      ['containerd', true],
      ['k3s', true],
    ])
  })

  test('the facts name each engine with its file', () => {
    expect(describeFacts([{name: 'node1', engines: ['containerd', 'k3s'], dockerVersion: null, proxies: {}, error: null}])).toEqual(['  node1: containerd (hosts.toml), k3s/RKE2 (registries.yaml)'])
  })
})

describe('what containerd and k3s will do', () => {
  test('their mirrors and restart, from the fleet translation', () => {
    const spec = parseSpec('[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5000"]\ninsecure = true\n', 'spec.toml')
    const lines = consequences(spec, [{hosts: ['node1'], engines: ['containerd', 'k3s'], dockerVersion: null}])
    expect(lines).toEqual([
      'node1:',
      '  containerd (hosts.toml): docker.io pulls try http://127.0.0.1:5000, then docker.io itself; read on each pull once config_path is set',
      '  k3s (registries.yaml): docker.io pulls try http://127.0.0.1:5000, then docker.io itself; k3s reads it at start (restart k3s)',
    ])
  })
})

describe('mirror questions with containerd or k3s chosen', () => {
  test('a copy (location) is for registries.conf only, and they are told why', async () => {
    const said: string[] = []
    const p = new ScriptedPrompter(['copy', 'quay.io/myorg', 'tls'])
    const entry = await askEntry(p, 'docker.io', {engines: ['podman', 'containerd', 'k3s'], say: (t) => said.push(t), check: reachable})
    expect(entry).toMatchObject({kind: 'copy', engines: ['podman'], location: 'quay.io/myorg'})
    expect(said.join('\n')).toContain('containerd, k3s cannot redirect docker.io')
  })

  test('with only containerd and k3s, a copy is refused and the kind asked again', async () => {
    const said: string[] = []
    const p = new ScriptedPrompter(['copy', 'cache', '127.0.0.1:5000', 'insecure'])
    const entry = await askEntry(p, 'docker.io', {engines: ['containerd', 'k3s'], say: (t) => said.push(t), check: reachable})
    expect(said.join('\n')).toContain('containerd and k3s cannot redirect docker.io')
    expect(entry).toMatchObject({kind: 'cache', mirrors: ['127.0.0.1:5000'], engines: null})
  })
})

test('mirror add commands: one per named engine (--engine all would reach engines the entry is not for)', () => {
  const answers: SpecAnswers = {fixNoProxy: false, entries: [{source: 'docker.io', kind: 'cache', mirrors: ['127.0.0.1:5000'], insecure: true, engines: ['containerd', 'k3s'], location: null}]}
  expect(mirrorAddCommands({kind: 'local', flags: {timeout: 30}}, answers)).toEqual([
    'mirrorctl mirror add docker.io 127.0.0.1:5000 --insecure --engine containerd',
    'mirrorctl mirror add docker.io 127.0.0.1:5000 --insecure --engine k3s',
  ])
})

test('restart notes: each host once per restart its files ask for', () => {
  const file = (actions: string[]) => ({engine: 'k3s' as const, path: '/p', actions, diff: '', backup: null})
  const host = (name: string, files: ReturnType<typeof file>[]) => ({result: {host: name, files}}) as unknown as PlannedHost
  expect(restartNotes([host('n1', [file(['add endpoint x', 'restart k3s to apply it']), file(['restart k3s to apply it'])]), host('n2', [file(['add mirror'])])])).toEqual(['  n1: restart k3s to apply it'])
})
