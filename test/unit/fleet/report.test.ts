import {describe, expect, test} from 'vitest'
import {Progress} from '../../../src/fleet/progress.js'
import {failedResult, fleetReport, renderDiffs, renderSummary, type HostResult} from '../../../src/fleet/report.js'
import {exitCodeOf} from '../../../src/fleet/command-run.js'
import {styles} from '../../../src/core/color.js'

const changed: HostResult = {
  host: 'web1',
  status: 'changed',
  reason: null,
  diff: '--- a/etc/docker/daemon.json\n+++ b/etc/docker/daemon.json\n@@ -1 +1 @@\n-{}\n+{"registry-mirrors": []}\n',
  files: [{engine: 'docker', path: '/etc/docker/daemon.json', actions: ['clear'], diff: '', backup: null}],
  warnings: ['docker: spec.toml:1: source quay.io left out'],
}
const unchanged: HostResult = {host: 'web2', status: 'unchanged', reason: null, diff: '', files: [], warnings: []}
const failed = failedResult('db-with-a-long-name', 'ssh: connect to host 127.0.0.1 port 1: Connection refused')

describe('the report', () => {
  const report = fleetReport([changed, unchanged, failed])
  test('JSON shape: hosts with status and reason, and counts', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual({
      hosts: [
        {host: 'web1', status: 'changed', reason: null, diff: changed.diff, files: changed.files, warnings: changed.warnings},
        {host: 'web2', status: 'unchanged', reason: null, diff: '', files: [], warnings: []},
        {host: 'db-with-a-long-name', status: 'failed', reason: 'ssh: connect to host 127.0.0.1 port 1: Connection refused', diff: '', files: [], warnings: []},
      ],
      summary: {changed: 1, unchanged: 1, failed: 1, 'rolled-back': 0},
    })
  })
  test('summary table names every host, with the reason of a failure', () => {
    expect(renderSummary(report, styles(false), 'apply')).toBe(
      [
        'HOST                 STATUS       DETAIL',
        'web1                 changed      /etc/docker/daemon.json',
        'web2                 unchanged    ',
        'db-with-a-long-name  failed       ssh: connect to host 127.0.0.1 port 1: Connection refused',
        '3 hosts: 1 changed, 1 unchanged, 1 failed',
      ].join('\n'),
    )
    expect(renderSummary(report, styles(false), 'plan')).toContain('web1                 pending')
  })
  test('diffs per host with warnings; colour only when enabled', () => {
    const plain = renderDiffs(report, styles(false))
    expect(plain).toBe(`== web1\nwarning: docker: spec.toml:1: source quay.io left out\n${changed.diff.trimEnd()}`)
    expect(plain).not.toContain('\x1b[')
    expect(renderDiffs(report, styles(true))).toContain('\x1b[32m+{"registry-mirrors": []}')
  })
  test('exit codes: failures 1; --detailed-exitcode 2 for pending, 0 converged', () => {
    expect(exitCodeOf(report, true)).toBe(1)
    expect(exitCodeOf(fleetReport([changed, unchanged]), true)).toBe(2)
    expect(exitCodeOf(fleetReport([changed, unchanged]), false)).toBe(0)
    expect(exitCodeOf(fleetReport([unchanged]), true)).toBe(0)
  })
})

describe('progress', () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = []
    return {out, stream: {isTTY, columns: 80, write: (t: string) => out.push(t)}}
  }
  test('not a terminal: one plain line per finished host, no escape codes', () => {
    const {out, stream} = sink(false)
    const p = new Progress(stream, {}, 2)
    p.phase('a', 'gathering')
    p.phase('b', 'writing')
    p.finish('a', 'changed', null)
    p.finish('b', 'failed', 'timed out after 5s')
    p.end()
    expect(out.join('')).toBe('[1/2] a: changed\n[2/2] b: failed (timed out after 5s)\n')
  })
  test('terminal: a live block of running hosts, redrawn in place; NO_COLOR keeps it plain', () => {
    const {out, stream} = sink(true)
    const p = new Progress(stream, {NO_COLOR: '1'}, 2)
    p.phase('a', 'gathering')
    p.phase('b', 'writing')
    p.finish('a', 'unchanged', null)
    p.end()
    const text = out.join('')
    expect(text).toContain('  gathering    a\n')
    expect(text).toContain('  writing      b\n')
    expect(text).toContain('\x1b[3A\x1b[0J[1/2] a: unchanged\n')
    // No SGR colour codes with NO_COLOR: only cursor movement.
    expect(text).not.toMatch(/\x1b\[\d+m/)
  })
  test('disabled: prints nothing', () => {
    const {out, stream} = sink(true)
    const p = new Progress(stream, {}, 1, false)
    p.phase('a', 'gathering')
    p.finish('a', 'changed', null)
    expect(out).toEqual([])
  })
})
