import type {FileWrite} from '../hosts/write-plan.js'
import type {HostPlan} from './plan-host.js'
import type {HostFile, HostResult, StepOutcome} from './report.js'

export type {StepOutcome} from './report.js'
import type {HostSession} from './session.js'

export interface PostWriteContext {
  session: HostSession
  plan: HostPlan
  /** The host's result after the write (and reload, when asked); unchanged with no files on a converged host. */
  written: HostResult
  /** The engines to check: those whose files were written, or on a converged host those the spec configures there. */
  engines: HostFile['engine'][]
  signal: AbortSignal
}

/**
 * A check run on a host after its write and reload, or on a host already converged. A failed
 * outcome makes a written host roll back: the written files get their planned-from text again
 * and the engines reload; a converged host, where nothing was written, is reported failed.
 */
export type PostWriteStep = (ctx: PostWriteContext) => Promise<StepOutcome>

/** Runs the steps in order; the first failure ends the run (later steps would test a host about to roll back). */
export async function runPostWrite(steps: readonly PostWriteStep[], ctx: PostWriteContext): Promise<StepOutcome[]> {
  const out: StepOutcome[] = []
  for (const step of steps) {
    let outcome: StepOutcome
    try {
      outcome = await step(ctx)
    } catch (error) {
      outcome = {step: 'check', status: 'failed', reason: error instanceof Error ? error.message : String(error)}
    }
    out.push(outcome)
    if (outcome.status === 'failed') break
  }
  return out
}

/**
 * The writes that undo a host's apply: each written file back to the text it was planned
 * from (a file the apply created is removed), expecting exactly what the apply wrote, so a
 * file changed since is a conflict rather than overwritten.
 */
export function undoWrites(writes: readonly FileWrite[], writtenPaths: readonly string[]): FileWrite[] {
  return writes.filter((w) => writtenPaths.includes(w.path)).map((w) => ({...w, expect: w.content, content: w.expect}))
}

/** Which engines a host's checks look at (see PostWriteContext.engines). */
export function checkedEngines(plan: HostPlan, written: HostResult): HostFile['engine'][] {
  if (written.files.length) return [...new Set(written.files.map((f) => f.engine))]
  return plan.engines ?? []
}
