/**
 * containerd's proxy settings: the environment systemd gives containerd.service (Go's
 * httpproxy reads it once, at the first pull), and where NO_PROXY must go for it to see a
 * change. k3s's containerd is in k3s.ts.
 */
import type {Host} from '../../hosts/host.js'
import {configFromSourcedEnv, type Setting} from '../../net/proxy.js'
import {Reader} from './host-reader.js'
import {serviceNoProxyTarget} from './service-no-proxy.js'
import {readServiceEnvironment, systemScope, type ServiceEnvironment} from './systemd-service.js'
import {PROXY_NAMES, type EngineProxyConfig, type NoProxyTarget} from './types.js'

function proxyEnv(env: Record<string, Setting>): Record<string, Setting> {
  const out: Record<string, Setting> = {}
  for (const name of PROXY_NAMES) if (env[name]) out[name] = env[name]
  return out
}

interface ContainerdInspection {
  result: EngineProxyConfig
  service: ServiceEnvironment
}

async function inspectContainerdService(host: Host): Promise<ContainerdInspection> {
  const reader = new Reader(host)
  const service = await readServiceEnvironment(reader, systemScope('containerd.service'), 'containerd.service')
  if (!service.mainUnit && service.dropIns.length === 0) reader.note('containerd.service', 'no unit file found; containerd is not installed as a systemd service here')
  const env = proxyEnv(service.env)
  return {result: {engine: 'containerd', mode: 'rootful', config: configFromSourcedEnv(env), env, sources: reader.sources, needsRestart: 'systemctl daemon-reload && systemctl restart containerd', notes: reader.notes}, service}
}

export async function inspectContainerd(host: Host): Promise<EngineProxyConfig> {
  return (await inspectContainerdService(host)).result
}

/** containerd.service: the EnvironmentFile= or drop-in that sets NO_PROXY now, else a drop-in of the administrator's (as for docker.service). */
export async function containerdNoProxyTarget(host: Host): Promise<NoProxyTarget> {
  const {result, service} = await inspectContainerdService(host)
  return serviceNoProxyTarget(
    {unit: 'containerd.service', env: service.env, dropIns: service.dropIns, environmentFiles: service.environmentFiles, adminDir: systemScope('containerd.service').adminDir},
    {names: ['NO_PROXY', 'no_proxy'], proxyNames: ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'], current: result.config.noProxy?.value, restart: result.needsRestart, plainRestart: 'systemctl restart containerd'},
  )
}
