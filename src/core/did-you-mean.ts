/**
 * The candidate a mistyped name most likely meant: the same name ignoring case and `_` vs `-`,
 * or one within a small edit distance (longer names allow more edits). null when none is close.
 */
export function closest(name: string, candidates: readonly string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[_\s.]/g, '-')
  const n = norm(name)
  const exact = candidates.find((c) => norm(c) === n)
  if (exact) return exact
  const limit = n.length <= 3 ? 0 : n.length <= 5 ? 1 : n.length <= 10 ? 2 : 3
  let best: string | null = null
  let bestDistance = limit + 1
  for (const c of candidates) {
    const m = norm(c)
    // The distance is at least the length difference: skip without the quadratic table.
    if (Math.abs(m.length - n.length) >= bestDistance) continue
    const d = editDistance(n, m)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/** Levenshtein distance with adjacent transpositions counted as one edit (three rolling rows). */
export function editDistance(a: string, b: string): number {
  let before = new Int32Array(b.length + 1)
  let prev = Int32Array.from({length: b.length + 1}, (_, j) => j)
  let row = new Int32Array(b.length + 1)
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1)
      row[j] = v
    }
    ;[before, prev, row] = [prev, row, before]
  }
  return prev[b.length]!
}
