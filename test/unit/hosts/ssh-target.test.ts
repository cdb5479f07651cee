import {describe, expect, it} from 'vitest'
import {classifySshFailure} from '../../../src/hosts/ssh-errors.js'
import {checkSshOptions, makeSshTarget, remoteCommand, shellQuote, splitShellWords, sshArgv, SshTargetError} from '../../../src/hosts/ssh-target.js'

const HOSTILE = ['-oProxyCommand=touch /tmp/pwned', 'a;rm -rf /', '$(id)', '`id`', 'web 1', 'web1\nweb2', '-l', 'a|b', 'a&b', "a'b", 'a"b', 'a\tb', 'a\x00b', 'a>b', '']

describe('makeSshTarget validation', () => {
  it('accepts ordinary names, addresses, users and ports', () => {
    for (const name of ['web1', 'web-01.example.com', 'node_3', '10.0.0.7', '::1', 'fe80::1%eth0', 'h1']) {
      expect(makeSshTarget({name}).name).toBe(name)
    }
    const t = makeSshTarget({name: 'web1', hostname: '192.0.2.10', port: '2222', user: 'deploy.bot', identityFile: '/home/me/.ssh/id ed', become: true})
    expect(t).toMatchObject({name: 'web1', hostname: '192.0.2.10', port: 2222, user: 'deploy.bot', identityFile: '/home/me/.ssh/id ed', become: true, acceptNewHostKeys: false, connectTimeoutSeconds: 10})
  })

  it.each(HOSTILE)('refuses the host name %j before anything runs', (bad) => {
    expect(() => makeSshTarget({name: bad})).toThrow(SshTargetError)
    expect(() => makeSshTarget({name: 'ok', hostname: bad})).toThrow(SshTargetError)
  })

  it.each(HOSTILE)('refuses the user %j', (bad) => {
    expect(() => makeSshTarget({name: 'ok', user: bad})).toThrow(SshTargetError)
  })

  it('says which host and field is wrong, with exit code 2', () => {
    try {
      makeSshTarget({name: 'web1', user: '-oProxyCommand=id'})
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(SshTargetError)
      expect((error as SshTargetError).message).toBe('host "web1": user "-oProxyCommand=id" starts with "-" (it would be read as an ssh option)')
      expect((error as SshTargetError).exitCode).toBe(2)
    }
    expect(() => makeSshTarget({name: 'web1', user: 'a;rm -rf /'})).toThrow(/whitespace|shell syntax/)
    expect(() => makeSshTarget({name: 'web1', user: '$(id)'})).toThrow(/shell syntax \("\$"\)/)
    expect(() => makeSshTarget({name: 'web1', hostname: 'a\nb'})).toThrow(/control character/)
  })

  it('refuses bad ports, timeouts and option-like paths', () => {
    for (const port of ['0', '65536', '-1', '22 ', '2e3', 'ssh']) expect(() => makeSshTarget({name: 'a', port})).toThrow(/not a port/)
    expect(() => makeSshTarget({name: 'a', connectTimeoutSeconds: 0})).toThrow(/timeout/)
    expect(() => makeSshTarget({name: 'a', identityFile: '-oProxyCommand=id'})).toThrow(/identity file/)
    expect(() => makeSshTarget({name: 'a', sshConfig: '-F/etc/passwd'})).toThrow(/ssh config/)
    expect(() => makeSshTarget({name: 'a', identityFile: '/k\n-oX'})).toThrow(/control character/)
  })
})

