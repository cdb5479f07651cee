/**
 * The proxy settings docker and podman use on one host, read through a Host (so --root and SSH
 * work), where a NO_PROXY change has to be written so that the engine actually sees it, and the
 * pure text edits for those places (systemd drop-in, EnvironmentFile, containers.conf).
 *
 * The parsing itself lives in proxy-sources.ts; this module only decides which files exist,
 * in which order the engine reads them, and how their values combine.
 *
 * - dockerd (systemd): the unit file, its drop-ins (systemd order), EnvironmentFile= files,
 *   the manager's DefaultEnvironment=, then --http-proxy/--https-proxy/--no-proxy flags and
 *   daemon.json "proxies", which dockerd copies over its own environment at start (23.0+).
 * - podman: the invoking process's environment, plus containers.conf [engine] env entries
 *   for variables the process does not define (containers/common setupEnv).
 *
 * Notes and errors never quote values: proxy URLs carry passwords.
 */

import path from 'node:path'
import {getStaticTOMLValue, parseTOML, type AST} from 'toml-eslint-parser'
import {UserError} from '../core/errors.js'
import type {Host} from '../hosts/host.js'
import {parseDaemonJson, toValue} from '../formats/daemon-json/parse.js'
import {dockerdCommand, parseDockerdArgs} from '../formats/daemon-json/dockerd-flags.js'
import {SYSTEM_MANAGER_FILES, SYSTEM_UNIT_DIRS} from './systemd-paths.js'
import {configFromSourcedEnv, PROXY_VARIABLES, type ProxyConfig, type Setting, type SourcedEnv} from '../net/proxy.js'
import {
  containersConfEngineEnv,
  daemonJsonProxies,
  mergeUnitEnvironment,
  parseEnvironmentFile,
  parseSystemdUnit,
  serviceEnvironment,
  systemdDropInOrder,
  type EngineEnvEntry,
  type EnvironmentFileContent,
  type ParsedUnit,
  type SourceWarning,
} from './proxy-sources.js'

const posix = path.posix

export type ProxyEngine = 'docker' | 'podman'

export interface EngineProxyOptions {
  /** dockerd's daemon.json to read instead of the default (or of dockerd's --config-file). */
  daemonJsonPath?: string | undefined
}

export interface EngineProxyConfig {
  engine: ProxyEngine
  /** Whether the rootful or the rootless (per-user) engine was read. */
  mode: 'rootful' | 'rootless'
  /** What Go in the engine decides with. */
  config: ProxyConfig
  /**
   * The proxy variables the engine process ends up with, each with its origin
   * ("file:line: NAME", "file proxies.https-proxy", "file [engine] env: NAME", or the bare
   * name for the invoking environment). Lets a caller override single variables.
   */
  env: Record<string, Setting>
  /** Files that were read, in the order the engine reads them. */
  sources: string[]
  /** The command that makes the engine see a change (or why none is needed). */
  needsRestart: string
  /** Things the caller should tell the user (unreadable or broken files, ignored lines). */
  notes: string[]
}

/** All names Go reads for proxying, upper case first. */
const PROXY_NAMES: readonly string[] = [...PROXY_VARIABLES.httpProxy, ...PROXY_VARIABLES.httpsProxy, ...PROXY_VARIABLES.noProxy]

// ---------------------------------------------------------------------------------------
// Reading through the host

/** Reads through the host, remembering what was read and turning failures into notes. */
class Reader {
  readonly sources: string[] = []
  readonly notes: string[] = []

  constructor(readonly host: Host) {}

  note(where: string, message: string): void {
    this.notes.push(`${where}: ${message}`)
  }

  warnings(list: readonly SourceWarning[]): void {
    for (const w of list) this.note(w.line === null ? w.file : `${w.file}:${w.line}`, w.message)
  }

  async read(file: string): Promise<string | null> {
    try {
      const text = await this.host.readFile(file)
      if (text !== null) this.sources.push(file)
      return text
    } catch (error) {
      this.note(file, `cannot read it (${errorCode(error)}); the answer may be incomplete`)
      return null
    }
  }

