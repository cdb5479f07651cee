// The built CLI as shipped: one bundle of oclif and the commands (dist/mirrorctl.cjs), its V8 code
// cache, `--version` answered without oclif, and the help/autocomplete plugins loaded only when
// needed. Everything oclif offers must still work from there; unknown commands get a suggestion.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {cli, REPO, tempDir} from '../helpers/cli.js'

const pjson = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'))
const manifest = JSON.parse(readFileSync(path.join(REPO, 'oclif.manifest.json'), 'utf8'))
const ownIds = Object.keys(manifest.commands).sort()

/** Command ids from the files under src/commands, as oclif names them (mirror/add.ts -> mirror:add). */
function sourceCommandIds(): string[] {
  const dir = path.join(REPO, 'src/commands')
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).replace(/\.ts$/, '').split(path.sep))
    .map((parts) => (parts.at(-1) === 'index' ? parts.slice(0, -1) : parts).join(':'))
    .sort()
}

const typed = (id: string) => id.split(':').join(' ')

describe('the manifest and the bundle', () => {
  it('list every command under src/commands, and the bundle exports the same commands', () => {
    expect(ownIds).toEqual(sourceCommandIds())
    const bundleIds = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const {loadBundle} = await import('./bin/load-bundle.js'); console.log(JSON.stringify(Object.keys(loadBundle().exports.COMMANDS).sort()))"],
      {cwd: REPO, encoding: 'utf8'},
    )
    expect(JSON.parse(bundleIds)).toEqual(ownIds)
  })

  it('has a code cache that this Node accepts', () => {
    expect(existsSync(path.join(REPO, 'dist/mirrorctl.cjs.cache'))).toBe(true)
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "const {loadBundle} = await import('./bin/load-bundle.js'); console.log(JSON.stringify({rejected: loadBundle().cacheRejected}))"],
      {cwd: REPO, encoding: 'utf8'},
    )
    expect(JSON.parse(out)).toEqual({rejected: false})
  })
})

describe('--version', () => {
  it("prints oclif's user agent line without loading oclif, the same line oclif's help prints", async () => {
    const r = await cli(['--version'])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    const line = `${pjson.name}/${pjson.version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}`
    expect(r.stdout).toBe(line) // the helper drops the final newline, as execa does
    const help = await cli(['--help'])
    expect(help.stdout).toContain(`VERSION\n  ${line}\n`)
  })

  it('does not load the bundle', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url); process.argv = [process.argv[0], 'bin/run.js', '--version']; await import('./bin/run.js'); process.stderr.write(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('mirrorctl.cjs'))))",
      ],
      {cwd: REPO, encoding: 'utf8'},
    )
    expect(r.stdout).toMatch(/^mirrorctl\//)
    expect(JSON.parse(r.stderr)).toEqual([])
  })
})

describe('help', () => {
  it('--help, no arguments and the help command list the topics and commands', async () => {
    for (const args of [['--help'], [], ['help']]) {
      const r = await cli(args)
      expect(r.exitCode, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/^TOPICS\n {2}mirror +Add, remove and list/m)
      expect(r.stdout).toMatch(/^ {2}proxy +Explain which proxy/m)
      expect(r.stdout).toMatch(/^COMMANDS\n/m)
      for (const id of ['lint', 'resolve', 'check', 'help', 'autocomplete']) expect(r.stdout).toMatch(new RegExp(`^ {2}${id} `, 'm'))
    }
  })

  it('topic help lists the topic commands, by name, --help and the help command', async () => {
    for (const args of [['mirror'], ['mirror', '--help'], ['help', 'mirror']]) {
      const r = await cli(args)
      expect(r.exitCode, args.join(' ')).toBe(0)
      for (const id of ['mirror add', 'mirror list', 'mirror remove']) expect(r.stdout).toContain(`  ${id} `)
    }
    const proxy = await cli(['proxy'])
    expect(proxy.stdout).toContain('  proxy explain ')
  })

  it("every command's --help prints its usage and flags", async () => {
    for (const id of ownIds) {
      const r = await cli([...typed(id).split(' '), '--help'])
      expect(r.exitCode, id).toBe(0)
      expect(r.stderr, id).toBe('')
      expect(r.stdout, id).toContain(`$ mirrorctl ${typed(id)}`)
      expect(r.stdout, id).toContain('--json')
      expect(r.stdout, id).toContain(manifest.commands[id].summary ?? manifest.commands[id].description.split('\n')[0])
    }
  })

  it('help COMMAND is the same text as COMMAND --help', async () => {
    const a = await cli(['help', 'lint'])
    const b = await cli(['lint', '--help'])
    expect(a.exitCode).toBe(0)
    expect(a.stdout).toBe(b.stdout)
  })
})

