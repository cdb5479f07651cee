import {isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode} from 'yaml'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {expandHostRange} from './host-range.js'

/**
 * Ansible-style inventories (INI and YAML): groups, children, group vars and host vars.
 * Only the connection variables mirrorctl uses are kept; every other variable is ignored,
 * as Ansible's own ssh connection plugin ignores what it does not know.
 */
export const CONNECTION_VARS = [
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_become',
  'ansible_ssh_private_key_file',
  'ansible_ssh_common_args',
] as const
export type ConnectionVar = (typeof CONNECTION_VARS)[number]
export type HostVars = Partial<Record<ConnectionVar, string>>

export interface InventoryGroup {
  name: string
  hosts: Set<string>
  children: Set<string>
  vars: HostVars
}

export interface InventoryHost {
  name: string
  /** Variables written on the host itself (they win over every group's). */
  vars: HostVars
  /** Where the host was first named, for messages. */
  line: number
}

export interface Inventory {
  file: string
  hosts: Map<string, InventoryHost>
  groups: Map<string, InventoryGroup>
}

const RESERVED = new Set(['all', 'ungrouped'])

function usage(file: string, line: number | null, message: string, hint: string, column?: number): UserError {
  return new UserError(message, {exitCode: ExitCode.Usage, position: {file, line, ...(column ? {column} : {})}, rule: 'inventory', hint})
}

function newInventory(file: string): Inventory {
  const inv: Inventory = {file, hosts: new Map(), groups: new Map()}
  group(inv, 'all')
  group(inv, 'ungrouped')
  return inv
}

function group(inv: Inventory, name: string): InventoryGroup {
  let g = inv.groups.get(name)
  if (!g) inv.groups.set(name, (g = {name, hosts: new Set(), children: new Set(), vars: {}}))
  return g
}

function addHost(inv: Inventory, name: string, line: number): InventoryHost {
  let h = inv.hosts.get(name)
  if (!h) inv.hosts.set(name, (h = {name, vars: {}, line}))
  return h
}

function keepVar(target: HostVars, key: string, value: unknown): void {
  if ((CONNECTION_VARS as readonly string[]).includes(key) && value !== null && value !== undefined)
    target[key as ConnectionVar] = typeof value === 'string' ? value : String(value)
}

/** Splits an INI host line like Python's shlex (Ansible uses shlex.split): quotes group, `#` starts a comment. */
function shellWords(line: string, file: string, lineNo: number): string[] {
  const words: string[] = []
  let cur: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1)
      if (end === -1) throw usage(file, lineNo, `unterminated ${c} quote`, 'close the quote or remove it', i + 1)
      cur = (cur ?? '') + line.slice(i + 1, end)
      i = end
    } else if (c === ' ' || c === '\t') {
      if (cur !== null) words.push(cur)
      cur = null
    } else if (c === '#' && cur === null) break
    else cur = (cur ?? '') + c
  }
  if (cur !== null) words.push(cur)
  return words
}

