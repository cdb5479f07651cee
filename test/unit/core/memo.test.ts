import {describe, expect, it} from 'vitest'
import {memoByString} from '../../../src/core/memo.js'

describe('memoByString', () => {
  it('computes each key once, null and false answers included', () => {
    const calls: string[] = []
    const f = memoByString((k) => {
      calls.push(k)
      return k === 'n' ? null : k === 'f' ? false : k.length
    })
    expect([f('abc'), f('n'), f('f'), f('abc'), f('n'), f('f')]).toEqual([3, null, false, 3, null, false])
    expect(calls).toEqual(['abc', 'n', 'f'])
  })

  it('does not keep a throw: the next call runs the function again', () => {
    let n = 0
    const f = memoByString((k) => {
      n++
      if (n === 1) throw new Error('first')
      return k
    })
    expect(() => f('a')).toThrow('first')
    expect(f('a')).toBe('a')
    expect(n).toBe(2)
  })

  it('starts over when the limit is reached, answering the same', () => {
    let n = 0
    const f = memoByString((k) => {
      n++
      return k.toUpperCase()
    }, 2)
    expect([f('a'), f('b'), f('c'), f('a')]).toEqual(['A', 'B', 'C', 'A'])
    expect(n).toBe(4)
  })
})
