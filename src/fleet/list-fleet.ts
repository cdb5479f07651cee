import {ExitCode} from '../core/exit-codes.js'
import {selectEngines} from '../cli/engine-selection.js'
import {listMirrors, type MirrorListing} from '../cli/mirror-listing.js'
import {refuseLocalOnly} from './imperative.js'
import {runPool} from './pool.js'
import {reasonOf} from './run-fleet.js'
import {openSessions, type FleetFlags} from './setup.js'

/** One host of `mirror list` with target flags: the local listing's keys, or why it failed. */
export type HostListing = {host: string; status: 'ok' | 'failed'; reason: string | null} & Partial<MirrorListing>

const LOCAL_ONLY = ['registries-conf', 'registries-conf-dir', 'daemon-json', 'containerd-hosts-dir', 'containerd-config', 'k3s-registries'] as const

/**
 * `mirror list` on every host: one gather per host (the SSH snapshot), read only. A host that
 * is down or whose files the engines reject is failed with its reason and never stops the others.
 */
export async function listFleet(
  flags: FleetFlags & {concurrency: number; engine?: string | undefined} & Partial<Record<(typeof LOCAL_ONLY)[number], unknown>>,
): Promise<{hosts: HostListing[]; text: string; exitCode: ExitCode; warnings: string[]}> {
  refuseLocalOnly(flags, LOCAL_ONLY)
  const {sessions, warnings, close} = await openSessions(flags)
  try {
    const settled = await runPool(
      sessions,
      (session, signal) =>
        session.plan(async (host) => listMirrors(host, await selectEngines(host, {engine: flags.engine, root: session.treeRoot ? '/' : undefined}), {}), signal),
      {concurrency: flags.concurrency, timeoutMs: flags.timeout * 1000},
    )
    const hosts: HostListing[] = []
    const text: string[] = []
    settled.forEach((s, i) => {
      const host = sessions[i]!.name
      if (s.ok) {
        hosts.push({host, status: 'ok', reason: null, ...s.value.out})
        text.push(`== ${host}`, ...s.value.lines.map((l) => `  ${l}`), ...s.value.out.warnings.map((w) => `  ${w.startsWith('warning') ? w : `warning: ${w}`}`))
      } else {
        const reason = reasonOf(s.error)
        hosts.push({host, status: 'failed', reason})
        text.push(`== ${host}: failed: ${reason}`)
      }
    })
    return {hosts, text: text.join('\n'), exitCode: hosts.some((h) => h.status === 'failed') ? ExitCode.Findings : ExitCode.Ok, warnings}
  } finally {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)))
    await close().catch(() => undefined)
  }
}