/** Parses an INI inventory: `[group]`, `[group:vars]`, `[group:children]`, host lines with key=value. */
export function parseIniInventory(text: string, file: string): Inventory {
  const inv = newInventory(file)
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const childRefs: {parent: string; child: string; line: number}[] = []
  lines.forEach((raw, index) => {
    const lineNo = index + 1
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) return
    const header = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(line)
    if (header) {
      const [name, suffix] = header[1]!.split(':', 2) as [string, string | undefined]
      if (!/^[A-Za-z0-9_.-]+$/.test(name))
        throw usage(file, lineNo, `invalid group name "${name}"`, 'group names are letters, digits, "_", "-" and "."')
      if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children')
        throw usage(file, lineNo, `unknown section kind ":${suffix}"`, 'use [group], [group:vars] or [group:children]')
      section = name
      kind = suffix ?? 'hosts'
      group(inv, name)
      return
    }
    if (line.startsWith('[')) throw usage(file, lineNo, 'section header without closing "]"', 'write [group]')
    if (kind === 'vars') {
      const eq = line.indexOf('=')
      if (eq <= 0) throw usage(file, lineNo, `expected key=value in [${section}:vars]`, 'for example ansible_user=deploy')
      const value = shellWords(line.slice(eq + 1).trim(), file, lineNo)
      keepVar(group(inv, section).vars, line.slice(0, eq).trim(), value.join(' '))
      return
    }
    if (kind === 'children') {
      const child = shellWords(line, file, lineNo)[0]!
      childRefs.push({parent: section, child, line: lineNo})
      return
    }
    const [pattern, ...pairs] = shellWords(line, file, lineNo)
    if (!pattern) return
    const vars: HostVars = {}
    for (const pair of pairs) {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw usage(file, lineNo, `expected key=value after the host name, got "${pair}"`, 'quote values that contain spaces: ansible_ssh_common_args="-o ProxyJump=bastion"')
      keepVar(vars, pair.slice(0, eq), pair.slice(eq + 1))
    }
    let names: string[]
    try {
      names = expandHostRange(pattern)
    } catch (e) {
      throw usage(file, lineNo, (e as Error).message, 'a range is written web[01:03] or db-[a:c]')
    }
    for (const name of names) {
      const h = addHost(inv, name, lineNo)
      Object.assign(h.vars, vars)
      group(inv, section).hosts.add(name)
    }
  })
  for (const ref of childRefs) {
    if (!inv.groups.has(ref.child) || RESERVED.has(ref.child))
      throw usage(file, ref.line, `[${ref.parent}:children] names "${ref.child}", which is not a group`, 'define the group with a [name] section')
    group(inv, ref.parent).children.add(ref.child)
  }
  return finish(inv)
}

/** Parses a YAML inventory: top-level groups with hosts, vars and children, nested to any depth. */
export function parseYamlInventory(text: string, file: string): Inventory {
  const counter = new LineCounter()
  const doc = parseDocument(text, {lineCounter: counter, uniqueKeys: true, prettyErrors: false})
  const lineOf = (node: YamlNode | null | undefined) => (node?.range ? counter.linePos(node.range[0]).line : null)
  if (doc.errors.length) {
    const e = doc.errors[0]!
    const pos = counter.linePos(e.pos[0])
    throw usage(file, pos.line, `YAML syntax error: ${e.message.split('\n')[0]}`, 'fix the YAML syntax', pos.col)
  }
  const inv = newInventory(file)
  const root = doc.contents
  if (root === null) return finish(inv)
  if (!isMap(root)) throw usage(file, lineOf(root as YamlNode), 'an inventory is a mapping of groups (all: {hosts: ..., children: ...})', 'start with "all:"')
  const expectMap = (node: unknown, what: string, at: YamlNode | null): Iterable<{key: string; value: unknown; line: number | null}> => {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return []
    if (!isMap(node)) throw usage(file, lineOf((node as YamlNode) ?? at), `${what} must be a mapping`, 'indent its entries under it as key: value')
    return node.items.map((pair) => {
      const keyNode = pair.key as YamlNode
      const key = isScalar(keyNode) ? String(keyNode.value) : ''
      return {key, value: pair.value, line: lineOf(keyNode)}
    })
  }
  const scalar = (node: unknown): unknown => (isScalar(node) ? node.value : node)
  const walkGroup = (name: string, body: unknown, line: number | null): void => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw usage(file, line, `invalid group name "${name}"`, 'group names are letters, digits, "_", "-" and "."')
    const g = group(inv, name)
    for (const entry of expectMap(body, `group "${name}"`, null)) {
      if (entry.key === 'hosts') {
        for (const h of expectMap(entry.value, `hosts of "${name}"`, null)) {
          let names: string[]
          try {
            names = expandHostRange(h.key)
          } catch (e) {
            throw usage(file, h.line, (e as Error).message, 'a range is written web[01:03] or db-[a:c]')
          }
          const vars: HostVars = {}
          for (const v of expectMap(h.value, `variables of host "${h.key}"`, null)) keepVar(vars, v.key, scalar(v.value))
          for (const n of names) {
            Object.assign(addHost(inv, n, h.line ?? 0).vars, vars)
            g.hosts.add(n)
          }
        }
      } else if (entry.key === 'vars') {
        for (const v of expectMap(entry.value, `vars of "${name}"`, null)) keepVar(g.vars, v.key, scalar(v.value))
      } else if (entry.key === 'children') {
        for (const c of expectMap(entry.value, `children of "${name}"`, null)) {
          if (c.key === 'ungrouped' || c.key === 'all') continue
          walkGroup(c.key, c.value, c.line)
          g.children.add(c.key)
        }
      } else throw usage(file, entry.line, `unknown key "${entry.key}" in group "${name}"`, 'a group holds hosts, vars and children')
    }
  }
  for (const top of expectMap(root, 'the inventory', null)) walkGroup(top.key, top.value, top.line)
  return finish(inv)
}

