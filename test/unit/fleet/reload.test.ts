// RELOAD_SCRIPT run by the real /bin/sh with a stand-in systemctl on PATH that logs its
// arguments: what reloadHost asks systemd for, and how it reads the answers.
import {execa} from 'execa'
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {changedFiles, reloadHost, renderReload, type ReloadRunner} from '../../../src/fleet/reload.js'

let dir: string
const dj = '/etc/docker/daemon.json'
const mirrorChange = [{engine: 'docker' as const, path: dj, before: '{}', after: '{"registry-mirrors": ["https://m"]}'}]
const facts = {commands: null, units: {}}

function fake(states: Record<string, string>, fail = ''): ReloadRunner {
  const log = path.join(dir, 'calls')
  const cases = Object.entries(states).map(([u, s]) => `${u}) [ "${s}" = active ] || { echo ${s}; exit 3; } ;;`).join(' ')
  writeFileSync(
    path.join(dir, 'systemctl'),
    `#!/bin/sh\necho "$*" >> ${log}\nif [ "$1" = is-active ]; then u=$3; [ "$2" = --quiet ] || u=$2; case $u in ${cases} *) echo inactive; exit 3 ;; esac; exit 0; fi\n${fail ? `[ "$1" = "${fail}" ] && { echo "Job for $2.service failed" >&2; exit 1; }\n` : ''}exit 0\n`,
  )
  chmodSync(path.join(dir, 'systemctl'), 0o755)
  return async (script, input) => {
    const r = await execa('/bin/sh', ['-c', script], {input, reject: false, env: {PATH: `${dir}:/usr/bin:/bin`}, extendEnv: false})
    return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }
}
const calls = () => {
  try {
    return readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').filter((l) => !l.startsWith('is-active'))
  } catch {
    return []
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-reload-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('reloadHost with the real script', () => {
  it('reloads docker and reports done', async () => {
    expect(await reloadHost(mirrorChange, facts, false, fake({docker: 'active'}))).toEqual([{engine: 'docker', action: 'reload', status: 'done', reason: 'reload docker'}])
    expect(calls()).toEqual(['reload docker'])
  })
  it('daemon-reload before the restart of a drop-in change, with --allow-restart', async () => {
    const files = [{engine: 'docker' as const, path: '/etc/systemd/system/docker.service.d/http-proxy.conf', before: null, after: '[Service]\n'}]
    expect((await reloadHost(files, facts, true, fake({docker: 'active'})))[0]).toMatchObject({action: 'restart', status: 'done'})
    expect(calls()).toEqual(['daemon-reload', 'restart docker'])
  })
  it('an inactive unit is skipped with its state, and nothing is called', async () => {
    const [o] = await reloadHost(mirrorChange, facts, false, fake({docker: 'failed'}))
    expect(o).toMatchObject({status: 'skipped'})
    expect(o!.reason).toContain('docker is failed, not running')
    expect(calls()).toEqual([])
  })
  it('systemctl missing: skipped', async () => {
    const run: ReloadRunner = async (script, input) => {
      const r = await execa('/bin/sh', ['-c', script], {input, reject: false, env: {PATH: '/nonexistent'}, extendEnv: false})
      return {exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr)}
    }
    // The script appends the sbin folders to PATH; this machine's own systemctl (if any) may answer there.
    const [o] = await reloadHost(mirrorChange, facts, false, run)
    expect(o!.status).toBe('skipped')
    expect(o!.reason).toMatch(/^(?:systemctl not found|docker is [a-z-]+, not running); reload docker$/)
  })
  it('a failing reload is failed, with systemctl\'s message', async () => {
    const [o] = await reloadHost(mirrorChange, facts, false, fake({docker: 'active'}, 'reload'))
    expect(o).toMatchObject({status: 'failed'})
    expect(o!.reason).toContain('Job for docker.service failed')
  })
  it('a --root tree (no runner) is skipped', async () => {
    expect((await reloadHost(mirrorChange, facts, false, null))[0]).toMatchObject({status: 'skipped', reason: expect.stringContaining('--root tree')})
  })
  it('one round trip for several engines, answers in order', async () => {
    const files = [...mirrorChange, {engine: 'podman' as const, path: '/etc/containers/registries.conf', before: '', after: 'x'}]
    const out = await reloadHost(files, facts, false, fake({docker: 'active', crio: 'inactive'}))
    expect(out.map((o) => [o.engine, o.action, o.status])).toEqual([
      ['docker', 'reload', 'done'],
      ['podman', 'none', 'done'],
      ['crio', 'reload', 'skipped'],
    ])
    expect(renderReload(out)).toMatch(/^docker reload done; podman no reload needed \(podman and skopeo read .*\); crio reload skipped \(crio is inactive, not running; reload crio\)$/)
  })
})

describe('changedFiles', () => {
  it('pairs written files with their old and new text', () => {
    expect(changedFiles([{path: dj, expect: '{}', content: '{"a":1}', mode: 0o644}, {path: '/x', expect: null, content: 'y', mode: 0o644}], [{engine: 'docker', path: dj}])).toEqual([{engine: 'docker', path: dj, before: '{}', after: '{"a":1}'}])
  })
})
