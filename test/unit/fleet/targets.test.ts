import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {selectHosts} from '../../../src/fleet/host-pattern.js'
import {parseIniInventory} from '../../../src/fleet/inventory.js'
import {checkCommonArgs, resolveTargets} from '../../../src/fleet/targets.js'

const inv = parseIniInventory(readFileSync(new URL('../../../fixtures/fleet/inventory.ini', import.meta.url), 'utf8'), 'inventory.ini')

describe('--limit patterns (Ansible semantics)', () => {
  test.each([
    ['runners', ['runner01', 'runner02', 'runner03', 'runner-gpu']],
    ['runner0*', ['runner01', 'runner02', 'runner03']],
    ['bastion,nodes', ['bastion', 'node-a', 'node-b']],
    ['bastion:nodes', ['bastion', 'node-a', 'node-b']],
    ['prod:!runners', ['node-a', 'node-b']],
    ['!runners:prod', ['node-a', 'node-b']],
    ['prod:&runner0?', ['runner01', 'runner02', 'runner03']],
    ['~runner0[12]', ['runner01', 'runner02']],
    ['all:!prod', ['bastion']],
    ['*', ['bastion', 'runner01', 'runner02', 'runner03', 'runner-gpu', 'node-a', 'node-b']],
  ])('%s', (pattern, hosts) => {
    expect(selectHosts(inv, pattern).hosts).toEqual(hosts)
  })
  test('a term matching nothing is reported', () => {
    expect(selectHosts(inv, 'nodes:nope').unmatched).toEqual(['nope'])
  })
})

describe('resolveTargets', () => {
  test('no target flag: this machine', () => {
    expect(resolveTargets({}, null)).toBeNull()
  })
  test('inventory values become validated targets', () => {
    const r = resolveTargets({limit: 'node-a,runner-gpu,bastion'}, inv)!
    expect(r.targets).toEqual([
      {name: 'bastion', hostname: '127.0.0.1', port: 2200, user: null, identityFile: null, sshOptions: [], become: false},
      {name: 'runner-gpu', hostname: '127.0.0.9', port: 2222, user: null, identityFile: '/etc/mirrorctl/id_ed25519', sshOptions: [], become: true},
      {name: 'node-a', hostname: 'node-a', port: 2222, user: 'kube', identityFile: '/etc/mirrorctl/id_ed25519', sshOptions: ['ProxyJump=bastion', 'ServerAliveInterval=5'], become: false},
    ])
  })
  test('--hosts names, --user and --become apply to all', () => {
    const r = resolveTargets({hosts: 'a.example.com, b ,a.example.com', user: 'deploy', become: true}, null)!
    expect(r.targets.map((t) => [t.name, t.user, t.become])).toEqual([
      ['a.example.com', 'deploy', true],
      ['b', 'deploy', true],
    ])
  })
  test('--limit narrows --hosts too; nothing left is an error', () => {
    expect(resolveTargets({hosts: 'a1,a2,b1', limit: 'a*'}, null)!.targets.map((t) => t.name)).toEqual(['a1', 'a2'])
    expect(() => resolveTargets({hosts: 'a1', limit: 'zz'}, null)).toThrow('no host matches')
  })
  test('--hosts with --inventory, and --limit alone, are usage errors', () => {
    expect(() => resolveTargets({hosts: 'a'}, inv)).toThrow('either --hosts or --inventory')
    expect(() => resolveTargets({limit: 'a'}, null)).toThrow('--limit needs')
  })
})

describe('hostile values never reach ssh', () => {
  const refuse = (fn: () => unknown, what: string) => {
    let error: unknown
    try {
      fn()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).exitCode).toBe(2)
    expect((error as UserError).message).toContain(what)
  }
  test.each(['-oProxyCommand=touch /tmp/x', 'a;id', '$(id)', 'a b', 'a\nb', '`id`', 'a|b', "a'b", '-p22', ''])('--hosts %j', (name) => {
    refuse(() => resolveTargets({hosts: name || ','}, null), name ? 'invalid host name' : '--hosts is empty')
  })
  test.each(['-oProxyCommand=x', 'root;id', '$(id)', 'a b'])('--user %j', (user) => {
    refuse(() => resolveTargets({hosts: 'h', user}, null), 'invalid user')
  })
  test('inventory ansible_host starting with -', () => {
    const hostile = parseIniInventory(readFileSync(new URL('../../../fixtures/fleet/hostile.ini', import.meta.url), 'utf8'), 'hostile.ini')
    refuse(() => resolveTargets({}, hostile), 'invalid host name')
  })
  test.each([
    ['ansible_port=22;id', 'invalid port'],
    ['ansible_port=0', 'invalid port'],
    ['ansible_ssh_private_key_file=-oProxyCommand=x', 'invalid private key file'],
    ['ansible_become=maybe', 'invalid boolean'],
    ['ansible_user=$(id)', 'invalid user'],
  ])('inventory %s', (pair, what) => {
    refuse(() => resolveTargets({}, parseIniInventory(`h1 ${pair}\n`, 'i.ini')), what)
  })
  test('common args: only -o Key=Value, never a command-running option', () => {
    expect(checkCommonArgs('-o ProxyJump=b -oServerAliveInterval=5 -o "User=x"', 'i')).toEqual(['ProxyJump=b', 'ServerAliveInterval=5', 'User=x'])
    for (const bad of ['-o ProxyCommand=nc %h %p', '-oLocalCommand=id', '-o PermitLocalCommand=yes', '-F /tmp/cfg', 'id', '-o Include=/tmp/x', '-o ControlPath=/tmp/s', '-o'])
      expect(() => checkCommonArgs(bad, 'i'), bad).toThrow(UserError)
  })
})
