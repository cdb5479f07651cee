import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {K3S_REGISTRIES, RKE2_REGISTRIES, lintK3sRegistries, parseK3sRegistries, planK3sRegistries} from '../formats/k3s-registries/index.js'
import type {PlannedWrite} from '../hosts/apply-changes.js'

/** A planned file with what to tell the user about it. */
type PlannedChange = PlannedWrite & {actions: string[]}
import type {Host} from '../hosts/host.js'
import type {MirrorChange} from '../policy/mirror-policy.js'

/** registries.yaml of k3s, or of RKE2 when only RKE2's folder exists. */
export async function locateK3sRegistries(host: Host, given?: string): Promise<string> {
  if (given) return given
  if (!(await host.stat('/etc/rancher/k3s')) && (await host.stat('/etc/rancher/rke2'))) return RKE2_REGISTRIES
  return K3S_REGISTRIES
}

/** Plans a mirror change into registries.yaml (reads only); k3s/RKE2 need a restart to read it. */
export async function planK3sChange(host: Host, change: MirrorChange, options: {file?: string | undefined}): Promise<PlannedChange[]> {
  if (change.source.includes('/')) throw new UserError(`registries.yaml mirrors whole registries, not the prefix ${change.source}`, {hint: 'give a registry host such as docker.io'})
  if (change.action === 'add' && change.location !== null) throw new UserError('registries.yaml redirects with rewrite rules, which mirrorctl does not write (--location)', {hint: 'edit mirrors.<registry>.rewrite by hand'})
  const path = await locateK3sRegistries(host, options.file)
  const before = await host.readFile(path)
  const doc = before === null ? null : parseK3sRegistries(before, path)
  const errors = doc ? lintK3sRegistries(doc).filter((f) => f.severity === 'error') : []
  if (errors.length)
    throw new UserError(`${errors[0]!.message}; nothing was written`, {
      exitCode: ExitCode.Findings,
      position: {file: path, line: errors[0]!.line, column: errors[0]!.column},
      rule: errors[0]!.rule,
      hint: errors[0]!.hint,
    })
  const plan = planK3sRegistries(doc, change)
  if (plan.after === (before ?? '')) return []
  // RKE2 reads its own file: name its services rather than k3s's.
  const actions = path.startsWith('/etc/rancher/rke2/')
    ? plan.actions.map((a) => (a.startsWith('restart k3s') ? 'restart rke2-server (rke2-agent on agents) to apply it: registries.yaml is read at start' : a))
    : plan.actions
  return [{path, before, after: plan.after, actions}]
}

/** k3s or RKE2 is installed when its /etc/rancher folder exists. */
export async function k3sInUse(host: Host): Promise<boolean> {
  return Boolean((await host.stat('/etc/rancher/k3s')) ?? (await host.stat('/etc/rancher/rke2')))
}
