import {describe, it, expect} from 'vitest'
import {lintLoaded} from '../../../../src/formats/registries-conf/lint.js'
import {loadFile, reportLocationConflicts} from '../../../../src/formats/registries-conf/load.js'
import {mergeConfigs} from '../../../../src/formats/registries-conf/merge.js'
import type {FileConfig, RegistryTable} from '../../../../src/formats/registries-conf/model.js'
import {parseRegistriesConf} from '../../../../src/formats/registries-conf/parse.js'

/**
 * Not timed: the checks over [[registry]] tables are counted by the property reads they make on
 * the tables. Linear work reads about 4x as much for 4x the tables; the former pairwise
 * comparisons read 16x as much.
 */
function counted(n: number, text: (i: number) => string): {reads: () => number} {
  const doc = parseRegistriesConf(Array.from({length: n}, (_, i) => text(i)).join(''), '/etc/containers/registries.conf')
  let reads = 0
  const wrap = (r: RegistryTable): RegistryTable =>
    new Proxy(r, {
      get(target, key, receiver) {
        reads++
        return Reflect.get(target, key, receiver)
      },
    })
  const result = loadFile(doc, {dropIn: false})
  const config = result.config!
  const wrapped: FileConfig = {...config, registries: config.registries.map(wrap)}
  return {
    reads: () => {
      reads = 0
      reportLocationConflicts(wrapped.registries, () => {})
      lintLoaded([{doc, config: wrapped}])
      mergeConfigs([wrapped])
      return reads
    },
  }
}

const growth = (text: (i: number) => string) => counted(1200, text).reads() / counted(300, text).reads()

describe('work over N [[registry]] tables grows linearly', () => {
  it('N tables with one prefix and one location (duplicates, conflicts)', () => {
    const g = growth((i) => `[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\ninsecure = ${i % 2 === 0}\n[[registry.mirror]]\nlocation = "m${i}.example.com"\n`)
    expect(g).toBeGreaterThan(3.5)
    expect(g).toBeLessThan(4.5)
  })
  it('N tables with distinct, nested prefixes (shadowing)', () => {
    // Every tenth table has mirrors; the nine after it are narrower prefixes below it, without mirrors.
    const g = growth((i) =>
      i % 10 === 0
        ? `[[registry]]\nprefix = "docker.io/team${i}"\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "m${i}.example.com"\n`
        : `[[registry]]\nprefix = "docker.io/team${i - (i % 10)}/app${i}"\nlocation = "docker.io"\n`,
    )
    expect(g).toBeGreaterThan(3.5)
    expect(g).toBeLessThan(4.5)
  })
  it('the conflict check still finds every table that disagrees with an earlier one of its location', () => {
    const failed: string[] = []
    const t = (insecure: boolean, proxy: string, index: number) => ({prefix: `a.io/${index}`, location: 'a.io', insecure, proxy, blocked: false, path: ['registry', index]}) as unknown as RegistryTable
    reportLocationConflicts([t(false, '', 0), t(false, '', 1), t(true, '', 2), t(false, 'http://p:1', 3), t(false, '', 4)], (rule, path) => failed.push(`${rule.id}@${String(path[1])}`))
    expect(failed).toEqual([
      'registries-conf/conflicting-insecure@2',
      'registries-conf/conflicting-insecure@3',
      'registries-conf/conflicting-proxy@3',
      'registries-conf/conflicting-insecure@4',
      'registries-conf/conflicting-proxy@4',
    ])
  })
})
