#!/usr/bin/env node
// Bundles the compiled CLI (dist/, from tsc) into one file, dist/mirrorctl.cjs: @oclif/core, every
// command and every dependency they import. Start-up then reads one file instead of resolving a
// few hundred modules, which was most of a short command's run time. CommonJS, because only a
// CommonJS script can use V8's code cache on Node 20 (bin/load-bundle.js, scripts/code-cache.js).
// oclif finds the commands through package.json oclif.commands {strategy: "explicit"}: the
// bundle exports COMMANDS (id -> class), generated here from dist/commands/** so that a new
// command file needs no registration, and the hooks under dist/hooks/ (each exported under
// its file name in camelCase, e.g. commandNotFound).
import {readdirSync, existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {analyzeMetafile, build} from 'esbuild'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const dist = path.join(root, 'dist')

/** Relative paths of the .js files under dir, sorted so the bundle is reproducible. */
function jsFiles(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
}

/** oclif's command id for a file under commands/: folders joined by ':', an index file names its folder. */
function commandId(file) {
  const parts = file.replace(/\.js$/, '').split('/')
  if (parts.at(-1) === 'index') parts.pop()
  return parts.join(':')
}

const camel = (name) => name.replace(/\.js$/, '').replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase())

const commands = jsFiles(path.join(dist, 'commands'))
const hooks = jsFiles(path.join(dist, 'hooks')).filter((f) => !f.includes('/'))
// Each command is a getter that require()s its module: esbuild then wraps the module so that it
// (and the Node built-ins it imports) is evaluated only when oclif asks for that command, so one
// command's start-up does not pay for the others. `oclif manifest` reads them all.
const entry = [
  "export {execute} from '@oclif/core'",
  `export const COMMANDS = {${commands.map((f) => `get ${JSON.stringify(commandId(f))}() { return require('./commands/${f}').default }`).join(', ')}}`,
  ...hooks.map((f) => `export {default as ${camel(f)}} from './hooks/${f}'`),
].join('\n')

const result = await build({
  stdin: {contents: entry, resolveDir: dist, sourcefile: 'mirrorctl-entry.js', loader: 'js'},
  outfile: path.join(dist, 'mirrorctl.cjs'),
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build whose require() calls esbuild cannot follow; its ES build can.
  mainFields: ['module', 'main'],
  // oclif loads typescript (and ts-node) only to run a CLI from its .ts sources in development.
  external: ['typescript', 'ts-node'],
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: process.argv.includes('--analyze'),
})
// `node scripts/bundle.js --analyze` shows what takes the room, by package.
if (result.metafile) console.log(await analyzeMetafile(result.metafile))

// bin/load-bundle.js compiles the bundle with vm.Script (for the code cache), and Node 20 gives
// such a script no import() without --experimental-vm-modules. oclif imports plugins and a few
// files with import(): those calls go through a function the loader provides (a real import()
// in an ES module), or the same import() when something require()s the bundle directly.
const dynamicImport = /(?<![\w$.'"`])import\((?!\))/g
const [output] = result.outputFiles
const code = output.text.replace(dynamicImport, '__mirrorctlImport(')
const banner = "var __mirrorctlImport=globalThis[Symbol.for('mirrorctl.import')]??(s=>import(s));\n"
writeFileSync(output.path, banner + code)
