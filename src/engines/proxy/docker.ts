/**
 * dockerd's proxy settings (systemd): the unit file, its drop-ins (systemd order),
 * EnvironmentFile= files, the manager's DefaultEnvironment=, then --http-proxy/--https-proxy/
 * --no-proxy flags and daemon.json "proxies", which dockerd copies over its own environment
 * at start (23.0+); and where a NO_PROXY change has to go so that dockerd sees it.
 */
import path from 'node:path'
import type {Host} from '../../hosts/host.js'
import {parseDaemonJson, toValue} from '../../formats/daemon-json/parse.js'
import {dockerdCommand, parseDockerdArgs} from '../../formats/daemon-json/dockerd-flags.js'
import {configFromSourcedEnv, PROXY_VARIABLES, type Setting} from '../../net/proxy.js'
import {daemonJsonProxies} from './engine-env.js'
import {absoluteEnv, configHome, Reader} from './host-reader.js'
import {serviceNoProxyTarget} from './service-no-proxy.js'
import {readServiceEnvironment, systemScope, type SystemdScope} from './systemd-service.js'
import {PROXY_NAMES, type EngineProxyConfig, type EngineProxyOptions, type NoProxyTarget} from './types.js'

const posix = path.posix

interface DockerScope extends SystemdScope {
  daemonJson: string
}

async function dockerScope(reader: Reader): Promise<DockerScope> {
  const host = reader.host
  const config = configHome(host)
  // Rootless docker runs as a user service; a root shell always means the system daemon.
  if (!host.isRoot && config && (await reader.kind(posix.join(config, 'systemd/user/docker.service'))) === 'file') {
    const runtime = absoluteEnv(host, 'XDG_RUNTIME_DIR')
    const home = absoluteEnv(host, 'HOME')
    const data = absoluteEnv(host, 'XDG_DATA_HOME') ?? (home ? posix.join(home, '.local/share') : null)
    const present = (dirs: Array<string | null>): string[] => dirs.filter((d): d is string => d !== null)
    return {
      mode: 'rootless',
      unitDirs: present([
        posix.join(config, 'systemd/user.control'),
        runtime && posix.join(runtime, 'systemd/user.control'),
        runtime && posix.join(runtime, 'systemd/transient'),
        posix.join(config, 'systemd/user'),
        '/etc/systemd/user',
        runtime && posix.join(runtime, 'systemd/user'),
        '/run/systemd/user',
        data && posix.join(data, 'systemd/user'),
        '/usr/local/share/systemd/user',
        '/usr/share/systemd/user',
        '/usr/local/lib/systemd/user',
        '/usr/lib/systemd/user',
      ]),
      adminDir: posix.join(config, 'systemd/user/docker.service.d'),
      managerFiles: [posix.join(config, 'systemd/user.conf'), '/etc/systemd/user.conf', '/run/systemd/user.conf', '/usr/local/lib/systemd/user.conf', '/usr/lib/systemd/user.conf'],
      managerDropInDirs: [posix.join(config, 'systemd/user.conf.d'), '/etc/systemd/user.conf.d', '/run/systemd/user.conf.d', '/usr/local/lib/systemd/user.conf.d', '/usr/lib/systemd/user.conf.d'],
      systemctl: 'systemctl --user',
      daemonJson: posix.join(config, 'docker/daemon.json'),
    }
  }
  return {...systemScope('docker.service'), daemonJson: '/etc/docker/daemon.json'}
}

interface DockerInspection {
  result: EngineProxyConfig
  scope: DockerScope
  /** Drop-ins in the order systemd applies them. */
  dropIns: string[]
  environmentFiles: Set<string>
  /** The service environment before dockerd's own overrides. */
  serviceEnv: Record<string, Setting>
  daemonJsonPath: string
  /** daemon.json has a "proxies" object with at least one value dockerd uses. */
  daemonJsonHasProxies: boolean
  /** The ExecStart= file that sets --no-proxy, if any. */
  noProxyFlagFile: string | null
  /** dockerd's command line as systemd starts it, and the unit file that sets it. */
  command: {argv: string[]; unitPath: string} | null
}

