/**
 * containerd's proxy settings: the environment systemd gives containerd.service (Go's
 * httpproxy reads it once, at the first pull). k3s and RKE2 run their own containerd as a
 * child of k3s.service (k3s-agent.service on agents), which inherits k3s's environment, except
 * that k3s copies each CONTAINERD_<NAME> over <NAME> for containerd alone (k3s-io/k3s #3552,
 * #5642). The k3s install script's unit reads /etc/default/%N, /etc/sysconfig/%N and
 * /etc/systemd/system/%N.service.env as EnvironmentFile=.
 */
import path from 'node:path'
import type {Host} from '../../hosts/host.js'
import {configFromSourcedEnv, type Setting} from '../../net/proxy.js'
import {Reader} from './host-reader.js'
import {SYSTEM_UNIT_DIRS} from '../../core/systemd-paths.js'
import {readServiceEnvironment, systemScope} from './systemd-service.js'
import {PROXY_NAMES, type EngineProxyConfig} from './types.js'

function proxyEnv(env: Record<string, Setting>): Record<string, Setting> {
  const out: Record<string, Setting> = {}
  for (const name of PROXY_NAMES) if (env[name]) out[name] = env[name]
  return out
}

export async function inspectContainerd(host: Host): Promise<EngineProxyConfig> {
  const reader = new Reader(host)
  const service = await readServiceEnvironment(reader, systemScope('containerd.service'), 'containerd.service')
  if (!service.mainUnit && service.dropIns.length === 0) reader.note('containerd.service', 'no unit file found; containerd is not installed as a systemd service here')
  const env = proxyEnv(service.env)
  return {engine: 'containerd', mode: 'rootful', config: configFromSourcedEnv(env), env, sources: reader.sources, needsRestart: 'systemctl daemon-reload && systemctl restart containerd', notes: reader.notes}
}

export async function inspectK3s(host: Host): Promise<EngineProxyConfig> {
  const reader = new Reader(host)
  // A server runs k3s.service; an agent installed by the script runs k3s-agent.service.
  let unit = 'k3s.service'
  for (const candidate of ['k3s.service', 'k3s-agent.service']) {
    const kinds = await Promise.all(SYSTEM_UNIT_DIRS.map(d => reader.kind(path.posix.join(d, candidate))))
    if (kinds.some(k => k !== null)) {
      unit = candidate
      break
    }
  }
  const service = await readServiceEnvironment(reader, systemScope(unit), unit)
  if (!service.mainUnit) reader.note(unit, 'no k3s.service or k3s-agent.service unit found')
  const env = proxyEnv(service.env)
  // CONTAINERD_HTTP_PROXY and friends reach containerd as HTTP_PROXY, over k3s's own value.
  for (const [name, setting] of Object.entries(service.env)) {
    const bare = name.startsWith('CONTAINERD_') ? name.slice('CONTAINERD_'.length) : null
    if (bare && PROXY_NAMES.includes(bare)) env[bare] = setting
  }
  const name = unit.replace(/\.service$/, '')
  return {engine: 'k3s', mode: 'rootful', config: configFromSourcedEnv(env), env, sources: reader.sources, needsRestart: `systemctl daemon-reload && systemctl restart ${name}`, notes: reader.notes}
}
