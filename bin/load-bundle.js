// Loads dist/mirrorctl.cjs (the bundle of oclif and every command, see scripts/bundle.js) with
// V8's code cache: `npm run build` stores the compiled code beside the bundle, so a start
// skips most of the parsing and compiling that would otherwise dominate a short command.
// Node 22 has module.enableCompileCache for this; Node 20 only offers vm.Script cachedData,
// so the bundle is CommonJS and goes into require.cache under its own path: oclif's
// require() of the same file (package.json oclif.commands) then returns this instance.
import {readFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

export const bundlePath = fileURLToPath(new URL('../dist/mirrorctl.cjs', import.meta.url))
export const codeCachePath = bundlePath + '.cache'

/** Loads the bundle once; returns its exports and the vm.Script (to make a new code cache from). */
export function loadBundle() {
  const cached = Module._cache[bundlePath]
  if (cached) return {exports: cached.exports, script: null, cacheRejected: false}
  const source = readFileSync(bundlePath, 'utf8')
  let cachedData
  try {
    cachedData = readFileSync(codeCachePath)
  } catch {
    // No cache (not built yet, or removed): V8 compiles as usual.
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: bundlePath,
    cachedData,
  })
  // The bundle's import() calls come here (scripts/bundle.js): a vm.Script has none of its own.
  globalThis[Symbol.for('mirrorctl.import')] ??= (specifier) => import(specifier)
  const module = new Module(bundlePath, null)
  module.filename = bundlePath
  module.paths = Module._nodeModulePaths(path.dirname(bundlePath))
  Module._cache[bundlePath] = module
  script.runInThisContext()(module.exports, createRequire(bundlePath), module, bundlePath, path.dirname(bundlePath))
  module.loaded = true
  // A cache from another Node or V8 version is rejected; V8 then compiles from source.
  return {exports: module.exports, script, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true}
}
