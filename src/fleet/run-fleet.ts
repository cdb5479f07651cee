import path from 'node:path'
import {BACKUPS_KEPT} from '../hosts/backup.js'
import {UserError} from '../core/errors.js'
import type {Host} from '../hosts/host.js'
import {SshError} from '../hosts/ssh-errors.js'
import {applyRequest, hostResultOf} from './apply-host.js'
import {planHost, type HostIntent, type HostPlan} from './plan-host.js'
import {runPool, TaskCancelled, TaskTimeout} from './pool.js'
import {SharedPlans} from './shared-plans.js'
import type {Progress} from './progress.js'
import {failedResult, type HostResult} from './report.js'
import {changedFiles, reloadHost} from './reload.js'
import {checkedEngines, runPostWrite, undoWrites, type PostWriteStep} from './post-write.js'
import {splitBatches, type RolloutGate} from './rollout.js'
import type {HostSession} from './session.js'

export interface FleetRunOptions {
  concurrency: number
  /** Per host, for everything done on it in this pass. null: none. */
  timeoutMs: number | null
  progress: Progress
  signal?: AbortSignal
  /** apply's --serial/--max-fail/--canary-host: batches in order, no new host past the failures allowed. */
  rollout?: RolloutGate
  /** Saves what the writes replace in this folder below the host's backup folder (rollback's own). */
  backupSubfolder?: string
  /** apply --reload: after a host's write, reload (or with allowRestart restart) each engine whose file changed. */
  reload?: {allowRestart: boolean}
  /** Checks after a host's write and reload (verification, canary); a failure rolls that host back. */
  checks?: PostWriteStep[]
  /** rollback --verify: a failed check fails the host and keeps the files (a rollback is not rolled back). */
  keepOnFailedCheck?: boolean
}

/** Makes one host's plan from its read-only Host: the spec or change planner, or rollback's. */
export type HostPlanner = (host: Host, session: HostSession) => Promise<HostPlan>

export interface PlannedHost {
  session: HostSession
  result: HostResult
  /** null when the host failed before a plan existed. */
  plan: HostPlan | null
  /** Why a stopped rollout never started this host (its result then says failed, as not done). */
  skipped?: string
}

