import {readFileSync} from 'node:fs'
import {expect, test} from 'vitest'
import {daemonJson} from '../../../../src/formats/daemon-json/index.js'

const lint = (name: string) => {
  const text = readFileSync(new URL(`../../../../fixtures/daemon-json/${name}`, import.meta.url), 'utf8')
  return daemonJson.lint(daemonJson.parse(text, name), {dockerVersion: '28.5.1'}).map((f) => `${f.line}:${f.column} ${f.rule}`)
}

test.each(['pretty-log-opts.json', 'compact.json', 'tabs.json', 'four-spaces-crlf.json'])('%s is clean', (name) => {
  expect(lint(name)).toEqual([])
})

test('typo-key.json: a misspelt key and a flag name', () => {
  expect(lint('typo-key.json')).toEqual(['2:3 daemon-json/unknown-key', '3:3 daemon-json/ignored-key'])
})

test('commented.json: the comment and the trailing comma dockerd rejects', () => {
  expect(lint('commented.json')).toEqual(['2:3 daemon-json/json-syntax', '4:33 daemon-json/json-syntax'])
})

test('broken-unclosed.json: ends too early', () => {
  expect(lint('broken-unclosed.json')).toEqual(['5:28 daemon-json/json-syntax'])
})
