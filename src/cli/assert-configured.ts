import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {configuredContainerdMirrors} from '../engines/containerd-change.js'
import {locateK3sRegistries} from '../engines/k3s-change.js'
import {parseK3sRegistries, readK3sRegistries, sameEndpoint} from '../formats/k3s-registries/index.js'
import {hostMatchesMirror} from '../formats/containerd-hosts/plan.js'
import {loadDaemonJson} from '../engines/docker-engine.js'
import {loadRegistriesConf} from '../engines/registries-conf-engine.js'
import {isDockerHubSource, readDaemonJson} from '../formats/daemon-json/index.js'
import {removesMirrorUrl} from '../formats/daemon-json/plan.js'
import {configuredMirrors, removesMirror} from '../formats/registries-conf/plan.js'
import type {Host} from '../hosts/host.js'
import type {MirrorTarget} from '../policy/mirror-policy.js'
import type {EngineName, EngineSelection} from './engine-selection.js'

/**
 * Every named mirror must be configured for the source in at least one selected engine; otherwise
 * nothing is changed and the message lists what is configured (a typo must not pass as success).
 */
export async function assertConfigured(
  host: Host,
  engines: EngineSelection,
  source: string,
  targets: MirrorTarget[],
  options: {registriesConf?: string | undefined; registriesConfDir?: string | undefined; hostsDir?: string | undefined; configToml?: string | undefined; k3sRegistries?: string | undefined},
): Promise<void> {
  const configured: {engine: EngineName; mirrors: string[]; removes: (t: MirrorTarget, entry: string) => boolean}[] = []
  for (const engine of engines.engines) {
    if (engine === 'podman') {
      const loaded = await loadRegistriesConf(host, options)
      // A set the engines reject is reported by the change itself, with its position.
      if (!loaded.set.merged) return
      configured.push({engine, mirrors: configuredMirrors(loaded.set, source), removes: removesMirror})
    } else if (engine === 'containerd') {
      const hosts = await configuredContainerdMirrors(host, source, options)
      configured.push({engine, mirrors: hosts.map((h) => h.name), removes: (t, entry) => hostMatchesMirror(entry, hosts.find((h) => h.name === entry)?.overridePath ?? false, t)})
    } else if (engine === 'k3s') {
      const file = await locateK3sRegistries(host, options.k3sRegistries)
      const text = await host.readFile(file)
      const endpoints = text === null ? [] : (readK3sRegistries(parseK3sRegistries(text, file)).mirrors[source]?.endpoints ?? [])
      configured.push({engine, mirrors: endpoints, removes: (t, entry) => sameEndpoint(entry, `${t.host}${t.path ? `/${t.path}` : ''}`)})
    } else if (engine === 'docker' && isDockerHubSource(source)) {
      const loaded = await loadDaemonJson(host, engines.daemonJson)
      if (loaded.doc.syntaxFindings.some((f) => f.severity === 'error')) return
      configured.push({engine, mirrors: readDaemonJson(loaded.doc).registryMirrors, removes: removesMirrorUrl})
    }
  }
  const missing = targets.filter((t) => !configured.some((c) => c.mirrors.some((m) => c.removes(t, m))))
  if (!missing.length) return
  const list = configured.map((c) => `${c.engine}: ${c.mirrors.length ? c.mirrors.join(', ') : 'none'}`).join('; ')
  throw new UserError(
    `${missing.map((m) => m.given).join(', ')} ${missing.length > 1 ? 'are not mirrors' : 'is not a mirror'} of ${source}; configured mirrors: ${list || 'none'}. Nothing was changed`,
    {exitCode: ExitCode.Findings, hint: `give a configured mirror, or no MIRROR to remove all of ${source}'s mirrors`},
  )
}