  async kind(file: string): Promise<'file' | 'directory' | 'other' | null> {
    try {
      return (await this.host.stat(file))?.kind ?? null
    } catch (error) {
      this.note(file, `cannot inspect it (${errorCode(error)})`)
      return null
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await this.host.listDir(dir)) ?? []
    } catch (error) {
      this.note(dir, `cannot list it (${errorCode(error)}); the answer may be incomplete`)
      return []
    }
  }

  /** "*.conf" entries of several folders, as full paths, in folder order then name order. */
  async confFiles(dirs: readonly string[]): Promise<string[]> {
    const out: string[] = []
    for (const dir of dirs) for (const name of await this.list(dir)) if (name.endsWith('.conf')) out.push(posix.join(dir, name))
    return out
  }
}

function errorCode(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined
  return e?.code ?? (error instanceof Error ? error.message : String(error))
}

function absoluteEnv(host: Host, name: string): string | null {
  const v = host.env[name]
  return v && posix.isAbsolute(v) ? v : null
}

/** $XDG_CONFIG_HOME, else $HOME/.config; null without a usable HOME. */
function configHome(host: Host): string | null {
  const xdg = absoluteEnv(host, 'XDG_CONFIG_HOME')
  if (xdg) return xdg
  const home = absoluteEnv(host, 'HOME')
  return home ? posix.join(home, '.config') : null
}

/** Path patterns of EnvironmentFile= may hold shell globs (systemd.exec(5)); sorted like glob(3). */
async function expandGlob(reader: Reader, pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern]
  let bases = ['/']
  for (const part of pattern.split('/').filter(p => p !== '')) {
    const next: string[] = []
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(posix.join(base, part))
        continue
      }
      const re = globPart(part)
      for (const name of await reader.list(base)) {
        if (re.test(name) && (!name.startsWith('.') || part.startsWith('.'))) next.push(posix.join(base, name))
      }
    }
    bases = next
  }
  return bases.sort()
}

