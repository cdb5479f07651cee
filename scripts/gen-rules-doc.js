#!/usr/bin/env node
// Writes docs/rules.md from the compiled rule catalog (run `npm run build` first).
// With --check it writes nothing and exits 1 when docs/rules.md is out of date.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'docs', 'rules.md')

let catalog, doc
try {
  catalog = await import('../dist/lint/catalog.js')
  doc = await import('../dist/lint/rules-doc.js')
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error
  console.error('gen-rules-doc: dist/ is missing or stale; run `npm run build` first')
  process.exit(2)
}

const markdown = doc.renderRulesMarkdown(catalog.allRules())

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {}
  if (current !== markdown) {
    console.error('docs/rules.md is out of date; run `npm run build && npm run docs:rules`')
    process.exit(1)
  }
} else {
  mkdirSync(dirname(target), {recursive: true})
  writeFileSync(target, markdown)
  console.log(`wrote ${target} (${catalog.allRules().length} rules)`)
}
