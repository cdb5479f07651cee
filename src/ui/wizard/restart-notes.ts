import type {PlannedHost} from '../../fleet/run-fleet.js'

/**
 * The restarts the planned files ask for, per host ("w1: restart k3s to apply it (…)"): the
 * setup apply writes files and does not restart engines, so the user is told what will not
 * take effect until they restart (containerd's config_path, k3s's registries.yaml, NO_PROXY).
 */
export function restartNotes(planned: readonly PlannedHost[]): string[] {
  const out: string[] = []
  for (const h of planned) {
    const actions = new Set((h.result.files ?? []).flatMap((f) => f.actions).filter((a) => /\brestart\b/.test(a)))
    for (const a of actions) out.push(`  ${h.result.host}: ${a}`)
  }
  return out
}
