import {describe, expect, it} from 'vitest'
import {SshError} from '../../../src/hosts/ssh-errors.js'
import {SshHost, type SshCallResult, type SshControl} from '../../../src/hosts/ssh-host.js'
import type {SshTarget} from '../../../src/hosts/ssh-target.js'
import type {GatherRequest} from '../../../src/hosts/snapshot.js'

// One read request whose stat says 3 bytes: "abc" is a consistent answer, "abcd" a file that grew meanwhile.
const requests: GatherRequest[] = [{path: '/etc/a.conf', mode: 'read'}]
const answer = (content: string): SshCallResult => ({
  exitCode: 0,
  stderr: '',
  stdout: '',
  stdoutBytes: Buffer.from(['mirrorctl-gather 2', '@ 1', 'T', 'stat', '81a4 0 0 3 data', 'content 0', `${content}\ncontent-end`, 'done', ''].join('\n')),
})

/** An SshHost whose ssh calls return `answers` in turn. */
function hostAnswering(answers: SshCallResult[]): SshHost {
  const control = {run: async () => answers.shift() ?? answer('')} as unknown as SshControl
  return new SshHost({name: 'h'} as SshTarget, control)
}

describe('SshHost.gather after a file changed mid-gather', () => {
  it('gathers once more and keeps the consistent answer', async () => {
    const host = hostAnswering([answer('abcd'), answer('abc')])
    const snapshot = await host.gather(requests, {facts: false})
    expect(snapshot.entries.get('/etc/a.conf')?.content?.toString()).toBe('abc')
    expect(host.roundTrips).toBe(2)
  })

  it('fails the host when the second answer is inconsistent too', async () => {
    const host = hostAnswering([answer('abcd'), answer('ab')])
    const error = await host.gather(requests, {facts: false}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SshError)
    expect(error).toMatchObject({kind: 'remote-failed', reason: expect.stringMatching(/files changed while being read/)})
    expect(host.roundTrips).toBe(2)
  })
})
