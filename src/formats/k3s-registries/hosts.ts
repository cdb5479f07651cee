import {defaultHost, normalizeK3sEndpoint} from './endpoint.js'
import type {K3sRegistries} from './parse.js'

/** One [host."…"] table k3s writes (capabilities pull and resolve). */
export interface K3sHostEntry {
  url: string
  overridePath: boolean
  skipVerify: boolean
  ca: string | null
  client: [string, string] | null
  rewrite: Record<string, string>
}

/** The hosts.toml k3s writes for one registry folder under its certs.d. */
export interface K3sHostsFile {
  /** The registry, or "_default" for the "*" entry. */
  folder: string
  /**
   * The `server` line (the registry itself, tried last with pull, resolve and push), "" when k3s
   * writes `server = ""` (the "*" entry: containerd then falls back to the registry pulled
   * from), null when there is none (--disable-default-registry-endpoint).
   */
  server: string | null
  /** TLS settings k3s writes at the top level (they apply to the server). */
  serverTls: Pick<K3sHostEntry, 'skipVerify' | 'ca' | 'client'>
  hosts: K3sHostEntry[]
}

type Config = K3sRegistries['configs'][string]

/** k3s's configForHost: Docker Hub's config may be keyed registry-1.docker.io or docker.io. */
function configFor(configs: K3sRegistries['configs'], registry: string): Config | undefined {
  const normalized = defaultHost(registry)
  return (normalized !== registry ? configs[normalized] : undefined) ?? configs[registry]
}

function tlsOf(c: Config | undefined): Pick<K3sHostEntry, 'skipVerify' | 'ca' | 'client'> {
  const tls = c?.tls
  const text = (k: string): string => (typeof tls?.[k] === 'string' ? (tls[k] as string) : '')
  const cert = text('cert_file')
  const key = text('key_file')
  return {skipVerify: tls?.['insecure_skip_verify'] === true, ca: text('ca_file') || null, client: cert || key ? [cert, key] : null}
}

/**
 * The hosts.toml files k3s generates from registries.yaml at start (k3s
 * pkg/agent/containerd/config.go getHostConfigs and pkg/agent/templates HostsTomlTemplate),
 * leaving out the embedded registry mirror (spegel), which mirrorctl does not configure.
 */
export function k3sHostsFiles(r: K3sRegistries, options: {noDefaultEndpoint?: boolean} = {}): K3sHostsFile[] {
  const files = new Map<string, K3sHostsFile & {defaultHasConfig: boolean}>()
  const folderOf = (registry: string): string => (registry === '*' ? '_default' : registry)
  const hasConfig = (c: Config | undefined): boolean => Boolean(c && (c.auth || c.tls))
  // k3s's defaultHostConfig; for "*" it has no URL: no server line from configs, `server = ""` from mirrors.
  const defaultFor = (registry: string, c: Config | undefined, wildcardServer: string | null): K3sHostsFile & {defaultHasConfig: boolean} | null => {
    const n = registry === '*' ? null : normalizeK3sEndpoint(registry)
    if (n && 'error' in n) return null
    return {folder: folderOf(registry), server: n ? n.url : wildcardServer, serverTls: tlsOf(c), hosts: [], defaultHasConfig: hasConfig(c)}
  }
  // Every configs entry gets a file for its own registry (auth and TLS for the default endpoint).
  for (const [registry, c] of Object.entries(r.configs)) {
    const f = defaultFor(registry, c, null)
    if (f) files.set(f.folder, f)
  }
  for (const [registry, mirror] of Object.entries(r.mirrors)) {
    // k3s looks the "*" entry up as "*" while its configs entry is stored as "_default": never found.
    let file = registry === '*' ? undefined : files.get(registry)
    if (!file) {
      const made = defaultFor(registry, configFor(r.configs, registry), '')
      if (!made) continue
      if (options.noDefaultEndpoint) made.server = null
      file = made
    }
    const seen = new Set<string>()
    mirror.endpoints.forEach((endpoint, i) => {
      const n = normalizeK3sEndpoint(endpoint)
      if ('error' in n || seen.has(n.url)) return
      seen.add(n.url)
      const config = configFor(r.configs, n.registry)
      const entry: K3sHostEntry = {url: n.url, overridePath: n.overridePath, ...tlsOf(config), rewrite: {...mirror.rewrite}}
      // The registry itself written last becomes the server line, not a [host] table.
      if (i === mirror.endpoints.length - 1 && file!.server !== null && file!.server === n.url) {
        file!.serverTls = tlsOf(config)
        file!.defaultHasConfig = entry.overridePath || Object.keys(entry.rewrite).length > 0 || hasConfig(config)
        return
      }
      file!.hosts.push(entry)
    })
    files.set(file.folder, file)
  }
  // A registry left with nothing but its plain default needs no file.
  return [...files.values()].filter((f) => f.hosts.length > 0 || f.defaultHasConfig).map(({defaultHasConfig: _, ...f}) => f)
}
