/**
 * k3s's (and RKE2's) proxy settings for image pulls, and where a NO_PROXY change reaches them.
 * k3s runs its own containerd as a child of k3s.service (k3s-agent.service on agents installed
 * by the script; rke2-server/rke2-agent for RKE2), which inherits k3s's environment, except
 * that each CONTAINERD_<NAME> is renamed to <NAME> and appended after the others, so it wins
 * over the plain variable for containerd alone (k3s-io/k3s pkg/agent/containerd/containerd.go,
 * Run: `cmd.Env = append(env, cenv...)`; Go's exec keeps the last duplicate). The install
 * script's unit reads EnvironmentFile= /etc/default/%N, /etc/sysconfig/%N and
 * /etc/systemd/system/%N.service.env, in that order (a later file wins).
 */
import path from 'node:path'
import type {Host} from '../../hosts/host.js'
import {configFromSourcedEnv, type Setting} from '../../net/proxy.js'
import {SYSTEM_UNIT_DIRS} from '../../core/systemd-paths.js'
import {Reader} from './host-reader.js'
import {fileOf, serviceNoProxyTarget} from './service-no-proxy.js'
import {readServiceEnvironment, systemScope, type ServiceEnvironment} from './systemd-service.js'
import {PROXY_NAMES, type EngineProxyConfig, type NoProxyTarget} from './types.js'

const UNITS = ['k3s.service', 'k3s-agent.service', 'rke2-server.service', 'rke2-agent.service'] as const
const PREFIX = 'CONTAINERD_'

export interface K3sInspection {
  result: EngineProxyConfig
  unit: string
  service: ServiceEnvironment
}

/** The first k3s/RKE2 unit installed here (a server's k3s.service when none is). */
async function k3sUnit(reader: Reader): Promise<string> {
  for (const candidate of UNITS) {
    const kinds = await Promise.all(SYSTEM_UNIT_DIRS.map(d => reader.kind(path.posix.join(d, candidate))))
    if (kinds.some(k => k !== null)) return candidate
  }
  return UNITS[0]
}

/** The proxy variables containerd gets from k3s: CONTAINERD_<NAME> over <NAME>. */
export function containerdEnvOfK3s(serviceEnv: Readonly<Record<string, Setting>>): Record<string, Setting> {
  const env: Record<string, Setting> = {}
  for (const name of PROXY_NAMES) {
    const setting = serviceEnv[PREFIX + name] ?? serviceEnv[name]
    if (setting) env[name] = setting
  }
  return env
}

export async function inspectK3sService(host: Host): Promise<K3sInspection> {
  const reader = new Reader(host)
  const unit = await k3sUnit(reader)
  const service = await readServiceEnvironment(reader, systemScope(unit), unit)
  if (!service.mainUnit) reader.note(unit, `no ${UNITS.join(' or ')} unit found`)
  const env = containerdEnvOfK3s(service.env)
  const name = unit.replace(/\.service$/, '')
  return {
    result: {engine: 'k3s', mode: 'rootful', config: configFromSourcedEnv(env), env, sources: reader.sources, needsRestart: `systemctl daemon-reload && systemctl restart ${name}`, notes: reader.notes},
    unit,
    service,
  }
}

export async function inspectK3s(host: Host): Promise<EngineProxyConfig> {
  return (await inspectK3sService(host)).result
}

/**
 * Where NO_PROXY for k3s's containerd goes: CONTAINERD_NO_PROXY when k3s is given any
 * CONTAINERD_* proxy variable (the override in use; a plain NO_PROXY would lose to it or not
 * apply to the proxy it pairs with), else NO_PROXY and no_proxy. The file is an
 * EnvironmentFile= of the unit: the one that sets the variable now, else the one that sets the
 * proxy, else the last one present, else the unit's own %N.service.env (created); a unit
 * without EnvironmentFile= gets a drop-in.
 */
export function k3sNoProxyTarget(k: K3sInspection): NoProxyTarget {
  const env = k.service.env
  const override = PROXY_NAMES.some(n => env[PREFIX + n] !== undefined)
  const names = override ? [`${PREFIX}NO_PROXY`, ...(env[`${PREFIX}no_proxy`] ? [`${PREFIX}no_proxy`] : [])] : ['NO_PROXY', 'no_proxy']
  const proxyNames = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].flatMap(n => (override ? [PREFIX + n, n] : [n]))
  const current = k.result.config.noProxy?.value
  const name = k.unit.replace(/\.service$/, '')
  const plainRestart = `systemctl restart ${name}`
  const base = {kind: 'environment-file' as const, variable: 'NO_PROXY' as const, names, current, writable: true, restart: plainRestart}
  const why = override ? `k3s passes ${PREFIX}NO_PROXY to its containerd as NO_PROXY, over the plain variable (${PREFIX}* proxy variables are in use)` : `k3s's containerd inherits NO_PROXY from ${k.unit}`

  const inEnvFile = (file: string | null): file is string => file !== null && k.service.environmentFiles.has(file)
  const winner = fileOf(names.map(n => env[n]).find(v => v !== undefined))
  if (inEnvFile(winner)) return {...base, path: winner, reason: `${why}; ${names[0]} is set in ${winner}`}
  const proxyFile = proxyNames.map(n => fileOf(env[n])).find(inEnvFile)
  if (proxyFile) return {...base, path: proxyFile, reason: `${why}; the proxy is set in ${proxyFile}, an EnvironmentFile= of ${k.unit}`}
  const refs = k.service.environmentFileRefs
  const present = refs.filter(f => k.service.environmentFiles.has(f)).pop()
  const own = refs.find(f => f.endsWith(`/${name}.service.env`)) ?? refs[refs.length - 1]
  const file = present ?? own
  if (file) return {...base, path: file, reason: `${why}; ${file} is an EnvironmentFile= of ${k.unit}, read after its Environment= lines`}
  return serviceNoProxyTarget(
    {unit: k.unit, env, dropIns: k.service.dropIns, environmentFiles: k.service.environmentFiles, adminDir: `/etc/systemd/system/${k.unit}.d`},
    {names, proxyNames, current, restart: k.result.needsRestart, plainRestart},
  )
}
