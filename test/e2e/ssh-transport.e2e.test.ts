import {execFileSync} from 'node:child_process'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startSshHosts, type SshHosts} from '../harness/sshd-hosts.js'

describe('ssh test hosts', {timeout: 120_000}, () => {
  let hs: SshHosts
  beforeAll(async () => {
    hs = await startSshHosts(3, {hosts: [{}, {sudo: false, readOnly: ['/etc/docker']}, {fullDisk: '/etc/docker'}]})
  })
  afterAll(async () => hs?.stop())
  it('smoke', () => {
    for (const h of hs.hosts) {
      const run = (cmd: string) => { try { return execFileSync('ssh', ['-F', hs.sshConfig, '-o', 'BatchMode=yes', h.name, cmd], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}) } catch (e: any) { return 'ERR ' + e.status + ' ' + e.stderr } }
      console.log(h.name, run('id; echo $HOME; cat /etc/resolv.conf; ls -la /etc/docker /tmp; sudo -n id; sudo -n sh -c "echo x > /etc/docker/t && echo wrote"; df /etc/docker'))
    }
    console.log(hs.hosts[0]!.logins(), hs.hosts[0]!.readFile('/etc/docker/t'))
    expect(1).toBe(1)
  })
})