describe('ansible_ssh_common_args', () => {
  it('splits like sh without expanding anything', () => {
    expect(splitShellWords(`-o ServerAliveInterval=30 -o "UserKnownHostsFile=/a b" -o'ConnectTimeout=5' x\\ y`)).toEqual([
      '-o', 'ServerAliveInterval=30', '-o', 'UserKnownHostsFile=/a b', '-oConnectTimeout=5', 'x y',
    ])
    expect(splitShellWords('-o "X=$(id)"')).toEqual(['-o', 'X=$(id)'])
    expect(() => splitShellWords(`-o 'unterminated`)).toThrow(/unterminated/)
  })

  it('keeps accepted -o Key=Value options, in both spellings', () => {
    const t = makeSshTarget({name: 'a', sshArgs: '-o ServerAliveInterval=30 -oProxyJump=admin@bastion.example:2222'})
    expect(t.sshOptions).toEqual(['-o', 'ServerAliveInterval=30', '-o', 'ProxyJump=admin@bastion.example:2222'])
    expect(makeSshTarget({name: 'a', sshArgs: ['-o', 'UserKnownHostsFile=/a b']}).sshOptions).toEqual(['-o', 'UserKnownHostsFile=/a b'])
  })

  it.each([
    ['-oProxyCommand=touch /tmp/pwned', /ProxyCommand is not accepted/],
    ['-o ProxyCommand="nc %h %p"', /ProxyCommand is not accepted/],
    ['-o proxycommand=x', /proxycommand is not accepted/],
    ['-o LocalCommand=id -o PermitLocalCommand=yes', /LocalCommand is not accepted/],
    ['-o RemoteCommand=id', /RemoteCommand is not accepted/],
    ['-o KnownHostsCommand=/bin/id', /KnownHostsCommand is not accepted/],
    ['-o PKCS11Provider=/tmp/evil.so', /PKCS11Provider is not accepted/],
    ['-o StrictHostKeyChecking=no', /StrictHostKeyChecking is not accepted/],
    ['-o ControlPath=/tmp/x', /ControlPath is not accepted/],
    ['-o BatchMode=no', /BatchMode is not accepted/],
    ['-o SendEnv=LD_PRELOAD', /SendEnv is not accepted/],
    ['-v', /only -o Key=Value/],
    ['-F /etc/passwd', /only -o Key=Value/],
    ['-o', /needs a Key=Value/],
    ['-o ServerAliveInterval', /Key=Value/],
    ['-o ServerAliveInterval=$(id)', /shell syntax/],
    ['-o ServerAliveInterval=-1', /starts with "-"/],
    ['-o "ProxyJump=a;id"', /ProxyJump/],
    ['-o ProxyJump=-oProxyCommand=id', /starts with "-"/],
    ['-o ProxyJump=x@-h', /ProxyJump/],
  ])('refuses %j', (args, why) => {
    expect(() => makeSshTarget({name: 'a', sshArgs: args})).toThrow(why)
  })

  it('refuses a newline inside a value', () => {
    expect(() => checkSshOptions(['-o', 'ServerAliveInterval=30\n-oProxyCommand=id'])).toThrow(/control character/)
  })
})

describe('ssh argv', () => {
  it('puts mirrorctl\'s own options first (one session per host: no master, none of ssh_config\'s joined), then the target\'s, then -- before the destination', () => {
    const t = makeSshTarget({name: 'web1', hostname: '192.0.2.10', port: 2222, user: 'deploy', identityFile: '/k', sshArgs: '-o ServerAliveInterval=30', sshConfig: '/etc/mirrorctl/ssh_config', connectTimeoutSeconds: 7})
    expect(sshArgv(t, 'echo hi')).toEqual([
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=7',
      '-o', 'ControlMaster=no',
      '-o', 'ControlPath=none',
      '-o', 'ClearAllForwardings=yes',
      '-F', '/etc/mirrorctl/ssh_config',
      '-p', '2222',
      '-l', 'deploy',
      '-i', '/k',
      '-o', 'ServerAliveInterval=30',
      '-T', '-a', '-x',
      '--', '192.0.2.10', "sh -c 'echo hi'",
    ])
  })

  it('never disables host key checks; accept-new only when asked', () => {
    const plain = sshArgv(makeSshTarget({name: 'h1'}), 'true')
    expect(plain.join(' ')).not.toMatch(/StrictHostKeyChecking/)
    expect(plain.slice(-2)).toEqual(['h1', "sh -c 'true'"]) // the ssh_config alias, as named
    const first = sshArgv(makeSshTarget({name: 'h1', acceptNewHostKeys: true}), 'true')
    expect(first).toContain('StrictHostKeyChecking=accept-new')
  })

  it('runs the fixed script under sudo -n with become; quotes it for the login shell', () => {
    expect(remoteCommand("echo 'a'", true)).toBe(`sudo -n -- sh -c 'echo '\\''a'\\'''`)
    expect(shellQuote(`it's $(x)`)).toBe(`'it'\\''s $(x)'`)
    expect(sshArgv(makeSshTarget({name: 'h1', become: true}), 'id').at(-1)).toBe("sudo -n -- sh -c 'id'")
  })
})

describe('classifySshFailure', () => {
  it.each([
    ['ssh: connect to host 127.0.0.1 port 1: Connection refused', 'connection-refused', /connection refused/],
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.', 'unknown-host-key', /--accept-new-host-keys/],
    ['@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n...\nHost key verification failed.', 'host-key-changed', /does not match known_hosts/],
    ['mctl@127.0.0.1: Permission denied (publickey).', 'auth-failed', /authentication failed/],
    ['ssh: connect to host 10.255.255.1 port 22: Connection timed out', 'timeout', /timed out/],
    ['ssh: Could not resolve hostname nope.invalid: Name or service not known', 'unresolvable', /resolve/],
  ])('%j', (stderr, kind, reason) => {
    const f = classifySshFailure(255, stderr)
    expect(f?.kind).toBe(kind)
    expect(f?.reason).toMatch(reason)
  })

  it('sudo without a password rule, our own timeout, and failures the script explains itself', () => {
    expect(classifySshFailure(1, 'sudo: a password is required\n')?.kind).toBe('sudo-password')
    expect(classifySshFailure(null, '', true)?.kind).toBe('timeout')
    expect(classifySshFailure(3, '')).toBeNull()
    expect(classifySshFailure(255, 'kex_exchange_identification: Connection closed by remote host')?.kind).toBe('connection-lost')
  })
})