/** A failure said in one line: position and hint for UserErrors, the cause for ssh errors. */
export function reasonOf(error: unknown): string {
  if (error instanceof TaskTimeout || error instanceof TaskCancelled) return error.message
  // The summary already names the host: the transport's reason alone.
  if (error instanceof SshError) return error.reason
  if (error instanceof UserError) {
    const p = error.position
    const where = p ? `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ` : ''
    return `${where}${error.message}${error.rule ? ` [${error.rule}]` : ''}${error.hint ? ` (hint: ${error.hint})` : ''}`
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * Per host, as one pooled task: gather and plan, then (when `apply`) send the plan as one
 * request (expect = the planned-from text, so a file changed since planning fails that host
 * instead of being overwritten). A host's failure, timeout or cancellation is its own.
 * Hosts with nothing to write cost no write round trip.
 */
export async function runFleet(sessions: readonly HostSession[], intent: HostIntent, apply: boolean, options: FleetRunOptions): Promise<PlannedHost[]> {
  // Hosts that show the same snapshot share one planning (shared-plans.ts); a --root tree or
  // this machine is not a snapshot and is planned as before.
  const shared = new SharedPlans((host) => planHost(host, intent, {treeRoot: false}))
  return runPlanner(sessions, (host, session) => (session.treeRoot ? planHost(host, intent, {treeRoot: true}) : shared.plan(host)), apply, options)
}

export async function runPlanner(sessions: readonly HostSession[], planner: HostPlanner, apply: boolean, options: FleetRunOptions): Promise<PlannedHost[]> {
  return finishAll(
    sessions.map((session) => ({session, plan: null, result: failedResult(session.name, 'not attempted')})),
    async (p, signal) => {
      options.progress.phase(p.session.name, 'gathering')
      const plan = await p.session.plan((host) => planner(host, p.session), signal)
      const planned = {session: p.session, plan, result: plannedResult(p.session.name, plan)}
      return apply ? {...planned, result: await applyOne(planned, signal, options)} : planned
    },
    options,
  )
}

/** The second pass after a confirmation: apply plans made earlier. */
export async function applyPlanned(planned: readonly PlannedHost[], options: FleetRunOptions): Promise<PlannedHost[]> {
  // Hosts that failed to plan keep their reason and are not contacted again.
  return finishAll(planned, async (p, signal) => ({...p, result: await applyOne(p, signal, options)}), options, (p) => p.plan === null)
}

function plannedResult(host: string, plan: HostPlan): HostResult {
  return {host, status: plan.writes.length ? 'changed' : 'unchanged', reason: null, diff: plan.files.map((f) => f.diff).join(''), files: plan.files, warnings: plan.warnings}
}

async function applyOne({session, plan, result}: PlannedHost, signal: AbortSignal, options: FleetRunOptions): Promise<HostResult> {
  if (!plan) return result
  if (!plan.writes.length) return checkConverged(session, plan, result, signal, options)
  options.progress.phase(session.name, 'writing')
  const dir = session.backupDir()
  const r = await session.apply(applyRequest(plan, options.backupSubfolder ? path.posix.join(dir, options.backupSubfolder) : dir), signal)
  let written = hostResultOf(session.name, plan, r)
  if (written.status === 'unchanged') return checkConverged(session, plan, written, signal, options)
  if (written.status !== 'changed') return written
  if (options.reload) {
    const reload = await reloadOf(session, changedFiles(plan.writes, written.files), options.reload.allowRestart)
    const failed = reload.filter((o) => o.status === 'failed')
    // The files are written either way; a failed reload still fails the host so the exit code says so.
    if (failed.length) return {...written, reload, status: 'failed', reason: `written, but the reload failed: ${failed.map((o) => o.reason).join('; ')}`}
    written = {...written, reload}
  }
  if (!options.checks?.length) return written
  options.progress.phase(session.name, 'verifying')
  const checks = await runPostWrite(options.checks, {session, plan, written, engines: checkedEngines(plan, written), signal})
  const failed = checks.find((c) => c.status === 'failed')
  if (!failed) return {...written, checks}
  if (options.keepOnFailedCheck) return {...written, checks, status: 'failed', reason: `${failed.step} failed: ${failed.reason}`}
  return rollBack({...written, checks}, session, plan, `${failed.step} failed: ${failed.reason}`, signal, options)
}

/** A host already as the spec says: its checks run all the same; a failure fails it (nothing to roll back). */
async function checkConverged(session: HostSession, plan: HostPlan, result: HostResult, signal: AbortSignal, options: FleetRunOptions): Promise<HostResult> {
  if (!options.checks?.length) return result
  options.progress.phase(session.name, 'verifying')
  const checks = await runPostWrite(options.checks, {session, plan, written: result, engines: checkedEngines(plan, result), signal})
  const failed = checks.find((c) => c.status === 'failed')
  return failed ? {...result, checks, status: 'failed', reason: `${failed.step} failed: ${failed.reason} (nothing was written on this host)`} : {...result, checks}
}

function reloadOf(session: HostSession, files: ReturnType<typeof changedFiles>, allowRestart: boolean) {
  const reloader = session.reloader?.() ?? null
  return reloadHost(files, reloader?.facts ?? {commands: null, units: {}}, allowRestart, reloader?.run ?? null)
}

/**
 * A host whose check failed gets its planned-from files back (expecting what was just
 * written, no new backup) and, under --reload, its engines reloaded again.
 */
async function rollBack(written: HostResult, session: HostSession, plan: HostPlan, why: string, signal: AbortSignal, options: FleetRunOptions): Promise<HostResult> {
  options.progress.phase(session.name, 'rolling back')
  const writes = undoWrites(plan.writes, written.files.map((f) => f.path))
  const r = await session.apply({writes, backupDir: null, keep: BACKUPS_KEPT}, signal)
  const bad = r.files.find((f) => f.status !== 'written' && f.status !== 'unchanged')
  if (bad) return {...written, status: 'failed', reason: `${why}; the rollback failed too: ${bad.path} ${bad.status}${bad.reason ? ` (${bad.reason})` : ''}`}
  const reload = options.reload ? await reloadOf(session, changedFiles(writes, written.files), options.reload.allowRestart) : undefined
  const reloadFailed = reload?.filter((o) => o.status === 'failed') ?? []
  const pending = reload?.filter((o) => o.status === 'needs-restart') ?? []
  // The files are back, but a daemon that only a restart updates still runs with the change.
  const tail = reloadFailed.length
    ? `; restored, but the reload failed: ${reloadFailed.map((o) => o.reason).join('; ')}`
    : pending.length
      ? `, but ${pending.map((o) => o.engine).join(', ')} keeps the change until restarted (${pending.map((o) => o.reason).join('; ')})`
      : ''
  return {...written, ...(reload ? {reload} : {}), status: 'rolled-back', reason: `${why}; restored the previous files${tail}`}
}

async function finishAll(
  items: readonly PlannedHost[],
  task: (p: PlannedHost, signal: AbortSignal) => Promise<PlannedHost>,
  options: FleetRunOptions,
  skip: (p: PlannedHost) => boolean = () => false,
): Promise<PlannedHost[]> {
  if (!options.rollout) return finishBatch(items, task, options, skip)
  const out: PlannedHost[] = []
  for (const batch of splitBatches(items, options.rollout.policy)) out.push(...(await finishBatch(batch, task, options, skip)))
  return out
}

async function finishBatch(
  items: readonly PlannedHost[],
  task: (p: PlannedHost, signal: AbortSignal) => Promise<PlannedHost>,
  options: FleetRunOptions,
  skip: (p: PlannedHost) => boolean,
): Promise<PlannedHost[]> {
  const gate = options.rollout
  const settled = await runPool(
    items,
    async (p, signal) => {
      const name = p.session.name
      if (skip(p)) {
        gate?.settle(name, p.result.status === 'failed')
        return p
      }
      const held = gate?.admit()
      if (held) return {...p, skipped: held, result: failedResult(name, held)}
      // A timeout settles the pool's race before the task ends: count it at once.
      signal.addEventListener('abort', () => gate?.settle(name, true), {once: true})
      let out: PlannedHost
      try {
        out = await task(p, signal)
      } catch (error) {
        gate?.settle(name, true)
        throw error
      }
      gate?.settle(name, out.result.status === 'failed' || out.result.status === 'rolled-back')
      options.progress.finish(name, out.result.status, out.result.reason)
      return out
    },
    options,
  )
  return settled.map((s, i) => {
    if (s.ok) return s.value
    const p = items[i]!
    const result = {...p.result, status: 'failed' as const, reason: reasonOf(s.error)}
    options.progress.finish(p.session.name, 'failed', result.reason)
    return {...p, result}
  })
}
