#!/usr/bin/env node
// Entry point. Start-up is most of a short command's run time, so:
// - `--version` answers from package.json without loading oclif at all;
// - everything else loads one bundle of oclif and the commands, with V8's code cache (load-bundle.js);
// - the help and autocomplete plugins are loaded only when the command line may need them:
//   not when it names one of mirrorctl's own commands.
import {readFileSync} from 'node:fs'
import {arch, release} from 'node:os'
import {fileURLToPath} from 'node:url'
import {nodeTooOld} from './node-version.js'

const argv = process.argv.slice(2)
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

/** oclif prints "wsl" as the platform there; leave that case to oclif. */
function maybeWsl() {
  if (process.platform !== 'linux') return false
  if (release().toLowerCase().includes('microsoft')) return true
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')
  } catch {
    return false
  }
}

/** True when the words before the first flag name one of the bundle's commands ("mirror add" or "mirror:add"). */
function namesOwnCommand(commands, args) {
  const words = []
  for (const arg of args) {
    if (arg.startsWith('-')) break
    words.push(...arg.split(':'))
  }
  for (let n = words.length; n > 0; n--) if (Object.hasOwn(commands, words.slice(0, n).join(':'))) return true
  return false
}

if (argv[0] === '--version' && !maybeWsl()) {
  // The same line as oclif's config.userAgent.
  const cpu = arch() === 'ia32' ? 'x86' : arch()
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${cpu} node-${process.version}\n`)
} else {
  // oclif checks the Node version against package.json's engines when it loads, with all of
  // semver (~15 ms of every start-up); a ">=X.Y" range is checked here instead, with the same
  // warning.
  const skipOclifCheck = !process.env.OCLIF_DISABLE_ENGINE_WARNING && nodeTooOld(pjson.engines?.node) !== null
  if (skipOclifCheck) {
    if (nodeTooOld(pjson.engines.node)) process.emitWarning(`Node version must be ${pjson.engines.node} to use this CLI. Current node version: ${process.versions.node}`)
    process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  }
  const {loadBundle} = await import('./load-bundle.js')
  const cli = loadBundle().exports
  // Reading `execute` loads oclif (its check runs then), before the variable goes again.
  const {execute} = cli
  if (skipOclifCheck) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  if (namesOwnCommand(cli.COMMANDS, argv)) pjson.oclif = {...pjson.oclif, plugins: []}
  // mirrorctl has no `plugins` command, so there are no user-installed plugins to look for.
  await execute({loadOptions: {root: fileURLToPath(new URL('..', import.meta.url)), pjson, userPlugins: false}})
}
