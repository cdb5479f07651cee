/**
 * The structural half of the daemon.json parser: objects and arrays, keys, colons and
 * commas, built into the tree (json-tree.ts) on an explicit stack. It recovers from the usual
 * hand-editing mistakes so one run reports all of them; anything else stops the parse.
 */
import type {JsonArray, JsonNode, JsonObject} from './json-tree.js'
import {goQuote, isDigit, isWordChar, type Context} from './go-json-chars.js'
import {HINT, JsonScanner, Stop} from './json-scanner.js'

/** encoding/json's maxNestingDepth: the 10001st open object or array is a syntax error. */
const MAX_DEPTH = 10_000

/** An object or array being read, with the offset of a pending comma (-1 when none). */
interface ObjectFrame {
  node: JsonObject
  comma: number
  /** The key whose value is being read. */
  key?: {key: string; keyStart: number; keyEnd: number}
}
interface ArrayFrame {
  node: JsonArray
  comma: number
  key?: undefined
}
type Frame = ObjectFrame | ArrayFrame

/** Reads the text between start and end; `errors` holds what it recorded, in reading order. */
export class JsonParser extends JsonScanner {
  parseDocument(): JsonNode | null {
    try {
      this.skipSpace('looking for beginning of value')
      if (this.pos >= this.end) return null // nothing but comments, already reported
      const root = this.value('looking for beginning of value', 'after top-level value')
      this.skipSpace('after top-level value')
      if (this.pos < this.end) {
        this.error(this.pos, `unexpected text after the closing ${closer(root)}`, 'after top-level value', 'remove it, or move it inside the object')
      }
      return root
    } catch (e) {
      if (e instanceof Stop) return null
      throw e
    }
  }

  /**
   * One value, however deeply nested: open objects and arrays live on an explicit stack, not
   * on the call stack, so hostile nesting cannot overflow it.
   */
  private value(context: Context, after: Context): JsonNode {
    const stack: Frame[] = []
    let done = this.open(context, after, stack)
    for (;;) {
      if (done) {
        const top = stack.at(-1)
        if (!top) return done
        if (top.node.kind === 'array') {
          top.node.items.push(done)
          this.afterItem(top)
        } else {
          top.node.members.push({...top.key!, value: done})
          this.afterMember(top)
        }
      }
      const top = stack.at(-1)!
      done = top.node.kind === 'array' ? this.nextItem(top, stack) : this.nextMember(top as ObjectFrame, stack)
    }
  }

  /** Starts a value: a scalar is returned whole; an object or array is pushed and null returned. */
  private open(context: Context, after: Context, stack: Frame[]): JsonNode | null {
    this.skipSpace(context)
    const c = this.peek()
    if (c === undefined) this.eof()
    if (c === '{' || c === '[') {
      // encoding/json's scanner keeps at most maxNestingDepth (10000) open containers.
      if (stack.length >= MAX_DEPTH) {
        this.record(this.pos, `nested more than ${MAX_DEPTH} levels deep`, `invalid character ${goQuote(c)} exceeded max depth`, 'flatten the value; dockerd reads only a few levels')
        throw new Stop()
      }
      const start = this.pos++
      stack.push(c === '{' ? {node: {kind: 'object', start, end: start, members: []}, comma: -1} : {node: {kind: 'array', start, end: start, items: []}, comma: -1})
      return null
    }
    if (c === '"') return this.string('"')
    if (c === "'") {
      this.error(this.pos, 'strings must be in double quotes', context, HINT.quotes)
      return this.string("'")
    }
    if (c === '-' || c === '+' || c === '.' || isDigit(c)) return this.number(context, after)
    if (isWordChar(c)) return this.word(context, after)
    this.fail(this.pos, 'unexpected character', context)
  }

  /** Closes the innermost container at the current position. */
  private close(stack: Frame[]): JsonNode {
    const top = stack.pop()!
    this.pos++
    top.node.end = this.pos
    return top.node
  }

  /** Inside an object: the next key and its value's start, or the closing brace. */
  private nextMember(top: ObjectFrame, stack: Frame[]): JsonNode | null {
    this.skipSpace('looking for beginning of object key string')
    const c = this.peek()
    if (c === undefined) this.eof()
    if (c === '}') {
      if (top.comma >= 0) this.trailingComma(top.comma, '}', 'looking for beginning of object key string')
      return this.close(stack)
    }
    const keyStart = this.pos
    let key: string
    if (c === '"' || c === "'") {
      if (c === "'") this.error(this.pos, 'keys must be in double quotes', 'looking for beginning of object key string', HINT.quotes)
      key = this.string(c).value
    } else if (isWordChar(c) || c === '-') {
      this.error(this.pos, 'keys must be in double quotes', 'looking for beginning of object key string', HINT.unquotedKey)
      while (this.pos < this.end && (isWordChar(this.text[this.pos]!) || /[-.]/.test(this.text[this.pos]!))) this.pos++
      key = this.text.slice(keyStart, this.pos)
    } else {
      this.fail(this.pos, 'expected a key in double quotes', 'looking for beginning of object key string')
    }
    const keyEnd = this.pos
    this.skipSpace('after object key')
    if (this.peek() === ':') this.pos++
    else if (this.startsValue()) this.error(this.pos, 'missing colon after the key', 'after object key', HINT.colon)
    else if (this.peek() === undefined) this.eof()
    else this.fail(this.pos, 'expected a colon after the key', 'after object key')
    top.key = {key, keyStart, keyEnd}
    return this.open('looking for beginning of value', 'after object key:value pair', stack)
  }

  private afterMember(top: Frame): void {
    this.skipSpace('after object key:value pair')
    const next = this.peek()
    top.comma = -1
    if (next === ',') top.comma = this.pos++
    else if (next === '}') return
    else if (next === undefined) this.eof()
    else if (next === '"' || next === "'" || isWordChar(next)) this.error(this.pos, 'missing comma between two entries', 'after object key:value pair', HINT.comma)
    else this.fail(this.pos, 'expected , or } after the value', 'after object key:value pair')
  }

  /** Inside an array: the next element's start, or the closing bracket. */
  private nextItem(top: Frame, stack: Frame[]): JsonNode | null {
    this.skipSpace('looking for beginning of value')
    const c = this.peek()
    if (c === undefined) this.eof()
    if (c === ']') {
      if (top.comma >= 0) this.trailingComma(top.comma, ']', 'looking for beginning of value')
      return this.close(stack)
    }
    return this.open('looking for beginning of value', 'after array element', stack)
  }

  private afterItem(top: Frame): void {
    this.skipSpace('after array element')
    const next = this.peek()
    top.comma = -1
    if (next === ',') top.comma = this.pos++
    else if (next === ']') return
    else if (next === undefined) this.eof()
    else if (this.startsValue()) this.error(this.pos, 'missing comma between two list entries', 'after array element', HINT.comma)
    else this.fail(this.pos, 'expected , or ] after the list entry', 'after array element')
  }

  private trailingComma(comma: number, close: string, context: Context): void {
    this.record(comma, `trailing comma before ${close}`, `invalid character ${goQuote(close)} ${context}`, HINT.trailingComma)
  }
}

function closer(node: JsonNode): string {
  return node.kind === 'object' ? '}' : node.kind === 'array' ? ']' : 'value'
}
