import {describe, expect, it} from 'vitest'
import {formatWindow, parseRateLimitHeaders, parseRateLimitValue, parseRetryAfter, redact} from '../../../src/net/ratelimit.js'

describe('parseRateLimitValue', () => {
  it('reads <count>;w=<seconds>', () => {
    expect(parseRateLimitValue('100;w=21600')).toEqual({count: 100, windowSeconds: 21600})
    expect(parseRateLimitValue(' 76 ; w = 21600 ')).toEqual({count: 76, windowSeconds: 21600})
    expect(parseRateLimitValue('0;w=21600')).toEqual({count: 0, windowSeconds: 21600})
    expect(parseRateLimitValue('200')).toEqual({count: 200, windowSeconds: null})
  })

  it('takes the first of repeated values and rejects garbage', () => {
    expect(parseRateLimitValue('100;w=21600, 100;w=21600')).toEqual({count: 100, windowSeconds: 21600})
    expect(parseRateLimitValue('')).toBeNull()
    expect(parseRateLimitValue('lots')).toBeNull()
    expect(parseRateLimitValue('-1;w=5')).toBeNull()
    expect(parseRateLimitValue(undefined)).toBeNull()
  })
})

describe('parseRateLimitHeaders', () => {
  it('reads the Docker Hub headers, names case-insensitive', () => {
    expect(
      parseRateLimitHeaders({
        'RateLimit-Limit': '100;w=21600',
        'ratelimit-remaining': '76;w=21600',
        'Docker-RateLimit-Source': '203.0.113.7',
      }),
    ).toEqual({limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.7', limited: true})
  })

  it('no headers: not limited', () => {
    expect(parseRateLimitHeaders({'content-type': 'application/json'})).toEqual({limit: null, remaining: null, windowSeconds: null, source: null, limited: false})
  })

  it('only remaining still counts as limited, its window used', () => {
    expect(parseRateLimitHeaders({'ratelimit-remaining': ['3;w=3600']})).toMatchObject({remaining: 3, windowSeconds: 3600, limited: true, limit: null})
  })
})

describe('parseRetryAfter', () => {
  const now = new Date('2025-04-01T12:00:00Z')
  it('delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120)
    expect(parseRetryAfter('Tue, 01 Apr 2025 12:01:30 GMT', now)).toBe(90)
    expect(parseRetryAfter('Tue, 01 Apr 2025 11:00:00 GMT', now)).toBe(0)
  })
  it('absent or invalid: null', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull()
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter('-5', now)).toBeNull()
    expect(parseRetryAfter('2025-04-01', now)).toBeNull()
  })
})

describe('helpers', () => {
  it('formatWindow', () => {
    expect(formatWindow(21600)).toBe('6 h')
    expect(formatWindow(3600)).toBe('1 h')
    expect(formatWindow(86400)).toBe('1 d')
    expect(formatWindow(120)).toBe('2 min')
    expect(formatWindow(90)).toBe('90 s')
  })
  it('redact hides every secret', () => {
    expect(redact('user pw123 and tok.en.xyz, pw123', ['pw123', 'tok.en.xyz'])).toBe('user *** and ***, ***')
  })
})
