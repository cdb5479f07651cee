#!/usr/bin/env node
// Build step after scripts/bundle.js: runs a few short commands in this process, so V8 compiles
// the functions a start needs, then stores the compiled code beside the bundle
// (dist/mirrorctl.cjs.cache) for bin/load-bundle.js. Produced by the Node that builds: another
// Node version rejects it harmlessly and compiles from source.
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {codeCachePath, loadBundle} from '../bin/load-bundle.js'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const {exports: cli, script} = loadBundle()
const runs = [
  ['lint', path.join(root, 'fixtures/registries-conf/fedora-default.conf')],
  ['lint', '--json', path.join(root, 'fixtures/registries-conf/fedora-default.conf')],
]
const write = process.stdout.write
process.stdout.write = () => true // the commands' output is not wanted here
try {
  for (const argv of runs) await cli.execute({args: argv, dir: path.join(root, 'bin/run.js')})
} finally {
  process.stdout.write = write
  process.exitCode = 0
}
writeFileSync(codeCachePath, script.createCachedData())
console.log(`wrote ${path.relative(root, codeCachePath)}`)
