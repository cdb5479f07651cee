import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {allRules} from '../../../src/lint/catalog.js'
import {defineRules, type RuleMeta} from '../../../src/lint/rule.js'
import {renderRulesMarkdown} from '../../../src/lint/rules-doc.js'

const docPath = fileURLToPath(new URL('../../../docs/rules.md', import.meta.url))

describe('docs/rules.md', () => {
  it('is generated from the current rule catalog', () => {
    let current = ''
    try {
      current = readFileSync(docPath, 'utf8')
    } catch {}
    // On failure: npm run build && npm run docs:rules
    expect(current, 'docs/rules.md is out of date: run `npm run build && npm run docs:rules`').toBe(
      renderRulesMarkdown(allRules()),
    )
  })

  it('documents every rule id exactly once', () => {
    const ids = allRules().map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    const doc = renderRulesMarkdown(allRules())
    for (const id of ids) expect(doc.split(`| \`${id}\` |`)).toHaveLength(2)
  })
})

describe('renderRulesMarkdown', () => {
  const rules: RuleMeta[] = [
    ...Object.values(
      defineRules('registries-conf', {
        'a-rule': {
          severity: 'error',
          description: 'V1 tables ([registries.search|insecure]) and a *.example.com <host>.',
          hint: 'write `location = "x"`',
          source: 'https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md',
        },
      }),
    ),
    ...Object.values(
      defineRules('daemon-json', {
        'b-rule': {severity: 'warning', description: 'Two\nlines.', hint: 'h', source: 'https://docs.docker.com/reference/cli/dockerd/'},
        'c-rule': {severity: 'info', description: 'd', hint: 'h'},
      }),
    ),
  ]
  const md = renderRulesMarkdown(rules)

  it('has one table per format, in catalog order', () => {
    expect(md.indexOf('## containers-registries.conf')).toBeGreaterThan(0)
    expect(md.indexOf('## Docker daemon.json')).toBeGreaterThan(md.indexOf('## containers-registries.conf'))
    expect(md.match(/^\| Rule \| Severity \| Description \| Hint \| Source \|$/gm)).toHaveLength(2)
    expect(md.endsWith('|\n')).toBe(true)
  })

  it('escapes what Markdown or the table would swallow', () => {
    expect(md).toContain(
      '| `registries-conf/a-rule` | error | V1 tables (\\[registries.search\\|insecure\\]) and a \\*.example.com \\<host\\>. | write \\`location = "x"\\` | [containers-registries.conf.5.md](https://github.com/containers/image/blob/main/docs/containers-registries.conf.5.md) |',
    )
    expect(md).toContain('| `daemon-json/b-rule` | warning | Two lines. | h | [docs.docker.com/reference/cli/dockerd](https://docs.docker.com/reference/cli/dockerd/) |')
    expect(md).toContain('| `daemon-json/c-rule` | info | d | h |  |')
  })
})
