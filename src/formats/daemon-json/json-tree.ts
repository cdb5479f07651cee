/**
 * The tree the daemon.json parser builds: every key and value with its offsets, so lint can
 * point at it and plan can rewrite just its span, and the helpers that read it as Go's
 * decoder does.
 */

interface Span {
  /** Offset of the first character. */
  start: number
  /** Offset just after the last character. */
  end: number
}

export interface JsonObject extends Span {
  kind: 'object'
  members: JsonMember[]
}
export interface JsonArray extends Span {
  kind: 'array'
  items: JsonNode[]
}
export interface JsonString extends Span {
  kind: 'string'
  value: string
}
export interface JsonNumber extends Span {
  kind: 'number'
  raw: string
  value: number
}
export interface JsonBoolean extends Span {
  kind: 'boolean'
  value: boolean
}
export interface JsonNull extends Span {
  kind: 'null'
}
/** A value Go rejects (NaN, 'text', True…), kept so the rest of the file can be checked. */
export interface JsonInvalid extends Span {
  kind: 'invalid'
  raw: string
}
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonBoolean | JsonNull | JsonInvalid

export interface JsonMember {
  key: string
  keyStart: number
  keyEnd: number
  value: JsonNode
}

/** The member Go's decoder uses for a key: the last one. */
export function lastMember(members: readonly JsonMember[], key: string): JsonMember | undefined {
  for (let i = members.length - 1; i >= 0; i--) if (members[i]!.key === key) return members[i]
  return undefined
}

/** The value as plain JavaScript (objects keep the last duplicate, as Go does); invalid values become undefined. */
export function toValue(node: JsonNode): unknown {
  // Iterative: a value may be nested 10,000 levels deep.
  const scalar = (n: JsonNode): unknown =>
    n.kind === 'null' ? null : n.kind === 'invalid' ? undefined : n.kind === 'object' ? {} : n.kind === 'array' ? [] : n.value
  const root = scalar(node)
  const work: [JsonNode, unknown][] = [[node, root]]
  for (let next = work.pop(); next; next = work.pop()) {
    const [n, out] = next
    if (n.kind === 'object') {
      for (const m of n.members) {
        const v = scalar(m.value)
        ;(out as Record<string, unknown>)[m.key] = v
        if (m.value.kind === 'object' || m.value.kind === 'array') work.push([m.value, v])
      }
    } else if (n.kind === 'array') {
      for (const item of n.items) {
        const v = scalar(item)
        ;(out as unknown[]).push(v)
        if (item.kind === 'object' || item.kind === 'array') work.push([item, v])
      }
    }
  }
  return root
}
