/**
 * Deterministic input mutation for the parser fuzz tests: a seeded PRNG (mulberry32) and
 * cheap edits (delete, insert a token, duplicate, flip a character), plus generated seeds with
 * huge strings, deep nesting and long lists.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../../../src/core/errors.js'
import type {Finding} from '../../../src/lint/finding.js'

export type Rng = () => number

export function rng(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const int = (r: Rng, n: number) => Math.floor(r() * n)
export const pick = <T>(r: Rng, list: readonly T[]): T => list[int(r, list.length)]!

/** Every file under a fixtures folder (recursively) whose name ends with `ext`. */
export function fixtureTexts(dir: string, ext: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...fixtureTexts(p, ext))
    else if (name.endsWith(ext)) out.push(readFileSync(p, 'utf8'))
  }
  return out
}

/** Applies 1 to `most` random edits; `tokens` are format-specific fragments worth inserting. */
export function mutate(r: Rng, text: string, tokens: readonly string[], most = 4): string {
  let s = text
  for (let k = 1 + int(r, most); k > 0; k--) {
    const at = int(r, s.length + 1)
    switch (int(r, 6)) {
      case 0: // delete a short range
        s = s.slice(0, at) + s.slice(at + 1 + int(r, 12))
        break
      case 1:
      case 2: // insert a token
        s = s.slice(0, at) + pick(r, tokens) + s.slice(at)
        break
      case 3: {
        // duplicate a slice somewhere else
        const from = int(r, s.length + 1)
        const piece = s.slice(from, from + int(r, 80))
        s = s.slice(0, at) + piece + s.slice(at)
        break
      }
      case 4: // replace one character by an odd one
        s = s.slice(0, at) + pick(r, ODD) + s.slice(at + 1)
        break
      default: // cut the file short
        s = s.slice(0, at)
    }
  }
  return s
}

const ODD = ['\u0000', '\u0001', '\t', '\r', '\n', '\u007f', '\u00a0', '\ufeff', '\u2028', '\ud800', '😀', 'é', '\\', '"', "'", '#', '=', ',', ' ']

/** Errors per rule: an edit may keep a file's errors but must not add any. */
export function errorCounts(findings: readonly Finding[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const f of findings) if (f.severity === 'error') out.set(f.rule, (out.get(f.rule) ?? 0) + 1)
  return out
}

/** A UserError is a refusal; anything else is a crash, reported with the input that caused it. */
export function rethrowUnlessUserError(error: unknown, input: string): void {
  if (error instanceof UserError) return
  throw new Error(`non-UserError ${String(error)} for input ${JSON.stringify(input.slice(0, 300))}`, {cause: error})
}

/**
 * `count` inputs: small edits to real files, and one in a hundred a generated monster (huge
 * string, deep nesting, long list), mutated too. `r` is also handed to the caller's choices.
 */
export function* fuzzInputs(r: Rng, fixtures: readonly string[], monsters: readonly string[], tokens: readonly string[], count: number, most = 4): Generator<string> {
  for (let k = 0; k < count; k++) yield mutate(r, int(r, 100) === 0 ? pick(r, monsters) : pick(r, fixtures), tokens, most)
}
