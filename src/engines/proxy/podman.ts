/**
 * podman's (and buildah's) proxy settings: the invoking process's environment, plus
 * containers.conf [engine] env entries for variables the process does not define
 * (containers/common setupEnv); and where a NO_PROXY change has to go.
 */
import path from 'node:path'
import type {Host} from '../../hosts/host.js'
import {configFromSourcedEnv, type Setting, type SourcedEnv} from '../../net/proxy.js'
import {containersConfEngineEnv, parseContainersConf, type EngineEnvEntry} from './engine-env.js'
import {configHome, Reader} from './host-reader.js'
import {PROXY_NAMES, type EngineProxyConfig, type NoProxyTarget} from './types.js'

const posix = path.posix

interface PodmanInspection {
  result: EngineProxyConfig
  processEnv: SourcedEnv
  entries: EngineEnvEntry[]
  /** Files that set [engine] env, in load order. */
  envFiles: string[]
  /** CONTAINERS_CONF, when set: the only file besides CONTAINERS_CONF_OVERRIDE. */
  containersConf: string | null
  userConfigDir: string | null
}

const PODMAN_NO_RESTART = 'nothing to restart: each podman command reads containers.conf when it starts (restart podman.service if you use the API service)'

/**
 * containers.conf files in the order containers/common (podman 5) reads them: with
 * CONTAINERS_CONF only that file; otherwise /usr/share, /etc and its .d folder, for rootless
 * /etc/containers/containers.rootless.conf(.d), then the user's file and .d folder (current
 * containers/common reads these as root too; older releases only for rootless);
 * CONTAINERS_CONF_OVERRIDE always last.
 * (The per-UID folder containers.rootless.conf.d/<UID> is not read: Host has no UID.)
 */
async function containersConfFiles(reader: Reader): Promise<{files: string[]; named: Set<string>; containersConf: string | null; userConfigDir: string | null}> {
  const host = reader.host
  const config = configHome(host)
  const userConfigDir = config ? posix.join(config, 'containers') : null
  const files: string[] = []
  const containersConf = host.env.CONTAINERS_CONF ? posix.resolve('/', host.env.CONTAINERS_CONF) : null
  if (containersConf) {
    files.push(containersConf)
  } else {
    files.push('/usr/share/containers/containers.conf', '/etc/containers/containers.conf')
    files.push(...(await reader.confFiles(['/etc/containers/containers.conf.d'])))
    if (!host.isRoot) {
      files.push('/etc/containers/containers.rootless.conf')
      files.push(...(await reader.confFiles(['/etc/containers/containers.rootless.conf.d'])))
    }
    if (userConfigDir) {
      files.push(posix.join(userConfigDir, 'containers.conf'))
      files.push(...(await reader.confFiles([posix.join(userConfigDir, 'containers.conf.d')])))
    }
  }
  const override = host.env.CONTAINERS_CONF_OVERRIDE ? posix.resolve('/', host.env.CONTAINERS_CONF_OVERRIDE) : null
  if (override) files.push(override)
  const named = new Set([containersConf, override].filter((f): f is string => f !== null))
  return {files, named, containersConf, userConfigDir}
}

export async function inspectPodman(host: Host): Promise<PodmanInspection> {
  const reader = new Reader(host)
  const {files, named, containersConf, userConfigDir} = await containersConfFiles(reader)
  const parsed: Array<{file: string; config: unknown}> = []
  const envFiles: string[] = []
  for (const file of files) {
    if ((await reader.kind(file)) === 'directory') continue
    const text = await reader.read(file)
    if (text === null) {
      if (named.has(file)) reader.note(file, 'named by the environment but missing: podman refuses to run')
      continue
    }
    const data = parseContainersConf(text)
    if ('error' in data) {
      reader.note(data.line ? `${file}:${data.line}` : file, `TOML syntax error (${data.error}); podman refuses to run with this file, so it is ignored here`)
      continue
    }
    parsed.push({file, config: data.value})
    const engine = (data.value as {engine?: unknown}).engine
    if (typeof engine === 'object' && engine !== null && 'env' in engine) envFiles.push(file)
  }
  const {entries, warnings} = containersConfEngineEnv(parsed)
  reader.warnings(warnings)

  const processEnv: Record<string, Setting> = {}
  for (const name of PROXY_NAMES) {
    const value = host.env[name]
    if (value !== undefined) processEnv[name] = {value, source: name}
  }
  // setupEnv: an entry only fills a variable the process does not define; the first entry wins.
  const env: Record<string, Setting> = {...processEnv}
  for (const entry of entries) {
    if (PROXY_NAMES.includes(entry.name) && !(entry.name in env)) env[entry.name] = {value: entry.value, source: entry.source}
  }
  return {
    result: {
      engine: 'podman',
      mode: host.isRoot ? 'rootful' : 'rootless',
      config: configFromSourcedEnv(env),
      env,
      sources: reader.sources,
      needsRestart: PODMAN_NO_RESTART,
      notes: reader.notes,
    },
    processEnv,
    entries,
    envFiles,
    containersConf,
    userConfigDir,
  }
}


export function podmanNoProxyTarget(host: Host, p: PodmanInspection): NoProxyTarget {
  const current = p.result.config.noProxy?.value
  const restart = p.result.needsRestart
  if (p.processEnv.NO_PROXY) {
    return {
      kind: 'environment',
      path: null,
      variable: 'NO_PROXY',
      current,
      writable: false,
      reason: 'NO_PROXY is set in the environment podman is started from (shell profile, CI job, or the unit of podman.service); containers.conf cannot override it and mirrorctl cannot change it, so change it where it is set',
      restart,
    }
  }
  const entry = p.entries.find(e => e.name === 'NO_PROXY')
  const entryFile = entry ? entry.source.replace(/ \[engine\] env: NO_PROXY$/, '') : null
  if (entryFile) {
    return {kind: 'containers-conf', path: entryFile, variable: 'NO_PROXY', current, writable: true, reason: `NO_PROXY is set in the [engine] env of ${entryFile}`, restart}
  }
  // A later file's env list replaces the earlier ones, so add to the list in force.
  const last = p.envFiles[p.envFiles.length - 1]
  if (last) {
    return {kind: 'containers-conf', path: last, variable: 'NO_PROXY', current, writable: true, reason: `${last} holds the [engine] env list podman uses`, restart}
  }
  // A drop-in: creating a main file could hide another main file in newer containers.conf loaders.
  const path = p.containersConf ?? (host.isRoot || !p.userConfigDir ? '/etc/containers/containers.conf.d/50-mirrorctl-no-proxy.conf' : posix.join(p.userConfigDir, 'containers.conf.d/50-mirrorctl-no-proxy.conf'))
  return {kind: 'containers-conf', path, variable: 'NO_PROXY', current, writable: true, reason: `no containers.conf sets [engine] env; podman adds ${path}'s entries to its environment`, restart}
}

