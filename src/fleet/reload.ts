import type {FileWrite} from '../hosts/write-plan.js'
import {planReload, type ChangedFile, type ReloadAction, type ReloadEngine, type ReloadFacts, type ReloadStatus, type ReloadStep} from './reload-plan.js'

/** One engine's reload as reported per host (text summary and --json). */
export interface ReloadOutcome {
  engine: ReloadEngine
  action: ReloadAction
  status: ReloadStatus
  reason: string
}

/** Runs RELOAD_SCRIPT on the host with `input` on stdin (ssh, or /bin/sh here). */
export type ReloadRunner = (script: string, input: string) => Promise<{exitCode: number; stdout: string; stderr: string}>

export interface HostReloader {
  facts: ReloadFacts
  run: ReloadRunner
}

/**
 * Fixed script: one request line per step, "<reload|restart> <0|1 daemon-reload> <unit>",
 * one answer line per step in order. The unit comes from stdin and is checked against a
 * plain name before systemctl sees it; it is never part of the script's text. systemctl or
 * the unit missing or not running: skipped, not failed.
 */
export const RELOAD_SCRIPT = `set -u
PATH="\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"
IFS= read -r magic || magic=
if [ "$magic" != "mirrorctl-reload 1" ]; then echo "mirrorctl-reload: unexpected request" >&2; exit 3; fi
echo "mirrorctl-reload-result 1"
oneline() { printf '%s' "$1" | tr '\\n\\r' '  ' | cut -c1-300; }
while IFS=' ' read -r action dr unit; do
  case $unit in ''|*[!a-zA-Z0-9_.@-]*) echo "step failed bad unit name"; continue ;; esac
  case $action in reload|restart) ;; *) echo "step failed bad action"; continue ;; esac
  if ! command -v systemctl >/dev/null 2>&1; then echo "step skipped systemctl not found"; continue; fi
  if ! systemctl is-active --quiet "$unit" 2>/dev/null; then
    s=$(systemctl is-active "$unit" 2>/dev/null | head -n 1)
    case $s in ''|*[!a-z-]*) s=unknown ;; esac
    echo "step skipped $unit is $s, not running"; continue
  fi
  if [ "$dr" = 1 ]; then
    if ! out=$(systemctl daemon-reload 2>&1); then echo "step failed systemctl daemon-reload: $(oneline "$out")"; continue; fi
  fi
  if out=$(systemctl "$action" "$unit" 2>&1); then echo "step done"; else echo "step failed systemctl $action $unit: $(oneline "$out")"; fi
done
`

/** The files a host's apply wrote, with their old and new text, for planReload. */
export function changedFiles(writes: readonly FileWrite[], written: readonly Pick<ChangedFile, 'engine' | 'path'>[]): ChangedFile[] {
  return written.flatMap((f) => {
    const w = writes.find((x) => x.path === f.path)
    return w ? [{engine: f.engine, path: f.path, before: w.expect, after: w.content}] : []
  })
}

/** Plans the steps, runs the ones left to run in one round trip, and reports each engine. */
export async function reloadHost(files: readonly ChangedFile[], facts: ReloadFacts, allowRestart: boolean, run: ReloadRunner | null): Promise<ReloadOutcome[]> {
  const steps = planReload(files, facts, allowRestart)
  const todo = steps.filter((s) => s.status === null)
  let answers: string[] = []
  let failure: string | null = null
  if (todo.length && run) {
    const input = ['mirrorctl-reload 1', ...todo.map((s) => `${s.action} ${s.daemonReload ? 1 : 0} ${s.unit}`)].join('\n') + '\n'
    try {
      const r = await run(RELOAD_SCRIPT, input)
      const out = r.stdout.slice(r.stdout.lastIndexOf('mirrorctl-reload-result 1'))
      answers = out.split('\n').filter((l) => l.startsWith('step '))
      if (r.exitCode !== 0 || !out.startsWith('mirrorctl-reload-result 1')) failure = r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error)
    }
  }
  let i = 0
  return steps.map((s) => outcomeOf(s, s.status === null ? (run ? (answers[i++] ?? null) : 'step skipped a --root tree is not running') : null, failure))
}

function outcomeOf(s: ReloadStep, answer: string | null, failure: string | null): ReloadOutcome {
  const base = {engine: s.engine, action: s.action}
  if (s.status !== null) return {...base, status: s.status, reason: s.reason}
  if (answer === null) return {...base, status: 'failed', reason: `${s.reason}: no answer from the host${failure ? ` (${failure})` : ''}`}
  const m = /^step (done|skipped|failed) ?(.*)$/.exec(answer)
  const status = (m?.[1] ?? 'failed') as ReloadStatus
  const detail = m?.[2] ?? answer
  return {...base, status, reason: status === 'done' ? s.reason : `${detail}; ${s.reason}`}
}

/** One line per host for the summary: "docker reload done, crio skipped (...)". */
export function renderReload(outcomes: readonly ReloadOutcome[]): string {
  return outcomes.map((o) => `${o.engine} ${o.action === 'none' ? 'no reload needed' : `${o.action} ${o.status}`}${o.status === 'done' && o.action !== 'none' ? '' : ` (${o.reason})`}`).join('; ')
}
