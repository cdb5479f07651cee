import {describe, expect, test} from 'vitest'
import type {SpecAnswers, TargetAnswer} from '../../../../src/ui/wizard/answers.js'
import {applyCommand, mirrorAddCommands, shellWord} from '../../../../src/ui/wizard/command-text.js'
import {buildSpec, renderSpec} from '../../../../src/ui/wizard/spec-text.js'

const answers: SpecAnswers = {
  fixNoProxy: true,
  entries: [
    {source: 'docker.io', kind: 'cache', mirrors: ['127.0.0.1:5000'], insecure: true, engines: null, location: null},
    {source: 'quay.io/myorg', kind: 'harbor', mirrors: ['harbor.example.com/quay-proxy'], insecure: false, engines: ['podman'], location: null},
    {source: 'docker.io/library', kind: 'copy', mirrors: [], insecure: false, engines: ['podman'], location: 'quay.io/mirrors'},
  ],
}

describe('the spec file the wizard writes', () => {
  test('parses back to the same entries with the fleet spec parser', () => {
    const {text, spec} = buildSpec(answers, 'mirrorctl-spec.toml')
    expect(text).toContain('fix-no-proxy = true')
    expect(spec.fixNoProxy).toBe(true)
    expect(spec.entries.map((e) => [e.source, e.mirrors.map((m) => `${m.host}/${m.path}`), e.mirrors.map((m) => m.insecure), e.engines, e.location])).toEqual([
      ['docker.io', ['127.0.0.1:5000/'], [true], null, undefined],
      ['quay.io/myorg', ['harbor.example.com/quay-proxy'], [false], ['podman'], undefined],
      ['docker.io/library', [], [], ['podman'], 'quay.io/mirrors'],
    ])
  })

  test('omits the optional keys it does not need', () => {
    const text = renderSpec({fixNoProxy: false, entries: [answers.entries[0]!]})
    expect(text).not.toMatch(/fix-no-proxy|engines|location/)
    expect(text).toContain('mirrors = ["127.0.0.1:5000"]\ninsecure = true')
  })
})

describe('the equivalent commands', () => {
  const root: TargetAnswer = {kind: 'root', flags: {timeout: 120, root: '/mnt/my image'}}
  test('apply --spec with the target flags, quoted for sh only where needed', () => {
    expect(applyCommand(root, './mirrorctl-spec.toml')).toBe("mirrorctl apply --spec ./mirrorctl-spec.toml --root '/mnt/my image' --yes")
    const fleet: TargetAnswer = {kind: 'inventory', flags: {timeout: 120, inventory: 'hosts.ini', limit: 'runners:!r3', 'ssh-config': '/etc/ssh cfg', become: true}}
    expect(applyCommand(fleet, 'spec.toml')).toBe("mirrorctl apply --spec spec.toml --inventory hosts.ini --limit 'runners:!r3' --ssh-config '/etc/ssh cfg' --become --yes")
  })

  test('mirror add forms for one machine, none for a fleet', () => {
    expect(mirrorAddCommands(root, answers)).toEqual([
      "mirrorctl mirror add docker.io 127.0.0.1:5000 --insecure --fix-no-proxy --root '/mnt/my image'",
      "mirrorctl mirror add quay.io/myorg harbor.example.com/quay-proxy --engine podman --fix-no-proxy --root '/mnt/my image'",
      "mirrorctl mirror add docker.io/library --location quay.io/mirrors --engine podman --fix-no-proxy --root '/mnt/my image'",
    ])
    expect(mirrorAddCommands({kind: 'hosts', flags: {timeout: 1, hosts: 'a,b'}}, answers)).toBeNull()
  })

  test('shellWord quotes a single quote safely', () => {
    expect(shellWord("it's")).toBe(`'it'\\''s'`)
    expect(shellWord('plain/path-1.toml')).toBe('plain/path-1.toml')
  })
})