describe('autocomplete', () => {
  it('prints the setup, builds the completion functions with every command, and prints the script', async () => {
    const {dir, cleanup} = tempDir('autocomplete')
    try {
      const env = {HOME: dir, XDG_CACHE_HOME: path.join(dir, 'cache')}
      const setup = await cli(['autocomplete', 'bash'], {env})
      expect(setup.exitCode).toBe(0)
      expect(setup.stdout).toContain('mirrorctl autocomplete script bash')
      const functions = readFileSync(path.join(dir, 'cache/mirrorctl/autocomplete/functions/bash/mirrorctl.bash'), 'utf8')
      for (const id of ownIds) expect(functions).toContain(`\n${id} --json`)
      const zsh = readFileSync(path.join(dir, 'cache/mirrorctl/autocomplete/functions/zsh/_mirrorctl'), 'utf8')
      expect(zsh).toContain('lint')
      const script = await cli(['autocomplete', 'script', 'bash'], {env})
      expect(script.exitCode).toBe(0)
      expect(script.stdout).toContain(path.join(dir, 'cache/mirrorctl/autocomplete/bash_setup'))
    } finally {
      cleanup()
    }
  })
})

describe('unknown commands', () => {
  it('suggest the nearest command and exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['lnt'], 'lint'],
      [['mirror', 'ad'], 'mirror add'],
      [['mirror', 'lst'], 'mirror list'],
      [['reslove', 'nginx'], 'resolve'],
      [['mirrr'], 'mirror'],
    ]
    for (const [args, suggestion] of cases) {
      const r = await cli(args)
      expect(r.exitCode, args.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(
        `mirrorctl: error: "${args.join(' ').replace(' nginx', '')}" is not a mirrorctl command; did you mean "${suggestion}"?\n  hint: mirrorctl ${suggestion} --help`,
      )
    }
  })

  it('print the JSON error shape under --json', async () => {
    const r = await cli(['mirror', 'ad', 'docker.io', '--json'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        file: null,
        line: null,
        message: '"mirror ad" is not a mirrorctl command; did you mean "mirror add"?',
        hint: 'mirrorctl mirror add --help',
      },
    })
  })

  it('without a near command, point at --help; flags before any command are named as such', async () => {
    const far = await cli(['xyzzy'])
    expect(far.exitCode).toBe(2)
    expect(far.stderr).toBe('mirrorctl: error: "xyzzy" is not a mirrorctl command\n  hint: mirrorctl --help lists the commands')
    const flag = await cli(['--json', 'lnt'])
    expect(flag.exitCode).toBe(2)
    expect(JSON.parse(flag.stdout).error.message).toBe('"--json" is not a mirrorctl command: flags go after the command')
  })
})

describe('commands run from the bundle', () => {
  it('lint of one file, in text and JSON', async () => {
    const file = path.join(REPO, 'fixtures/registries-conf/fedora-default.conf')
    const text = await cli(['lint', file])
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toBe('no findings in 1 file')
    const json = await cli(['lint', file, '--json'])
    expect(JSON.parse(json.stdout)).toEqual({findings: []})
  })

  it("a usage error inside a command keeps the command's error shape", async () => {
    const r = await cli(['lint', '--no-such-flag', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout).error.message).toContain('Nonexistent flag: --no-such-flag')
  })
})
