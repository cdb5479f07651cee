// plan/apply --spec on this machine's files (--root): exit codes, the confirmation rule
// and spec errors, through the built CLI.
import {readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {afterAll, expect, test} from 'vitest'
import {cli} from '../helpers/cli.js'
import {copyStart} from '../unit/fleet/check-tree.js'

const SPEC = path.resolve(import.meta.dirname, '../../fixtures/fleet/fleet-spec.toml')
const root = copyStart('stale-v2')
afterAll(() => rmSync(root, {recursive: true, force: true}))

test('plan --detailed-exitcode says 2 while changes are pending and 0 once applied; apply without --yes and no terminal exits 2', async () => {
  const original = readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')
  const pending = await cli(['plan', '--spec', SPEC, '--root', root, '--detailed-exitcode'])
  expect(pending.exitCode, pending.stderr).toBe(2)
  expect(pending.stdout).toContain('-location = "old-cache.corp.example:5000"')
  const refused = await cli(['apply', '--spec', SPEC, '--root', root])
  expect(refused.exitCode).toBe(2)
  expect(refused.stderr).toContain('--yes')
  expect(readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')).toBe(original)
  const applied = await cli(['apply', '--spec', SPEC, '--root', root, '--yes', '--json'])
  expect(applied.exitCode, applied.stderr).toBe(0)
  expect(JSON.parse(applied.stdout).hosts).toMatchObject([{host: `--root ${root}`, status: 'changed', reason: null}])
  const converged = await cli(['plan', '--spec', SPEC, '--root', root, '--detailed-exitcode', '--json'])
  expect(converged.exitCode).toBe(0)
  expect(JSON.parse(converged.stdout).summary).toEqual({changed: 0, unchanged: 1, failed: 0, 'rolled-back': 0})
})

test('a bad spec is exit 2 with file:line:column, rule and hint, before anything is read', async () => {
  const r = await cli(['plan', '--spec', path.resolve(import.meta.dirname, '../../fixtures/fleet/bad-spec.toml'), '--root', root, '--json'])
  expect(r.exitCode).toBe(2)
  expect(JSON.parse(r.stdout).error).toMatchObject({line: 4, column: 1, rule: 'spec/unknown-key', hint: 'did you mean "mirrors"?'})
})
