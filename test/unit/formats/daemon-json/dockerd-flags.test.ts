import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {dockerdCommand, execStartCommands, parseDockerdArgs, splitCommandLine} from '../../../../src/formats/daemon-json/dockerd-flags.js'

const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/daemon-json/${name}`, import.meta.url), 'utf8')

describe('ExecStart from a unit and its drop-ins', () => {
  test('the stock docker.service', () => {
    expect(dockerdCommand([fixture('docker.service')])).toEqual({
      argv: ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock'],
      file: 0,
      line: 13,
      unresolved: [],
    })
  })

  test('a drop-in that resets ExecStart and continues lines', () => {
    const cmd = dockerdCommand([fixture('docker.service'), fixture('override.conf')])
    expect(cmd).toMatchObject({argv: ['/usr/bin/dockerd', '--containerd=/run/containerd/containerd.sock', '--log-level', 'warn'], file: 1, line: 3})
  })

  test('ExecStart outside [Service] and comments are ignored', () => {
    const unit = '[Unit]\nExecStart=/bin/false\n[Service]\n# ExecStart=/usr/bin/dockerd -D\n;ExecStart=/usr/bin/dockerd -D\nExecStart=/usr/bin/dockerd\n'
    expect(execStartCommands([unit]).map((c) => c.argv)).toEqual([['/usr/bin/dockerd']])
  })

  test('prefix characters: "-" ignores failure, "@" gives argv[0] separately', () => {
    expect(dockerdCommand(['[Service]\nExecStart=-/usr/bin/dockerd -D\n'])?.argv).toEqual(['/usr/bin/dockerd', '-D'])
    expect(dockerdCommand(['[Service]\nExecStart=@/usr/bin/dockerd dockerd-custom -H unix:///run/d.sock\n'])?.argv).toEqual([
      '/usr/bin/dockerd',
      '-H',
      'unix:///run/d.sock',
    ])
  })

  test('$VAR words come from the environment (EnvironmentFile=)', () => {
    const unit = '[Service]\nExecStart=/usr/bin/dockerd $DOCKER_OPTS --data-root=${ROOT}\n'
    expect(dockerdCommand([unit], {DOCKER_OPTS: '-H fd:// --debug', ROOT: '/srv/docker'})?.argv).toEqual([
      '/usr/bin/dockerd',
      '-H',
      'fd://',
      '--debug',
      '--data-root=/srv/docker',
    ])
    expect(dockerdCommand([unit])).toMatchObject({argv: ['/usr/bin/dockerd', '--data-root=${ROOT}'], unresolved: ['$DOCKER_OPTS', '${ROOT}']})
  })

  test('no dockerd in the unit', () => {
    expect(dockerdCommand(['[Service]\nExecStart=/usr/bin/containerd\n'])).toBeNull()
  })
})

describe('splitCommandLine', () => {
  test('quotes, escapes and %%', () => {
    expect(splitCommandLine(`a "b c" 'd e' f\\ g --x="1 2" \\x41 50%%`).words).toEqual(['a', 'b c', 'd e', 'f g', '--x=1 2', 'A', '50%'])
  })
})

describe('parseDockerdArgs', () => {
  const names = (argv: string[]) => parseDockerdArgs(argv).map((f) => [f.name, f.value, f.given])

  test('long flags with = or a separate value; booleans take none', () => {
    expect(names(['/usr/bin/dockerd', '--data-root', '/srv', '--debug', '--log-level=warn', '--iptables=false'])).toEqual([
      ['data-root', '/srv', '--data-root /srv'],
      ['debug', null, '--debug'],
      ['log-level', 'warn', '--log-level=warn'],
      ['iptables', 'false', '--iptables=false'],
    ])
  })

  test('shorthands: -H value, -Hvalue, grouped booleans', () => {
    expect(names(['-H', 'fd://', '-Htcp://0.0.0.0:2376', '-DH', 'unix:///s', '-s', 'overlay2'])).toEqual([
      ['host', 'fd://', '-H fd://'],
      ['host', 'tcp://0.0.0.0:2376', '-Htcp://0.0.0.0:2376'],
      ['debug', null, '-D'],
      ['host', 'unix:///s', '-H unix:///s'],
      ['storage-driver', 'overlay2', '-s overlay2'],
    ])
  })

  test('unknown flags are kept but marked, and -- ends the flags', () => {
    const flags = parseDockerdArgs(['--no-such-flag', '--', '--debug'])
    expect(flags).toEqual([{name: 'no-such-flag', known: false, given: '--no-such-flag', value: null}])
  })
})