function globPart(part: string): RegExp {
  let re = ''
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[' && part.indexOf(']', i + 2) > 0) {
      const end = part.indexOf(']', i + 2)
      let body = part.slice(i + 1, end)
      if (body.startsWith('!')) body = `^${body.slice(1)}`
      re += `[${body.replace(/\\/g, '\\\\')}]`
      i = end
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

// ---------------------------------------------------------------------------------------
// docker

interface SystemdScope {
  mode: 'rootful' | 'rootless'
  /** Unit folders, highest priority first (systemd.unit(5) "Unit File Load Path"). */
  unitDirs: string[]
  /** Where an administrator's drop-ins go. */
  adminDir: string
  /** Manager configuration with DefaultEnvironment=: main file candidates, drop-in folders (highest first). */
  managerFiles: string[]
  managerDropInDirs: string[]
  systemctl: string
  daemonJson: string
}

async function dockerScope(reader: Reader): Promise<SystemdScope> {
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
  return {
    mode: 'rootful',
    unitDirs: [...SYSTEM_UNIT_DIRS],
    adminDir: '/etc/systemd/system/docker.service.d',
    managerFiles: [...SYSTEM_MANAGER_FILES],
    managerDropInDirs: SYSTEM_MANAGER_FILES.map(f => `${f}.d`),
    systemctl: 'systemctl',
    daemonJson: '/etc/docker/daemon.json',
  }
}

/**
 * DefaultEnvironment= of system.conf/user.conf, read with the unit parser: the [Manager]
 * section becomes [Service] and the key becomes Environment= (same quoting rules), keeping
 * line numbers so sources still point at the right line.
 */
function managerDefaults(text: string, file: string): ParsedUnit {
  const lines = text.split(/(\r\n|\r|\n)/)
  for (let i = 0; i < lines.length; i += 2) {
    const line = lines[i]!
    if (/^[ \t]*\[Manager\][ \t]*$/.test(line)) lines[i] = '[Service]'
    else if (/^[ \t]*\[/.test(line)) lines[i] = '[X-Other]'
    else if (/^[ \t]*DefaultEnvironment[ \t]*=/.test(line)) lines[i] = line.replace('DefaultEnvironment', 'Environment')
    else if (/^[ \t]*(?:Environment|EnvironmentFile|UnsetEnvironment)[ \t]*=/.test(line)) lines[i] = '# not a manager setting'
  }
  const unit = parseSystemdUnit(lines.join(''), file)
  for (const w of unit.warnings) w.message = w.message.replace(/\bEnvironment=/g, 'DefaultEnvironment=')
  return unit
}

interface DockerInspection {
  result: EngineProxyConfig
  scope: SystemdScope
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

async function inspectDocker(host: Host, options: EngineProxyOptions): Promise<DockerInspection> {
  const reader = new Reader(host)
  const scope = await dockerScope(reader)

  // The manager's DefaultEnvironment=: the first main file found, then its drop-ins.
  const managerUnits: ParsedUnit[] = []
  for (const file of scope.managerFiles) {
    if ((await reader.kind(file)) !== 'file') continue
    const text = await reader.read(file)
    if (text !== null) managerUnits.push(managerDefaults(text, file))
    break
  }
  for (const file of systemdDropInOrder(await reader.confFiles(scope.managerDropInDirs))) {
    if ((await reader.kind(file)) !== 'file') continue
    const text = await reader.read(file)
    if (text !== null) managerUnits.push(managerDefaults(text, file))
  }
  const defaults = mergeUnitEnvironment(managerUnits)

  // docker.service: the highest-priority unit file, then every drop-in. A drop-in that is not a
  // regular file (a symlink to /dev/null) masks the ones of the same name with lower priority.
  let mainUnit: string | null = null
  for (const dir of scope.unitDirs) {
    const file = posix.join(dir, 'docker.service')
    const kind = await reader.kind(file)
    if (kind === 'file') {
      mainUnit = file
      break
    }
    if (kind === 'other') {
      reader.note(file, 'docker.service is masked; systemd does not start it')
      break
    }
  }
  // Unit-specific drop-ins first: with equal names they beat the type-wide service.d ones.
  const candidates = [
    ...(await reader.confFiles(scope.unitDirs.map(d => posix.join(d, 'docker.service.d')))),
    ...(await reader.confFiles(scope.unitDirs.map(d => posix.join(d, 'service.d')))),
  ]
  const dropIns: string[] = []
  for (const file of systemdDropInOrder(candidates)) if ((await reader.kind(file)) === 'file') dropIns.push(file)

  const unitFiles = [...(mainUnit ? [mainUnit] : []), ...dropIns]
  const unitTexts: string[] = []
  const units: ParsedUnit[] = []
  for (const file of unitFiles) {
    const text = (await reader.read(file)) ?? ''
    unitTexts.push(text)
    units.push(parseSystemdUnit(text, file))
  }
  if (!mainUnit && dropIns.length > 0) reader.note('docker.service', 'no unit file found in the systemd unit folders; its drop-ins were read anyway')
  const merged = mergeUnitEnvironment(units)
  // DefaultEnvironment= comes first; the unit's own assignments and files override it.
  merged.env = {...defaults.env, ...merged.env}
  merged.warnings.unshift(...defaults.warnings)

  const files: EnvironmentFileContent[] = []
  const environmentFiles = new Set<string>()
  for (const ref of merged.environmentFiles) {
    const matches = await expandGlob(reader, ref.path)
    if (matches.length === 0) files.push({path: ref.path, optional: ref.optional, text: null})
    for (const file of matches) {
      const text = (await reader.kind(file)) === 'file' ? await reader.read(file) : null
      if (text !== null) environmentFiles.add(file)
      files.push({path: file, optional: ref.optional, text})
    }
  }
  const service = serviceEnvironment(merged, files)
  reader.warnings(service.warnings)

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

/**
 * dockerd's command line from docker.service and its drop-ins (with their environment
 * expanded), for options set both as a flag and in daemon.json; null without a unit.
 */
export async function dockerdCommandLine(host: Host, options: EngineProxyOptions = {}): Promise<{argv: string[]; unitPath: string} | null> {
  return (await inspectDocker(host, options)).command
}

// ---------------------------------------------------------------------------------------
// podman

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

async function inspectPodman(host: Host): Promise<PodmanInspection> {
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

function parseContainersConf(text: string): {value: Record<string, unknown>} | {error: string; line: number | null} {
  try {
    // Go's TOML decoder skips a leading BOM; keep offsets by replacing it with a space.
    const ast = parseTOML(text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text)
    return {value: getStaticTOMLValue(ast) as Record<string, unknown>}
  } catch (error) {
    const e = error as {message?: string; lineNumber?: number}
    return {error: e.message ?? String(error), line: typeof e.lineNumber === 'number' ? e.lineNumber : null}
  }
}

// ---------------------------------------------------------------------------------------
// Public API: reading

/** The proxy configuration an engine on this host uses, with the files it came from. */
export async function loadEngineProxyConfig(host: Host, engine: ProxyEngine, options: EngineProxyOptions = {}): Promise<EngineProxyConfig> {
  return engine === 'docker' ? (await inspectDocker(host, options)).result : (await inspectPodman(host)).result
}

// ---------------------------------------------------------------------------------------
// Public API: where to write NO_PROXY

export type NoProxyTargetKind =
  /** A systemd drop-in of docker.service: write with renderNoProxyDropIn. */
  | 'systemd-drop-in'
  /** An EnvironmentFile= of docker.service, whose values beat Environment=: setEnvironmentFileNoProxy. */
  | 'environment-file'
  /** daemon.json "proxies"."no-proxy" (dockerd copies it over NO_PROXY and no_proxy). */
  | 'daemon-json'
  /** dockerd's --no-proxy flag on ExecStart=: mirrorctl does not rewrite command lines. */
  | 'dockerd-flag'
  /** A containers.conf [engine] env list: setContainersConfNoProxy. */
  | 'containers-conf'
  /** The environment podman is started with: not a file mirrorctl can change. */
  | 'environment'

export interface NoProxyTarget {
  kind: NoProxyTargetKind
  /** The file to edit (it may not exist yet); null for 'environment'. */
  path: string | null
  /** What to set there; drop-ins and environment files get no_proxy as well, to keep curl in line. */
  variable: 'NO_PROXY' | 'proxies.no-proxy'
  /** The NO_PROXY value the engine uses now (to extend, not replace); undefined when unset. */
  current: string | undefined
  /** Whether mirrorctl can make the change (false: tell the user what to change by hand). */
  writable: boolean
  /** Why this place, in one sentence. */
  reason: string
  /** The command that makes the engine see the change. */
  restart: string
}

/** Where a NO_PROXY change must be written so that this engine actually uses it. */
export async function noProxyTarget(host: Host, engine: ProxyEngine, options: EngineProxyOptions = {}): Promise<NoProxyTarget> {
  return engine === 'docker' ? dockerNoProxyTarget(await inspectDocker(host, options)) : podmanNoProxyTarget(host, await inspectPodman(host))
}

/** "file:12: NAME" -> "file". */
function fileOf(setting: Setting | undefined): string | null {
  const m = setting ? /^(.*):\d+: [^:]+$/.exec(setting.source) : null
  return m ? m[1]! : null
}

function dockerNoProxyTarget(d: DockerInspection): NoProxyTarget {
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
  // The assignment in force: NO_PROXY if the service sets it, else no_proxy.
  const winner = d.serviceEnv.NO_PROXY ?? d.serviceEnv.no_proxy
  const winnerFile = fileOf(winner)
  if (winnerFile && d.environmentFiles.has(winnerFile)) {
    return {
      kind: 'environment-file',
      path: winnerFile,
      variable: 'NO_PROXY',
      current,
      writable: true,
      reason: `NO_PROXY comes from the EnvironmentFile ${winnerFile}, whose values override Environment= lines in drop-ins`,
      restart: plainRestart,
    }
  }
  const inAdminDir = (file: string | null): file is string => file !== null && d.dropIns.includes(file) && posix.dirname(file) === d.scope.adminDir
  if (inAdminDir(winnerFile)) {
    return {kind: 'systemd-drop-in', path: winnerFile, variable: 'NO_PROXY', current, writable: true, reason: `NO_PROXY is set in the drop-in ${winnerFile}`, restart}
  }
  // Next to the proxy itself, else the file Docker's documentation names.
  const proxyFile = [d.serviceEnv.HTTPS_PROXY, d.serviceEnv.https_proxy, d.serviceEnv.HTTP_PROXY, d.serviceEnv.http_proxy].map(fileOf).find(inAdminDir)
  let target = proxyFile ?? posix.join(d.scope.adminDir, 'http-proxy.conf')
  let reason = proxyFile ? `the proxy is set in the drop-in ${proxyFile}` : `no drop-in of docker.service sets NO_PROXY; ${target} is where Docker's documentation puts proxy settings`
  // Drop-ins apply in name order across folders, and a name hides the same name in lower
  // folders: ours must not hide a vendor drop-in, nor come before the one that sets NO_PROXY now.
  const name = posix.basename(target)
  const clash = d.dropIns.find(f => f !== target && posix.basename(f) === name)
  const later = winnerFile && d.dropIns.includes(winnerFile) && posix.basename(winnerFile) >= name ? winnerFile : undefined
  const after = [clash, later].filter((f): f is string => f !== undefined).map(f => posix.basename(f)).sort().pop()
  if (after) {
    // "x.mirrorctl.conf" sorts right after "x.conf" ('m' > 'c') and hides nothing.
    target = posix.join(d.scope.adminDir, `${after.replace(/\.conf$/, '')}.mirrorctl.conf`)
    reason = `${later ? `NO_PROXY is set in ${later}, which is not an administrator's drop-in` : `${clash} must stay visible`}; systemd applies ${target} after it`
  }
  return {kind: 'systemd-drop-in', path: target, variable: 'NO_PROXY', current, writable: true, reason, restart}
}

function podmanNoProxyTarget(host: Host, p: PodmanInspection): NoProxyTarget {
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

// ---------------------------------------------------------------------------------------
// Pure text edits

function assertPlainValue(value: string): void {
  // A NO_PROXY list never holds control characters; refusing them keeps every format simple.
  if (/[\x00-\x1f\x7f]/.test(value)) throw new UserError('the NO_PROXY value contains a control character (a newline or tab?); write it as one line of comma-separated entries')
}

function eolOf(text: string): string {
  return /\r\n/.test(text) ? '\r\n' : '\n'
}

interface PhysicalLine {
  text: string
  start: number
  /** Offset after the text, before the line break. */
  end: number
}

function physicalLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = []
  const re = /\r\n|\r|\n/g
  let start = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({text: text.slice(start, m.index), start, end: m.index})
    start = m.index + m[0].length
  }
  out.push({text: text.slice(start), start, end: text.length})
  return out
}

/** Insert lines after `offset` (the end of a line's text), or at the end of the text. */
function insertLines(text: string, offset: number, lines: readonly string[], eol: string): string {
  if (lines.length === 0) return text
  const block = lines.join(eol)
  if (offset >= text.length) return text === '' ? `${block}${eol}` : /[\r\n]$/.test(text) ? `${text}${block}${eol}` : `${text}${eol}${block}${eol}`
  return `${text.slice(0, offset)}${eol}${block}${text.slice(offset)}`
}

/** A value for Environment="NAME=...": C escapes inside double quotes, then "%" doubled (specifiers). */
function systemdQuoted(name: string, value: string): string {
  const escaped = `${name}=${value}`.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')
  return `Environment="${escaped}"`
}

/** The value a drop-in gives the service (UnsetEnvironment= included). */
function unitValue(text: string, name: string): string | undefined {
  return serviceEnvironment(mergeUnitEnvironment([parseSystemdUnit(text, 'drop-in')]), []).env[name]?.value
}

/**
 * A systemd drop-in with Environment="NO_PROXY=value" and Environment="no_proxy=value" in
 * force: an assignment already in force is rewritten in place when it stands alone on its
 * line; otherwise a new line goes after it (a later assignment wins) or at the end of the last
 * [Service] section. Every other byte is kept; the text is returned unchanged when both
 * variables already have this value.
 */
export function renderNoProxyDropIn(existingText: string | null, value: string): string {
  assertPlainValue(value)
  const names = ['NO_PROXY', 'no_proxy'] as const
  if (existingText === null || existingText.trim() === '') {
    const eol = existingText ? eolOf(existingText) : '\n'
    return `[Service]${eol}${names.map(n => systemdQuoted(n, value)).join(eol)}${eol}`
  }
  let text = existingText
  for (const name of names) {
    if (unitValue(text, name) === value) continue
    text = setUnitVariable(text, name, value)
  }
  for (const name of names) {
    if (unitValue(text, name) !== value) {
      throw new UserError(`cannot set ${name} in this drop-in so that systemd reads it (is it removed by UnsetEnvironment=?); edit the file by hand`)
    }
  }
  return text
}

function setUnitVariable(text: string, name: string, value: string): string {
  const eol = eolOf(text)
  const lines = physicalLines(text)
  const unit = parseSystemdUnit(text, 'drop-in')
  // The assignment in force: the last one, unless an empty Environment= cleared it.
  let inForce: number | null = null
  for (const d of unit.directives) {
    if (d.kind === 'set' && d.name === name) inForce = d.line
    else if (d.kind === 'reset-environment') inForce = null
  }
  const line = inForce === null ? null : lines[inForce - 1]!
  if (line && !line.text.endsWith('\\')) {
    const alone = parseSystemdUnit(`[Service]\n${line.text}`, 'line')
    const sets = alone.directives.filter(d => d.kind === 'set')
    if (sets.length === 1 && alone.warnings.length === 0 && /^[ \t]*Environment[ \t]*=/.test(line.text)) {
      const indent = /^[ \t]*/.exec(line.text)![0]
      return `${text.slice(0, line.start)}${indent}${systemdQuoted(name, value)}${text.slice(line.end)}`
    }
  }
  if (inForce !== null) {
    // Shares its line with other assignments or continues: leave it, override right after it.
    let last = inForce - 1
    while (lines[last]!.text.endsWith('\\') && last + 1 < lines.length) last++
    return insertLines(text, lines[last]!.end, [systemdQuoted(name, value)], eol)
  }
  // After the last non-blank line of the last [Service] section, else a new section at the end.
  let section = ''
  let anchor: number | null = null
  for (const l of lines) {
    const t = l.text.trim()
    if (t.startsWith('[')) {
      section = t
      if (section === '[Service]') anchor = l.end
    } else if (section === '[Service]' && t !== '') anchor = l.end
  }
  if (anchor === null) {
    const spacer = text.trim() === '' ? [] : ['']
    return insertLines(text, text.length, [...spacer, '[Service]', systemdQuoted(name, value)], eol)
  }
  return insertLines(text, anchor, [systemdQuoted(name, value)], eol)
}

/** A value for an EnvironmentFile=: bare when safe, else double quotes with \" \\ \` \$ escaped. */
function envFileAssignment(name: string, value: string): string {
  if (/^[A-Za-z0-9_.,:/@*+%=-]*$/.test(value)) return `${name}=${value}`
  return `${name}="${value.replace(/[\\"`$]/g, '\\$&')}"`
}

function envFileValue(text: string, name: string): string | undefined {
  let found: string | undefined
  for (const a of parseEnvironmentFile(text, 'env').assignments) if (a.name === name) found = a.value
  return found
}

/**
 * An EnvironmentFile= file with NO_PROXY=value and no_proxy=value: the last assignment of each
 * is rewritten in place when it is one simple line, otherwise the assignment is appended.
 * Unchanged when both already have this value.
 */
export function setEnvironmentFileNoProxy(existingText: string | null, value: string): string {
  assertPlainValue(value)
  let text = existingText ?? ''
  for (const name of ['NO_PROXY', 'no_proxy'] as const) {
    if (envFileValue(text, name) === value) continue
    const eol = eolOf(text)
    const lines = physicalLines(text)
    const assignments = parseEnvironmentFile(text, 'env').assignments.filter(a => a.name === name)
    const last = assignments[assignments.length - 1]
    const line = last ? lines[last.line - 1] : undefined
    // In place only when the whole assignment is on its line (no continuation, no multi-line quote).
    const alone = line ? parseEnvironmentFile(line.text, 'line').assignments : []
    const simple = line !== undefined && last !== undefined && alone.length === 1 && alone[0]!.name === name && alone[0]!.value === last.value
    const next = simple ? `${text.slice(0, line.start)}${envFileAssignment(name, value)}${text.slice(line.end)}` : null
    if (next !== null && sameOtherAssignments(text, next, name)) text = next
    else text = insertLines(text, text.length, [envFileAssignment(name, value)], eol)
  }
  for (const name of ['NO_PROXY', 'no_proxy']) {
    if (envFileValue(text, name) !== value) throw new UserError(`cannot set ${name} in this environment file; edit it by hand`)
  }
  return text
}

function sameOtherAssignments(before: string, after: string, name: string): boolean {
  const others = (t: string): string => JSON.stringify(parseEnvironmentFile(t, 'env').assignments.filter(a => a.name !== name).map(a => [a.name, a.value]))
  return others(before) === others(after)
}

/** A TOML basic string. */
function tomlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map(k => (k.type === 'TOMLBare' ? k.name : k.value))
}

