import {describe, expect, it} from 'vitest'
import {parseContainersConf} from '../../../src/engines/proxy/engine-env.js'

describe('parseContainersConf keeps recent results (one parse per distinct text in a fleet run)', () => {
  it('gives the same frozen result for the same text, and a fresh one for another text', () => {
    const text = '# comment\n[engine]\nenv = ["NO_PROXY=.corp"]\n'
    const a = parseContainersConf(text)
    const b = parseContainersConf(`${text}`)
    expect(b).toBe(a)
    expect(a).toEqual({value: {engine: {env: ['NO_PROXY=.corp']}}})
    expect(Object.isFrozen(a)).toBe(true)
    expect(() => {
      ;((a as {value: {engine: {env: string[]}}}).value.engine.env as string[]).push('x')
    }).toThrow(TypeError)
    const other = parseContainersConf('[engine]\nenv = ["HTTP_PROXY=http://p:3128"]\n')
    expect(other).toEqual({value: {engine: {env: ['HTTP_PROXY=http://p:3128']}}})
  })

  it('remembers errors too, with their line', () => {
    const bad = '[engine]\nenv = [\n'
    const a = parseContainersConf(bad)
    expect(a).toMatchObject({line: expect.any(Number)})
    expect(parseContainersConf(bad)).toBe(a)
  })
})
