import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {batchArgv} from '../../../src/hosts/ssh-target.js'

const dir = mkdtempSync(path.join(tmpdir(), 'mirrorctl-batch-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('batchArgv: one sh runs a program once per argv (how a run ends its ssh masters)', () => {
  it('passes every argv intact, shell syntax and all, and waits for every run', () => {
    // The "program" records its arguments (NUL-separated) in the file its first argument names.
    const recorder = path.join(dir, 'record')
    writeFileSync(recorder, '#!/bin/sh\nout=$1\nshift\nsleep 0.2\nprintf "%s\\0" "$@" > "$out"\n', {mode: 0o755})
    const argvs = [
      [path.join(dir, 'a'), '-O', 'exit', '--', 'h1'],
      [path.join(dir, 'b'), '$(touch pwned)', '`id`', 'two words', '"quoted"', "it's", '*', ''],
      [path.join(dir, 'c'), ...Array.from({length: 12}, (_, i) => `arg${i + 1}`)],
    ]
    execFileSync('/bin/sh', batchArgv(recorder, argvs), {cwd: dir})
    for (const argv of argvs) {
      const got = readFileSync(argv[0]!, 'utf8').split('\0').slice(0, -1)
      expect(got).toEqual(argv.slice(1))
    }
    expect(() => readFileSync(path.join(dir, 'pwned'))).toThrow()
  })

  it('does nothing for no argv', () => {
    expect(execFileSync('/bin/sh', batchArgv('/nonexistent', []), {encoding: 'utf8'})).toBe('')
  })
})
