import {expect, test} from 'vitest'
import {closest} from '../../../src/core/did-you-mean.js'

const OPTIONS = ['registry-mirrors', 'insecure-registries', 'data-root', 'log-opts', 'labels', 'dns', 'dns-search']

test.each([
  ['Registry_Mirrors', 'registry-mirrors'], // case and _ for -
  ['regsitry-mirrors', 'registry-mirrors'], // a transposition is one edit
  ['registy-mirrors', 'registry-mirrors'], // a deletion
  ['insecure-registires', 'insecure-registries'],
  ['dataroot', 'data-root'],
  ['labls', 'labels'], // 5 characters allow one edit
  ['dns-serch', 'dns-search'],
])('%s → %s', (typo, meant) => {
  expect(closest(typo, OPTIONS)).toBe(meant)
})

test.each([
  ['dn', null], // 3 characters or fewer: exact (normalised) matches only
  ['lbls', null], // two edits are too many for a short name
  ['something-else-entirely', null],
])('%s → no guess', (typo, meant) => {
  expect(closest(typo, OPTIONS)).toBe(meant)
})

test('thousands of lookups against many candidates stay cheap and exact', () => {
  const candidates = Array.from({length: 200}, (_, i) => `option-name-${i}`)
  for (let i = 0; i < 5_000; i++) expect(closest(`option-name-${i % 200}x`, candidates)).toBe(`option-name-${i % 200}`)
})
