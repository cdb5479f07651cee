import type {MirrorTarget} from '../../policy/mirror-policy.js'
import {hostMatchesMirror} from './plan.js'
import {parseTomlDoc, tomlString} from './toml-doc.js'

/**
 * Points the `ca` key of a mirror's [host."…"] table at a CA file (containerd hosts.go:
 * `ca` is a string or an array of strings, relative paths taken from the hosts.toml
 * folder). A string naming another file is replaced, an array gets the file first; the
 * rest of the text is kept byte for byte. Returns the text unchanged when the table
 * already names the file, or when the file has no table for the mirror.
 */
export function setHostCa(text: string, path: string, mirror: MirrorTarget, caPath: string): {after: string; action: string | null} {
  const doc = parseTomlDoc(text, path)
  if (!doc.data) return {after: text, action: null}
  const hosts = (doc.data['host'] ?? {}) as Record<string, Record<string, unknown>>
  const table = doc.tables.find((t) => t.path.length === 2 && t.path[0] === 'host' && hostMatchesMirror(t.path[1]!, hosts[t.path[1]!]?.['override_path'] === true, mirror))
  if (!table) return {after: text, action: null}
  const name = table.path[1]!
  const current = hosts[name]?.['ca']
  const key = table.keys.find((k) => k.name.length === 1 && k.name[0] === 'ca')
  const quoted = tomlString(caPath)
  const action = `set ca = ${quoted} for host ${name}`
  if (key && typeof current === 'string') {
    if (current === caPath) return {after: text, action: null}
    return {after: text.slice(0, key.value[0]) + quoted + text.slice(key.value[1]), action}
  }
  if (key && Array.isArray(current)) {
    if (current.includes(caPath)) return {after: text, action: null}
    const open = key.value[0] + 1
    return {after: text.slice(0, open) + quoted + (current.length ? ', ' : '') + text.slice(open), action}
  }
  if (key) return {after: text.slice(0, key.value[0]) + quoted + text.slice(key.value[1]), action}
  // A new line after the table's last key (or its header), indented like that key.
  const last = table.keys[table.keys.length - 1]
  const lineStart = text.lastIndexOf('\n', (last ? last.node[0] : table.header[0]) - 1) + 1
  const indent = last ? /^[ \t]*/.exec(text.slice(lineStart))![0] : '  '
  const nl = text.indexOf('\n', table.end)
  const at = nl === -1 ? text.length : nl + 1
  const lead = nl === -1 ? doc.eol : ''
  return {after: text.slice(0, at) + lead + `${indent}ca = ${quoted}${doc.eol}` + text.slice(at), action}
}
