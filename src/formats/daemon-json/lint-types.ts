/**
 * The decoder's view (json.Unmarshal into the Config struct): a value of the wrong JSON type for
 * its option's Go type stops dockerd.
 */
import {report} from '../../lint/rule.js'
import {FREE_FORM, classifyName, type ValueType} from './known-keys.js'
import {winners, type LintScope} from './lint-scope.js'
import type {JsonMember, JsonNode} from './parse.js'
import {rules} from './rules.js'

/** Every key the decoder reads, including objects the name check flattened away. */
export function lintTypes(s: LintScope, members: readonly JsonMember[]): void {
  const check = (m: JsonMember, parent: string) => {
    const status = classifyName(m.key, parent, s.version)
    if (status.kind === 'read') checkType(s, parent ? `${parent}.${m.key}` : m.key, status.spec.type, m.value)
  }
  for (const m of winners(members).values()) {
    check(m, '')
    if (m.value.kind === 'object' && !FREE_FORM.has(m.key)) {
      for (const child of winners(m.value.members).values()) check(child, m.key)
    }
  }
}

function checkType(s: LintScope, key: string, type: ValueType, node: JsonNode): void {
  const bad = typeProblem(key, type, node)
  if (!bad) return
  const jsonType = goJsonType(bad.node)
  const article = jsonType === 'bool' ? 'a boolean' : `a${/^[aeiou]/.test(jsonType) ? 'n' : ''} ${jsonType}`
  s.out.push(
    report(
      rules['wrong-type'],
      s.at(bad.node.start),
      `"${bad.name}" must be ${bad.expected}, not ${article}; dockerd cannot decode the file: "json: cannot unmarshal ${jsonType} into Go struct field Config.${key} of type ${bad.goType}"`,
      typeHint(type, bad.node),
    ),
  )
}

const TYPE_TEXT: Record<ValueType, [string, string]> = {
  string: ['a string', 'string'],
  boolean: ['true or false', 'bool'],
  integer: ['a whole number', 'int'],
  'string[]': ['a list of strings', '[]string'],
  'string-map': ['an object with string values', 'map[string]string'],
  'bool-map': ['an object with true/false values', 'map[string]bool'],
  'object-map': ['an object of objects', 'map[string]…'],
  object: ['an object', 'struct'],
  'object[]': ['a list of objects', '[]…'],
  size: ['a size such as "64M" or a number of bytes', 'opts.MemBytes'],
}

interface TypeProblem {
  node: JsonNode
  /** The key, or key.inner for a value inside a map. */
  name: string
  expected: string
  goType: string
}

/** The first value that breaks decoding into the option's Go type; null when it decodes. */
function typeProblem(key: string, type: ValueType, node: JsonNode): TypeProblem | null {
  if (node.kind === 'null' || node.kind === 'invalid') return null
  const [expected, goType] = TYPE_TEXT[type]
  const whole: TypeProblem = {node, name: key, expected, goType}
  const ok = (n: JsonNode, kind: JsonNode['kind']) => n.kind === kind || n.kind === 'null' || n.kind === 'invalid'
  switch (type) {
    case 'string':
      return ok(node, 'string') ? null : whole
    case 'boolean':
      return ok(node, 'boolean') ? null : whole
    case 'integer':
      return node.kind === 'number' && isGoInt(node.raw) ? null : whole
    case 'size':
      return node.kind === 'string' || node.kind === 'number' ? null : whole
    case 'object':
      return ok(node, 'object') ? null : whole
    case 'string[]':
    case 'object[]': {
      if (node.kind !== 'array') return whole
      const want = type === 'string[]' ? 'string' : 'object'
      const bad = node.items.find((n) => !ok(n, want))
      return bad ? {node: bad, name: key, expected: `a list of ${want}s`, goType} : null
    }
    case 'string-map':
    case 'bool-map':
    case 'object-map': {
      if (node.kind !== 'object') return whole
      const want = type === 'string-map' ? 'string' : type === 'bool-map' ? 'boolean' : 'object'
      const bad = node.members.find((m) => !ok(m.value, want))
      if (!bad) return null
      const [elemText, elemGo] = TYPE_TEXT[want === 'boolean' ? 'boolean' : want === 'string' ? 'string' : 'object']
      return {node: bad.value, name: `${key}.${bad.key}`, expected: elemText, goType: elemGo}
    }
  }
}

/** Go decodes an int field only from an integer literal in int64 range (no fraction or exponent). */
function isGoInt(raw: string): boolean {
  if (!/^-?\d+$/.test(raw)) return false
  const n = BigInt(raw)
  return n >= -(2n ** 63n) && n < 2n ** 63n
}

function goJsonType(node: JsonNode): string {
  switch (node.kind) {
    case 'boolean':
      return 'bool'
    case 'number':
      return /[.eE]/.test(node.raw) ? `number ${node.raw}` : 'number'
    default:
      return node.kind
  }
}

function typeHint(type: ValueType, node: JsonNode): string {
  if (type === 'string[]' && node.kind === 'string') return `put the value in a list: [${JSON.stringify(node.value)}]`
  if ((type === 'string-map' || type === 'string') && (node.kind === 'number' || node.kind === 'boolean')) {
    return `quote the value: "${node.kind === 'number' ? node.raw : String(node.value)}" (log-opts values are always strings)`
  }
  if (type === 'boolean' && node.kind === 'string' && /^(?:true|false)$/i.test(node.value)) return `write ${node.value.toLowerCase()} without quotes`
  if (type === 'integer' && node.kind === 'string' && /^-?\d+$/.test(node.value)) return `write ${node.value} without quotes`
  return rules['wrong-type'].hint
}
