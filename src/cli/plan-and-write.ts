import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {WriteConflict, writePlannedFiles, type PlannedWrite, type WriteOutcome} from '../hosts/apply-changes.js'
import type {Host} from '../hosts/host.js'

/** Plans made again when files change under a run (other mirrorctl runs, an editor, a package). */
export const MAX_PLAN_ATTEMPTS = 30

export interface WriteSettings {
  dryRun: boolean
  backup: boolean
  systemWideBackups: boolean
}

/**
 * Plans from what is on disk, then writes through host.applyWrites, which compares every
 * file with the text the plan was made from under the host lock. When another writer got
 * there first the plan is made again from the new text (after a random pause, so parallel
 * runs spread out), never written over it. Gives up with exit 2 after MAX_PLAN_ATTEMPTS.
 */
export async function planAndWrite<P extends {writes: readonly PlannedWrite[]}>(
  host: Host,
  plan: () => Promise<P>,
  settings: WriteSettings,
): Promise<{plan: P; outcomes: WriteOutcome[]}> {
  for (let attempt = 1; ; attempt++) {
    const planned = await plan()
    if (settings.dryRun || !planned.writes.length) return {plan: planned, outcomes: []}
    try {
      return {plan: planned, outcomes: await writePlannedFiles(host, planned.writes, settings)}
    } catch (error) {
      if (!(error instanceof WriteConflict)) throw error
      if (attempt >= MAX_PLAN_ATTEMPTS)
        throw new UserError(`${error.message}; gave up after ${attempt} attempts and wrote nothing`, {
          exitCode: ExitCode.Usage,
          position: {file: error.files[0]!.path, line: null},
          hint: 'something keeps changing the file: stop the other writer and run again',
        })
      await pause(20 + Math.random() * 40 * Math.min(attempt, 8))
    }
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
