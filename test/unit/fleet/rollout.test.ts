import {describe, expect, test} from 'vitest'
import {thrownUserError} from './thrown.js'
import type {HostPlan} from '../../../src/fleet/plan-host.js'
import {Progress} from '../../../src/fleet/progress.js'
import {fleetReport} from '../../../src/fleet/report.js'
import {batchSizes, failuresAllowed, parseMaxFail, renderSkipped, RolloutGate, rolloutGate, rolloutReport, skippedHosts, type RolloutPolicy} from '../../../src/fleet/rollout.js'
import {runFleet} from '../../../src/fleet/run-fleet.js'
import type {HostSession} from '../../../src/fleet/session.js'
import type {ApplyResult} from '../../../src/hosts/write-plan.js'

const policy = (p: Partial<RolloutPolicy>): RolloutPolicy => ({serial: null, canary: false, maxFail: null, ...p})

describe('--max-fail', () => {
  test('a count or a percentage', () => {
    expect(parseMaxFail('0')).toEqual({count: 0})
    expect(parseMaxFail('3')).toEqual({count: 3})
    expect(parseMaxFail('25%')).toEqual({percent: 25})
  })
  test('anything else is a usage error with a hint', () => {
    for (const bad of ['', '-1', '1.5', '10 %', '101%', 'x', '--serial']) {
      const e = thrownUserError(() => parseMaxFail(bad))
      expect(e.exitCode, bad).toBe(2)
      expect(e.hint, bad).toBeTruthy()
    }
  })
  test('failures allowed: the count, the share rounded down, none by default with batches, no limit without flags', () => {
    expect(failuresAllowed(policy({maxFail: {count: 2}}), 10)).toBe(2)
    expect(failuresAllowed(policy({maxFail: {percent: 10}}), 25)).toBe(2)
    expect(failuresAllowed(policy({maxFail: {percent: 100}}), 7)).toBe(7)
    expect(failuresAllowed(policy({serial: 3}), 10)).toBe(0)
    expect(failuresAllowed(policy({canary: true}), 10)).toBe(0)
    expect(failuresAllowed(policy({}), 10)).toBe(Infinity)
  })
})

describe('batches', () => {
  test('--serial N, with --canary-host a batch of one first', () => {
    expect(batchSizes(7, policy({serial: 3}))).toEqual([3, 3, 1])
    expect(batchSizes(7, policy({serial: 3, canary: true}))).toEqual([1, 3, 3])
    expect(batchSizes(7, policy({canary: true}))).toEqual([1, 6])
    expect(batchSizes(7, policy({maxFail: {count: 1}}))).toEqual([7])
    expect(batchSizes(0, policy({serial: 2, canary: true}))).toEqual([])
  })
  test('no rollout flag: no gate at all', () => {
    expect(rolloutGate({}, 5)).toBeUndefined()
    expect(rolloutGate({serial: 2}, 5)?.allowed).toBe(0)
  })
})

test('the gate admits hosts until failures exceed the allowance; a host settles once', () => {
  const gate = new RolloutGate(policy({maxFail: {count: 1}}), 5)
  gate.settle('a', true)
  gate.settle('a', true)
  expect(gate.admit()).toBeNull()
  gate.settle('b', true)
  expect(gate.admit()).toMatch(/stopped after 2 failed hosts \(--max-fail 1\)/)
})

/** A session whose gather fails when `down`, with one pending write otherwise, recording the order of events. */
function fakeSession(name: string, down: boolean, events: string[]): HostSession {
  const plan: HostPlan = {writes: [{path: '/etc/docker/daemon.json', content: '{}\n', expect: null, mode: 0o644}], files: [], warnings: []}
  return {
    name,
    treeRoot: false,
    async plan<T>(): Promise<T> {
      events.push(`start ${name}`)
      await new Promise((resolve) => setImmediate(resolve))
      if (down) throw new Error('connection refused')
      return plan as T
    },
    backupDir: () => '/var/lib/mirrorctl/backups',
    async apply(): Promise<ApplyResult> {
      events.push(`end ${name}`)
      return {lock: 'flock', files: [{path: '/etc/docker/daemon.json', target: '/etc/docker/daemon.json', status: 'written', reason: null, backup: null}]}
    },
    close: async () => undefined,
  }
}

describe('runFleet with a rollout', () => {
  const quiet = () => new Progress({write: () => true}, {}, 0, false)
  const intent = {runs: []} as never

  test('batches run in order; a failure in a batch stops the next ones, which are skipped with the reason', async () => {
    const events: string[] = []
    const sessions = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((n) => fakeSession(n, n === 'h4', events))
    const gate = rolloutGate({serial: 2, 'canary-host': true}, sessions.length)!
    const out = await runFleet(sessions, intent, true, {concurrency: 10, timeoutMs: null, progress: quiet(), rollout: gate})
    // Batches [h1] [h2 h3] [h4 h5] [h6]: each starts after the previous one ended.
    expect(events).toEqual(['start h1', 'end h1', 'start h2', 'start h3', 'end h2', 'end h3', 'start h4', 'start h5', 'end h5'])
    const report = rolloutReport(fleetReport(out.map((p) => p.result)), skippedHosts(out))
    expect(report.hosts.map((h) => [h.host, h.status])).toEqual([
      ['h1', 'changed'],
      ['h2', 'changed'],
      ['h3', 'changed'],
      ['h4', 'failed'],
      ['h5', 'changed'],
      ['h6', 'skipped'],
    ])
    expect(report.summary).toEqual({changed: 4, unchanged: 0, failed: 1, 'rolled-back': 0, skipped: 1})
    expect(report.hosts[5]!.reason).toMatch(/not attempted: the rollout stopped after 1 failed host/)
    expect(renderSkipped(report)).toMatch(/^1 host skipped, not attempted.*:\n {2}h6$/)
  })

  test('--max-fail without batches: no new host starts once failures exceed it (concurrency 1)', async () => {
    const events: string[] = []
    const sessions = ['a', 'b', 'c', 'd'].map((n) => fakeSession(n, n === 'a' || n === 'b', events))
    const out = await runFleet(sessions, intent, true, {concurrency: 1, timeoutMs: null, progress: quiet(), rollout: rolloutGate({'max-fail': '1'}, 4)!})
    expect(events).toEqual(['start a', 'start b'])
    expect(out.map((p) => p.skipped !== undefined)).toEqual([false, false, true, true])
  })

  test('without a gate every host is attempted', async () => {
    const events: string[] = []
    const sessions = ['a', 'b', 'c'].map((n) => fakeSession(n, n === 'a', events))
    const out = await runFleet(sessions, intent, true, {concurrency: 1, timeoutMs: null, progress: quiet()})
    expect(out.map((p) => p.result.status)).toEqual(['failed', 'changed', 'changed'])
  })
})
