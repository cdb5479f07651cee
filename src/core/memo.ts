/**
 * Answers of pure functions of a string, kept for the run. A fleet plans the same texts and
 * values on every host, so the same checks run again and again with the same input. Only
 * immutable answers are kept (the type allows primitives only): a caller cannot change what
 * another caller gets, so sharing is safe by construction. A throw is not kept (it is thrown
 * again next time). The map is emptied when it reaches `limit`, which bounds the memory.
 */
export type Immutable = string | number | boolean | null

export function memoByString<T extends Immutable>(fn: (key: string) => T, limit = 4096): (key: string) => T {
  const known = new Map<string, T>()
  return (key) => {
    const hit = known.get(key)
    if (hit !== undefined || known.has(key)) return hit as T
    const value = fn(key)
    if (known.size >= limit) known.clear()
    known.set(key, value)
    return value
  }
}
