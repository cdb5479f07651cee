import type {ProxyConfig, Setting} from '../../net/proxy.js'
import {PROXY_VARIABLES} from '../../net/proxy.js'

export type ProxyEngine = 'docker' | 'podman'
/** Engines whose proxy can be read (containerd and k3s: from their systemd service only). */
export type ReadableProxyEngine = ProxyEngine | 'containerd' | 'k3s'

export interface EngineProxyOptions {
  /** dockerd's daemon.json to read instead of the default (or of dockerd's --config-file). */
  daemonJsonPath?: string | undefined
}

export interface EngineProxyConfig {
  engine: ReadableProxyEngine
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
export const PROXY_NAMES: readonly string[] = [...PROXY_VARIABLES.httpProxy, ...PROXY_VARIABLES.httpsProxy, ...PROXY_VARIABLES.noProxy]

export type NoProxyTargetKind =
  /** A systemd drop-in of the engine's service: write with renderNoProxyDropIn. */
  | 'systemd-drop-in'
  /** An EnvironmentFile= of the engine's service, whose values beat Environment=: setEnvironmentFileNoProxy. */
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
  /** The variables to write in a drop-in or environment file (default NO_PROXY and no_proxy; k3s: CONTAINERD_NO_PROXY). */
  names?: string[]
  /** The NO_PROXY value the engine uses now (to extend, not replace); undefined when unset. */
  current: string | undefined
  /** Whether mirrorctl can make the change (false: tell the user what to change by hand). */
  writable: boolean
  /** Why this place, in one sentence. */
  reason: string
  /** The command that makes the engine see the change. */
  restart: string
}