/** Hosts in no group but "all" land in "ungrouped", and every group is a child of "all". */
function finish(inv: Inventory): Inventory {
  const all = inv.groups.get('all')!
  const ungrouped = inv.groups.get('ungrouped')!
  for (const g of inv.groups.values()) if (g.name !== 'all') all.children.add(g.name)
  const grouped = new Set<string>()
  for (const g of inv.groups.values()) if (!RESERVED.has(g.name)) for (const h of g.hosts) grouped.add(h)
  ungrouped.hosts = new Set([...inv.hosts.keys()].filter((h) => !grouped.has(h)))
  all.hosts = new Set(inv.hosts.keys())
  for (const g of inv.groups.values())
    if (g.name !== 'all' && reaches(inv, g.name, g.name, new Set()))
      throw usage(inv.file, null, `group "${g.name}" is its own descendant`, 'remove the cycle from the children sections')
  return inv
}

function reaches(inv: Inventory, from: string, target: string, seen: Set<string>): boolean {
  for (const c of inv.groups.get(from)?.children ?? []) {
    if (c === target) return true
    if (seen.has(c)) continue
    seen.add(c)
    if (reaches(inv, c, target, seen)) return true
  }
  return false
}

/** Every host of a group, through its children. */
export function groupHosts(inv: Inventory, name: string): Set<string> {
  const out = new Set<string>()
  const visit = (g: string, seen: Set<string>) => {
    if (seen.has(g)) return
    seen.add(g)
    const grp = inv.groups.get(g)
    if (!grp) return
    for (const h of grp.hosts) out.add(h)
    for (const c of grp.children) visit(c, seen)
  }
  visit(name, new Set())
  return out
}

/** Depth of a group below "all" (Ansible merges group vars from shallow to deep). */
function depth(inv: Inventory, name: string): number {
  if (name === 'all') return 0
  let best = 1
  for (const g of inv.groups.values())
    if (g.name !== 'all' && g.children.has(name)) best = Math.max(best, depth(inv, g.name) + 1)
  return best
}

/** A host's effective connection variables: all < parent groups < child groups < the host's own. */
export function hostVars(inv: Inventory, host: string): HostVars {
  const groups = [...inv.groups.values()].filter((g) => groupHosts(inv, g.name).has(host))
  groups.sort((a, b) => depth(inv, a.name) - depth(inv, b.name) || a.name.localeCompare(b.name))
  const vars: HostVars = {}
  for (const g of groups) Object.assign(vars, g.vars)
  Object.assign(vars, inv.hosts.get(host)?.vars ?? {})
  return vars
}

/** YAML when the name says so or the text starts like a mapping of groups; INI otherwise (as Ansible tries both). */
export function parseInventory(text: string, file: string): Inventory {
  const yaml = /\.ya?ml$/i.test(file) || (!/\.(ini|cfg)$/i.test(file) && /^(?:---\s*\n)?\s*[A-Za-z0-9_.-]+:\s*(?:#.*)?$/m.test(text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#')) ?? ''))
  return yaml ? parseYamlInventory(text, file) : parseIniInventory(text, file)
}
