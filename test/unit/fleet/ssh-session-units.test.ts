// The units' states are gathered only for runs that plan reloads: the real GATHER_SCRIPT runs
// here through /bin/sh (the fake control's "ssh"), with a stand-in systemctl that logs its calls.
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {SshSession} from '../../../src/fleet/ssh-session.js'
import {reloadHost} from '../../../src/fleet/reload.js'
import type {SshCallResult, SshControl} from '../../../src/hosts/ssh-host.js'
import {makeSshTarget} from '../../../src/hosts/ssh-target.js'

let bin: string
const log = () => path.join(bin, 'calls')
const systemctlCalls = () => readFileSync(log(), 'utf8').split('\n').filter(Boolean)

beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), 'mirrorctl-units-'))
  // docker stopped, every other unit running.
  writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${log()}'\nshift\nfor u; do if [ "$u" = docker ]; then echo inactive; else echo active; fi; done\nexit 3\n`)
  chmodSync(path.join(bin, 'systemctl'), 0o755)
})
afterAll(() => rmSync(bin, {recursive: true, force: true}))

/** A session whose control runs each script here; the gather requests it was sent are kept. */
function session(units: boolean | undefined) {
  const inputs: string[] = []
  const control = {
    async run(_target: unknown, script: string, input: string): Promise<SshCallResult> {
      inputs.push(input)
      const r = await execa('/bin/sh', ['-c', script], {input, env: {PATH: `${bin}:/usr/bin:/bin`, HOME: bin}, extendEnv: false, reject: false, encoding: 'buffer'})
      const stdoutBytes = Buffer.from(r.stdout)
      return {exitCode: r.exitCode ?? 1, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.from(r.stderr).toString('utf8'), stdoutBytes}
    },
  } as unknown as SshControl
  const s = new SshSession(makeSshTarget({name: 'h1'}), control, {sshConfig: null, acceptNewHostKeys: false, timeoutSeconds: 30, ...(units === undefined ? {} : {units})})
  return {s, inputs}
}

const dockerChange = [{engine: 'docker' as const, path: '/etc/docker/daemon.json', before: '{}', after: '{"registry-mirrors": ["https://m"]}'}]

describe('SshSession: units only for runs that plan reloads', () => {
  it('without --reload: the first gather asks "facts 1", runs no systemctl, and knows no unit', async () => {
    for (const units of [undefined, false]) {
      writeFileSync(log(), '')
      const {s, inputs} = session(units)
      const env = await s.plan(async (host) => host.env, new AbortController().signal)
      expect(env.HOME).toBe(bin)
      expect(inputs[0]!.split('\n').slice(0, 2)).toEqual(['mirrorctl-gather 1', 'facts 1'])
      expect(systemctlCalls()).toEqual([])
      expect(s.reloader().facts).toMatchObject({units: {}, commands: {systemctl: path.join(bin, 'systemctl')}})
    }
  })

  it('with --reload: "facts 2", one systemctl for every unit, and the states reach reload planning', async () => {
    writeFileSync(log(), '')
    const {s, inputs} = session(true)
    await s.plan(async () => null, new AbortController().signal)
    expect(inputs[0]!.split('\n').slice(0, 2)).toEqual(['mirrorctl-gather 1', 'facts 2'])
    expect(systemctlCalls()).toEqual(['is-active docker crio containerd k3s k3s-agent rke2-server rke2-agent'])
    expect(s.reloader().facts.units).toMatchObject({docker: 'inactive', crio: 'active', 'k3s-agent': 'active'})
    // Decided from the snapshot: skipped without a round trip.
    const before = inputs.length
    expect(await reloadHost(dockerChange, s.reloader().facts, false, s.reloader().run)).toEqual([{engine: 'docker', action: 'reload', status: 'skipped', reason: 'docker is inactive, not running; reload docker'}])
    expect(inputs.length).toBe(before)
  })

  it('without the units, the host\'s reload script finds the stopped unit: the same report', async () => {
    const {s, inputs} = session(false)
    await s.plan(async () => null, new AbortController().signal)
    const before = inputs.length
    expect(await reloadHost(dockerChange, s.reloader().facts, false, s.reloader().run)).toEqual([{engine: 'docker', action: 'reload', status: 'skipped', reason: 'docker is inactive, not running; reload docker'}])
    expect(inputs.length).toBe(before + 1)
  })
})