export async function inspectDocker(host: Host, options: EngineProxyOptions): Promise<DockerInspection> {
  const reader = new Reader(host)
  const scope = await dockerScope(reader)

  const service = await readServiceEnvironment(reader, scope, 'docker.service')
  const {dropIns, unitFiles, unitTexts, environmentFiles} = service

  // dockerd's own options: flags on ExecStart= and daemon.json "proxies" (both 23.0+).
  const plainEnv = Object.fromEntries(Object.entries(service.env).map(([k, v]) => [k, v.value]))
  const command = dockerdCommand(unitTexts, plainEnv)
  const flagSettings: Partial<Record<'http-proxy' | 'https-proxy' | 'no-proxy', Setting>> = {}
  let configFile: string | null = null
  let noProxyFlagFile: string | null = null
  if (command) {
    const at = `${unitFiles[command.file]}:${command.line}`
    for (const flag of parseDockerdArgs(command.argv.slice(1))) {
      if (flag.value === null) continue
      if (flag.name === 'config-file') configFile = flag.value
      if (flag.name === 'http-proxy' || flag.name === 'https-proxy' || flag.name === 'no-proxy') {
        flagSettings[flag.name] = {value: flag.value, source: `${at}: --${flag.name}`}
        if (flag.name === 'no-proxy') noProxyFlagFile = unitFiles[command.file]!
      }
    }
  }

  const daemonJsonPath = options.daemonJsonPath ?? configFile ?? scope.daemonJson
  let daemonJsonHasProxies = false
  const fromFile: Partial<Record<'http-proxy' | 'https-proxy' | 'no-proxy', Setting>> = {}
  const daemonText = await reader.read(daemonJsonPath)
  if (daemonText !== null) {
    const doc = parseDaemonJson(daemonText, daemonJsonPath)
    const fatal = doc.syntaxFindings.find(f => f.severity === 'error')
    if (fatal) {
      reader.note(`${daemonJsonPath}:${fatal.line}:${fatal.column}`, `${fatal.message}; dockerd refuses to start with this file, so its "proxies" are ignored here`)
    } else if (doc.root) {
      const {proxies, warnings} = daemonJsonProxies(toValue(doc.root), daemonJsonPath)
      reader.warnings(warnings)
      if (proxies.httpProxy) fromFile['http-proxy'] = proxies.httpProxy
      if (proxies.httpsProxy) fromFile['https-proxy'] = proxies.httpsProxy
      if (proxies.noProxy) fromFile['no-proxy'] = proxies.noProxy
      daemonJsonHasProxies = Object.keys(fromFile).length > 0
    }
  }

  // dockerd writes each non-empty option over both spellings of the variable in its own env.
  const env: Record<string, Setting> = {}
  for (const name of PROXY_NAMES) if (service.env[name]) env[name] = service.env[name]
  const overrides = [
    ['http-proxy', PROXY_VARIABLES.httpProxy],
    ['https-proxy', PROXY_VARIABLES.httpsProxy],
    ['no-proxy', PROXY_VARIABLES.noProxy],
  ] as const
  for (const [key, names] of overrides) {
    if (flagSettings[key] && fromFile[key]) {
      reader.note(daemonJsonPath, `proxies.${key} is also given as --${key} on dockerd's command line (${flagSettings[key].source.replace(/: --.*$/, '')}); dockerd refuses to start with both`)
    }
    const setting = fromFile[key] ?? flagSettings[key]
    if (setting && setting.value !== '') for (const name of names) env[name] = setting
  }

  return {
    result: {
      engine: 'docker',
      mode: scope.mode,
      config: configFromSourcedEnv(env),
      env,
      sources: reader.sources,
      needsRestart: `${scope.systemctl} daemon-reload && ${scope.systemctl} restart docker`,
      notes: reader.notes,
    },
    scope,
    dropIns,
    environmentFiles,
    serviceEnv: service.env,
    daemonJsonPath,
    daemonJsonHasProxies,
    noProxyFlagFile,
    command: command ? {argv: command.argv, unitPath: unitFiles[command.file]!} : null,
  }
}

export function dockerNoProxyTarget(d: DockerInspection): NoProxyTarget {
  const current = d.result.config.noProxy?.value
  const restart = d.result.needsRestart
  const plainRestart = `${d.scope.systemctl} restart docker`
  if (d.noProxyFlagFile) {
    return {
      kind: 'dockerd-flag',
      path: d.noProxyFlagFile,
      variable: 'NO_PROXY',
      current,
      writable: false,
      reason: `dockerd is started with --no-proxy in ${d.noProxyFlagFile}; change the flag there (daemon.json "proxies" would conflict with it)`,
      restart,
    }
  }
  if (d.daemonJsonHasProxies) {
    return {
      kind: 'daemon-json',
      path: d.daemonJsonPath,
      variable: 'proxies.no-proxy',
      current,
      writable: true,
      reason: `${d.daemonJsonPath} sets "proxies", which dockerd copies over its environment, so the bypass list belongs there too`,
      restart: plainRestart,
    }
  }
  return serviceNoProxyTarget(
    {unit: 'docker.service', env: d.serviceEnv, dropIns: d.dropIns, environmentFiles: d.environmentFiles, adminDir: d.scope.adminDir},
    {names: ['NO_PROXY', 'no_proxy'], proxyNames: ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'], current, restart, plainRestart},
  )
}
