/**
 * `check --hosts/--inventory`: each host's mirrors (its own configs, or the MIRROR
 * arguments) asked for /v2/ from that host, along the route its engine takes there.
 */

import {defaultEngine, engineMirrors, mirrorCaFiles, noMirrors, type MirrorEngine} from '../engines/engine-mirrors.js'
import {engineProxyConfig} from '../engines/engine-network.js'
import type {Host} from '../hosts/host.js'
import {parseMirrorArgument, type MirrorTarget} from '../net/mirror-target.js'
import type {Styles} from '../core/color.js'
import {judgeProbes, planMirrorProbe, probeRequests, type MirrorProbe, type MirrorResult} from './mirror-probe.js'
import type {HostProbePlan, HostProbeResult} from './probe-hosts.js'

export interface HostCheckOptions {
  /** --engine (or implied by --daemon-json / --containerd-hosts-dir); null: decided per host. */
  engine: MirrorEngine | null
  /** MIRROR arguments; empty: the host's configured mirrors. */
  mirrors: readonly string[]
  insecure: boolean
  overrides: Readonly<Record<string, string>>
  timeoutSeconds: number
  registriesConf?: string | undefined
  registriesConfDir?: string | undefined
  daemonJson?: string | undefined
  containerdHostsDir?: string | undefined
}

export interface HostCheckValue {
  engine: MirrorEngine
  mirrors: MirrorResult[]
}

/** The requests for one host, planned on its gathered files and environment. */
export async function planHostCheck(host: Host, o: HostCheckOptions): Promise<HostProbePlan<HostCheckValue>> {
  const engine: MirrorEngine = o.engine ?? (await defaultEngine(host, {'daemon-json': o.daemonJson}))
  let targets: MirrorTarget[]
  if (o.mirrors.length) {
    targets = o.mirrors.map((m) => parseMirrorArgument(m, {insecure: o.insecure}))
  } else {
    const found = await engineMirrors(host, engine, {registriesConf: o.registriesConf, registriesConfDir: o.registriesConfDir, daemonJson: o.daemonJson, containerdHostsDir: o.containerdHostsDir, treeRoot: false})
    if (!found.targets.length) throw noMirrors(found)
    targets = found.targets
  }
  const {config} = await engineProxyConfig(host, engine, o.overrides)
  const probes: MirrorProbe[] = []
  for (const t of targets) probes.push(planMirrorProbe(t, config, await mirrorCaFiles(host, engine, t), o.timeoutSeconds))
  return {
    requests: probeRequests(probes),
    judge(answers) {
      const mirrors = judgeProbes(probes, answers)
      const failed = mirrors.filter((m) => m.status === 'failed')
      const ok = mirrors.filter((m) => m.status === 'ok').length
      const detail = failed.length ? `${failed.length} of ${mirrors.length} mirror${mirrors.length === 1 ? '' : 's'} failed: ${failed.map((m) => `${m.mirror}: ${m.detail}`).join('; ')}` : `${ok} of ${mirrors.length} mirror${mirrors.length === 1 ? '' : 's'} OK (${engine})`
      // Nothing proven (no curl or wget there) is not a pass.
      return {ok: !failed.length && ok > 0, detail: ok || failed.length ? detail : mirrors[0]?.detail ?? 'nothing to check', value: {engine, mirrors}}
    },
  }
}

export function hostCheckJson(results: readonly HostProbeResult<HostCheckValue>[]): unknown {
  return {hosts: results.map((r) => ({host: r.host, status: r.ok ? 'ok' : 'failed', reason: r.ok ? null : r.detail, engine: r.value?.engine ?? null, mirrors: r.value?.mirrors ?? []}))}
}

/** One line per mirror per host; a host that failed before asking shows its reason. */
export function renderHostChecks(results: readonly HostProbeResult<HostCheckValue>[], s: Styles): string {
  const width = Math.max(4, ...results.map((r) => r.host.length))
  const lines = [s.bold(`${'HOST'.padEnd(width)}  ${'STATUS'.padEnd(7)}  MIRROR / DETAIL`)]
  for (const r of results) {
    const mark = (ok: boolean, text: string) => (ok ? s.green(text.padEnd(7)) : s.red(text.padEnd(7)))
    if (!r.value) {
      lines.push(`${r.host.padEnd(width)}  ${mark(false, 'failed')}  ${r.detail}`)
      continue
    }
    for (const m of r.value.mirrors) {
      const route = m.route.proxy ? `via ${m.route.proxy}` : 'direct'
      lines.push(`${r.host.padEnd(width)}  ${m.status === 'ok' ? mark(true, 'ok') : m.status === 'skipped' ? s.dim('skipped') : mark(false, 'failed')}  ${m.mirror} (${r.value.engine}, ${route}): ${m.detail}`)
    }
  }
  const failed = results.filter((r) => !r.ok).length
  lines.push(`${results.length} host${results.length === 1 ? '' : 's'}: ${results.length - failed} OK, ${failed} failed`)
  return lines.join('\n')
}