/**
 * containers.conf with "NO_PROXY=value" in [engine] env: the first NO_PROXY entry (the one
 * podman applies) is replaced; otherwise an entry is added to the existing list (before an
 * {append = true} marker), an env key to the [engine] table, or an [engine] table at the end.
 * Every other byte is kept; the text is returned unchanged when the entry already has this value.
 */
export function setContainersConfNoProxy(existingText: string | null, value: string): string {
  assertPlainValue(value)
  const entry = tomlString(`NO_PROXY=${value}`)
  const text = existingText ?? ''
  const eol = eolOf(text)
  let ast: AST.TOMLProgram
  try {
    ast = parseTOML(text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text)
  } catch (error) {
    throw new UserError(`cannot edit containers.conf: TOML syntax error (${(error as Error).message}); fix the file first`)
  }
  const top = ast.body[0]
  let envNode: AST.TOMLKeyValue | null = null
  let engineTable: AST.TOMLTable | null = null
  for (const item of top?.body ?? []) {
    if (item.type === 'TOMLTable') {
      if (item.kind === 'standard' && item.resolvedKey.length === 1 && item.resolvedKey[0] === 'engine') {
        engineTable = item
        for (const kv of item.body) if (keyNames(kv.key).join('.') === 'env') envNode = kv
      }
    } else if (keyNames(item.key).join('.') === 'engine.env') {
      envNode = item
    }
  }

  let out: string
  if (envNode) {
    if (envNode.value.type !== 'TOMLArray') throw new UserError('cannot edit containers.conf: [engine] env is not an array; podman rejects this file')
    const array = envNode.value
    const first = array.elements.find(e => e.type === 'TOMLValue' && e.kind === 'string' && /^NO_PROXY=/.test(e.value))
    if (first) {
      if (first.type === 'TOMLValue' && first.value === `NO_PROXY=${value}`) return text
      out = text.slice(0, first.range[0]) + entry + text.slice(first.range[1])
    } else {
      const strings = array.elements.filter(e => e.type !== 'TOMLInlineTable')
      const lastString = strings[strings.length - 1]
      const marker = array.elements.find(e => e.type === 'TOMLInlineTable')
      if (lastString) {
        const multiLine = lastString.loc.start.line !== array.loc.start.line
        const indent = multiLine ? /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', lastString.range[0]) + 1))![0] : ''
        const sep = multiLine ? `,${eol}${indent}` : ', '
        out = text.slice(0, lastString.range[1]) + sep + entry + text.slice(lastString.range[1])
      } else if (marker) {
        out = text.slice(0, marker.range[0]) + `${entry}, ` + text.slice(marker.range[0])
      } else {
        // An empty list: "[]" or "[ ]" keeps its brackets.
        out = text.slice(0, array.range[0]) + `[${entry}]` + text.slice(array.range[1])
      }
    }
  } else if (engineTable) {
    const lastKv = engineTable.body[engineTable.body.length - 1]
    const anchor = lastKv ? lastKv.range[1] : text.indexOf(']', engineTable.key.range[1]) + 1
    const lineEnd = text.slice(anchor).search(/\r\n|\r|\n/)
    out = insertLines(text, lineEnd < 0 ? text.length : anchor + lineEnd, [`env = [${entry}]`], eol)
  } else {
    const spacer = text.trim() === '' ? [] : ['']
    out = insertLines(text, text.length, [...spacer, '[engine]', `env = [${entry}]`], eol)
  }
  const check = parseContainersConf(out)
  const env = 'value' in check ? (check.value.engine as {env?: unknown} | undefined)?.env : undefined
  const applied = Array.isArray(env) ? env.find(e => typeof e === 'string' && e.startsWith('NO_PROXY=')) : undefined
  if (applied !== `NO_PROXY=${value}`) {
    throw new UserError('cannot add NO_PROXY to [engine] env of this containers.conf without changing its meaning (the engine table is defined with dotted keys or inline); edit it by hand')
  }
  return out
}
