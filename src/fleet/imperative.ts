import {UserError} from '../core/errors.js'
import {selectEngines, type EngineName, type EngineSelection} from '../cli/engine-selection.js'
import type {Host} from '../hosts/host.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import type {ExitCode} from '../core/exit-codes.js'
import {exitCodeOf, FleetRun, renderReport, reportOf} from './command-run.js'
import type {FleetReport} from './report.js'
import type {HostIntent} from './plan-host.js'
import type {HostSession} from './session.js'

/** A precondition on a host's files before its change is planned; it throws a UserError to fail that host. */
export type HostCheck = (host: Host, engines: EngineSelection) => Promise<void>

/** Whether a command was given target flags (then it acts on every host instead of this machine). */
export function hasTargets(flags: {hosts?: string | undefined; inventory?: string | undefined}): boolean {
  return flags.hosts !== undefined || flags.inventory !== undefined
}

/** An imperative change (mirror add/remove) as a host intent: --engine, else the engines found there. */
export function changeIntent(change: MirrorChange, engineFlag: string | undefined, fixNoProxy: boolean): HostIntent {
  const enginesOf = (found: readonly EngineName[]): EngineName[] => (engineFlag === undefined ? [...found] : engineFlag === 'all' ? ['podman', 'docker'] : [engineFlag as EngineName])
  return {
    needsDockerVersion: (found) => enginesOf(found).includes('docker'),
    runs(found) {
      const engines = enginesOf(found)
      if (!engines.length) throw new UserError('no container engine detected', {hint: 'say which one with --engine docker|podman|all'})
      return {runs: [{change, engines, explicit: engineFlag !== undefined}], warnings: []}
    },
    fixNoProxy,
    fixNoProxyHint: 'rerun with --fix-no-proxy',
  }
}

/** Flags that name this machine's files make no sense on a fleet: refused, never silently ignored. */
export function refuseLocalOnly<K extends string>(flags: Partial<Record<K, unknown>>, names: readonly K[]): void {
  for (const f of names)
    if (flags[f] !== undefined && flags[f] !== false) throw new UserError(`--${f} acts on this machine's files; it cannot be combined with --hosts or --inventory`, {hint: 'each host uses the files its engines read'})
}

const LOCAL_ONLY = ['registries-conf', 'registries-conf-dir', 'daemon-json', 'docker-version', 'drop-in', 'convert', 'no-backup'] as const

/**
 * `mirror add/remove` with target flags: the change planned on every host like a spec
 * (--dry-run is the plan), then one safe write per host. Same report and exit codes as
 * apply; the command prints what this returns.
 */
export async function runFleetChange(
  flags: Parameters<typeof FleetRun.open>[0] & {'dry-run'?: boolean; json?: boolean; engine?: string | undefined} & Partial<Record<(typeof LOCAL_ONLY)[number], unknown>>,
  intent: HostIntent,
  check?: HostCheck,
): Promise<{report: FleetReport; text: string; exitCode: ExitCode; warnings: string[]}> {
  refuseLocalOnly(flags, LOCAL_ONLY)
  const fleet = await FleetRun.open(flags, intent, check && ((session) => checkedSession(session, check, flags.engine)))
  try {
    const report = reportOf(await fleet.run(!flags['dry-run']))
    return {report, text: renderReport(report, flags['dry-run'] ? 'plan' : 'apply', true), exitCode: exitCodeOf(report, false), warnings: fleet.warnings}
  } finally {
    await fleet.close()
  }
}

/**
 * A session whose planner first runs `check` on the same read-only host (the SSH snapshot
 * gathered once), with the engines the change would use there: --engine, else those found.
 */
export function checkedSession(session: HostSession, check: HostCheck, engineFlag: string | undefined): HostSession {
  return {
    name: session.name,
    treeRoot: session.treeRoot,
    plan: (planner, signal) =>
      session.plan(async (host) => {
        const engines = await selectEngines(host, {engine: engineFlag, root: session.treeRoot ? '/' : undefined}).catch((error: unknown) => {
          // No engine there: the plan itself says so.
          if (error instanceof UserError && /no container engine detected/.test(error.message)) return null
          throw error
        })
        if (engines) await check(host, engines)
        return planner(host)
      }, signal),
    backupDir: () => session.backupDir(),
    apply: (request, signal) => session.apply(request, signal),
    close: () => session.close(),
  }
}
