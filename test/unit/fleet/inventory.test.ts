import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {UserError} from '../../../src/core/errors.js'
import {expandHostRange} from '../../../src/fleet/host-range.js'
import {groupHosts, hostVars, parseInventory, parseIniInventory, parseYamlInventory} from '../../../src/fleet/inventory.js'

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/fleet/${name}`, import.meta.url), 'utf8')

function thrown(fn: () => unknown): UserError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(UserError)
    return e as UserError
  }
  throw new Error('expected a UserError')
}

describe('host ranges', () => {
  test('numeric with padding, letters, strides and several ranges', () => {
    expect(expandHostRange('web[01:03]')).toEqual(['web01', 'web02', 'web03'])
    expect(expandHostRange('db-[a:c].x')).toEqual(['db-a.x', 'db-b.x', 'db-c.x'])
    expect(expandHostRange('n[1:9:4]')).toEqual(['n1', 'n5', 'n9'])
    expect(expandHostRange('r[1:2]c[a:b]')).toEqual(['r1ca', 'r1cb', 'r2ca', 'r2cb'])
    expect(expandHostRange('plain')).toEqual(['plain'])
  })
  test('bad ranges are refused', () => {
    expect(() => expandHostRange('w[3:1]')).toThrow('backwards')
    expect(() => expandHostRange('w[1:x]')).toThrow('invalid host range')
    expect(() => expandHostRange('w[1:100000]')).toThrow('more than')
  })
})

// INI and YAML fixtures describe the same fleet, so both must give the same answers.
describe.each([
  ['inventory.ini', parseIniInventory],
  ['inventory.yaml', parseYamlInventory],
])('%s', (name, parse) => {
  const inv = parse(fixture(name), name)
  test('hosts in file order, ranges expanded', () => {
    expect([...inv.hosts.keys()]).toEqual(['bastion', 'runner01', 'runner02', 'runner03', 'runner-gpu', 'node-a', 'node-b'])
  })
  test('groups reach their children', () => {
    expect([...groupHosts(inv, 'prod')].sort()).toEqual(['node-a', 'node-b', 'runner-gpu', 'runner01', 'runner02', 'runner03'])
    expect([...groupHosts(inv, 'ungrouped')]).toEqual(['bastion'])
    expect(groupHosts(inv, 'all').size).toBe(7)
  })
  test('host vars win over child groups, which win over parents', () => {
    expect(hostVars(inv, 'runner01')).toMatchObject({ansible_user: 'ci', ansible_port: '2222'})
    expect(hostVars(inv, 'runner-gpu')).toMatchObject({ansible_host: '127.0.0.9', ansible_port: '2222'})
    expect(hostVars(inv, 'node-a')).toMatchObject({ansible_user: 'kube', ansible_port: '2222'})
    expect(hostVars(inv, 'bastion')).toMatchObject({ansible_host: '127.0.0.1', ansible_port: '2200'})
  })
})

test('INI: quoted values keep their spaces; the become spelling is kept for validation', () => {
  const inv = parseIniInventory(fixture('inventory.ini'), 'inventory.ini')
  expect(hostVars(inv, 'node-b').ansible_ssh_common_args).toBe('-o ProxyJump=bastion -o ServerAliveInterval=5')
  expect(hostVars(inv, 'runner-gpu').ansible_become).toBe('yes')
  expect(hostVars(inv, 'node-a').ansible_ssh_private_key_file).toBe('/etc/mirrorctl/id_ed25519')
})

test('parseInventory picks the format by name, or by content', () => {
  expect(parseInventory(fixture('inventory.yaml'), 'hosts').hosts.size).toBe(7)
  expect(parseInventory(fixture('inventory.ini'), 'hosts').hosts.size).toBe(7)
})

describe('errors name file and line, exit 2', () => {
  test.each([
    ['[web\nh1', 1, 'closing'],
    ['[web:bogus]\nh1', 1, 'unknown section kind'],
    ['[web]\nh1 ansible_host', 2, 'expected key=value'],
    ["[web]\nh1 ansible_host='x", 2, 'unterminated'],
    ['[a:children]\nnope', 2, 'not a group'],
    ['[web]\nw[3:1]', 2, 'backwards'],
  ])('INI %j', (text, line, message) => {
    const e = thrown(() => parseIniInventory(text, 'inv.ini'))
    expect(e.exitCode).toBe(2)
    expect(e.position).toMatchObject({file: 'inv.ini', line})
    expect(e.message).toContain(message)
    expect(e.hint).toBeTruthy()
  })
  test.each([
    ['all:\n  hosts:\n    a: [1\n', 'YAML syntax error'],
    ['all:\n  host:\n    a:\n', 'unknown key "host"'],
    ['- a\n- b\n', 'mapping of groups'],
    ['all:\n  hosts: [a, b]\n', 'must be a mapping'],
  ])('YAML %j', (text, message) => {
    const e = thrown(() => parseYamlInventory(text, 'inv.yaml'))
    expect(e.exitCode).toBe(2)
    expect(e.position?.file).toBe('inv.yaml')
    expect(e.position?.line).toBeGreaterThan(0)
    expect(e.message).toContain(message)
  })
  test('a group cycle is refused', () => {
    expect(thrown(() => parseIniInventory('[a]\n[b]\n[a:children]\nb\n[b:children]\na\n', 'c.ini')).message).toContain('its own descendant')
  })
})
