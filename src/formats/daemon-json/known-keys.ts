/**
 * What dockerd accepts in daemon.json, as data (Linux daemon).
 *
 * How dockerd decides (moby daemon/config/config.go, getConflictFreeConfiguration and
 * findConfigurationConflicts): the file is decoded into a map, nested objects are flattened
 * (except the free-form maps below), and every resulting name must be a dockerd FLAG name, the
 * name of a "named" flag option (registry-mirror is named registry-mirrors), or one of a few
 * names skipped on purpose. Otherwise the daemon refuses to start with "the following directives
 * don't match any configuration option". The values are then decoded into the Config struct by
 * its json tags, case-insensitively, and a name without a tag is silently dropped. So:
 *   - "registry-mirror" (the flag's own name) passes the check but is never read (ignored-key);
 *   - "containerd-plugin-namespace" (the struct tag) fails the check, because the flag is
 *     spelled "containerd-plugins-namespace" and is not a named option (moby issue seen with
 *     25.0.3, docker/docs#19398);
 *   - "proxies" is flattened, so its children are checked as flag names (http-proxy: 23.0+).
 *
 * Sources:
 *   - https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
 *     (docker/cli docs/reference/dockerd.md, the full Linux example and the reload table)
 *   - https://github.com/moby/moby/blob/master/daemon/config/config.go (flatOptions,
 *     skipValidateOptions, skipDuplicates, migratedNamedConfig, json tags)
 *   - https://github.com/moby/moby/blob/master/daemon/config/config_linux.go (Linux json tags)
 *   - https://github.com/moby/moby/blob/master/daemon/command/config.go, config_unix.go and
 *     options.go (flag names, shorthands, which flags are named options)
 *   - https://docs.docker.com/engine/deprecated/ and the Engine release notes for versions
 *
 * Versions: `since` is the first Engine release that accepts the name; no `since` means the name
 * was accepted by 20.10 already (the oldest Engine mirrorctl models). Where a version below is
 * marked "uncertain" it comes from release notes or dates rather than a tag check; the earliest
 * plausible release was chosen, so an uncertain entry can miss an error but not invent one.
 * Windows-only options are not listed.
 */
// The two semver modules used, not the whole package: lint start-up time matters.
import SemVer from 'semver/classes/semver.js'
import gte from 'semver/functions/gte.js'

/** How Go's encoding/json must find the value for decoding into the Config struct to succeed. */
export type ValueType =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'string[]'
  /** map[string]string: every value a string (log-opts, cluster-store-opts). */
  | 'string-map'
  /** map[string]bool (features). */
  | 'bool-map'
  /** An object whose values are objects (runtimes, default-ulimits, default-network-opts). */
  | 'object-map'
  | 'object'
  | 'object[]'
  /** opts.MemBytes: a size string such as "64M", or a number of bytes. */
  | 'size'

export interface OptionSpec {
  /** The key the decoder reads; '' when the flag has no file form. */
  key: string
  /** Parent object for keys read inside one (proxies); absent for top-level keys. */
  parent?: string
  type: ValueType
  /** dockerd's long flag for the option. */
  flag?: string
  short?: string
  /** The flag is a named option: in the file it is spelled `key`, not `flag`. */
  named?: boolean
  /** Accepted without a flag (skipValidateOptions). */
  skipValidate?: boolean
  since?: string
  /** First release that rejects the key. */
  removed?: string
  /** First release that still accepts the key but no longer does anything with it. */
  ignoredSince?: string
  /** Inner keys are not checked (flatOptions). */
  freeForm?: boolean
  /** Applied by SIGHUP / systemctl reload docker; everything else needs a restart. */
  reloadable?: boolean
  /** Set both as a flag and in the file without a conflict (skipDuplicates). */
  mergesWithFlag?: boolean
  note?: string
}

const s = (key: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({key, type: 'string', flag: key, ...extra})
const b = (key: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({key, type: 'boolean', flag: key, ...extra})
const i = (key: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({key, type: 'integer', flag: key, ...extra})
/** A list option whose flag is the singular (named option). */
const list = (key: string, flag: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({key, type: 'string[]', flag, named: true, ...extra})

export const OPTIONS: readonly OptionSpec[] = [
  // ---- registries (the part mirrorctl edits)
  list('registry-mirrors', 'registry-mirror', {reloadable: true}),
  list('insecure-registries', 'insecure-registry', {reloadable: true}),
  {
    key: 'allow-nondistributable-artifacts',
    type: 'string[]',
    flag: 'allow-nondistributable-artifacts',
    reloadable: true,
    ignoredSince: '29.0',
    note: 'deprecated in 28.0; from 29.0 the flag is gone and the key is tolerated but has no effect (skipValidateOptions)',
  },

  // ---- proxies (23.0, moby commit 101dafd); flattened, so the children are the checked names
  {key: 'proxies', type: 'object', since: '23.0'},
  s('http-proxy', {parent: 'proxies', since: '23.0'}),
  s('https-proxy', {parent: 'proxies', since: '23.0'}),
  s('no-proxy', {parent: 'proxies', since: '23.0'}),

  // ---- daemon process, API socket, logging of the daemon itself
  list('hosts', 'host', {short: 'H'}),
  b('debug', {short: 'D', reloadable: true}),
  s('log-level', {short: 'l'}),
  s('log-format', {since: '25.0', note: 'uncertain: release notes place --log-format in 25.0'}),
  b('raw-logs'),
  s('pidfile', {short: 'p'}),
  s('group', {short: 'G'}),
  b('tls'),
  b('tlsverify'),
  s('tlscacert'),
  s('tlscert'),
  s('tlskey'),
  s('metrics-addr'),
  b('experimental'),
  {key: 'features', type: 'bool-map', flag: 'feature', named: true, skipValidate: true, freeForm: true, reloadable: true},
  {key: 'builder', type: 'object', skipValidate: true, freeForm: true},
  {
    key: 'min-api-version',
    type: 'string',
    skipValidate: true,
    since: '29.0',
    note: 'uncertain: a 29.x release; before it only the DOCKER_MIN_API_VERSION environment variable existed',
  },
  list('authorization-plugins', 'authorization-plugin', {reloadable: true}),
  list('labels', 'label', {reloadable: true}),
  s('swarm-default-advertise-addr'),
  list('node-generic-resources', 'node-generic-resource'),
  i('network-diagnostic-port', {reloadable: true}),
  {key: 'api-cors-header', type: 'string', flag: 'api-cors-header', removed: '28.0', note: 'deprecated in 27.0, removed in 28.0'},
  {key: 'restart', type: 'boolean', flag: 'restart', short: 'r', note: 'deprecated flag; use restart policies on docker run'},

  // ---- storage and runtimes
  s('data-root'),
  {key: 'graph', type: 'string', flag: 'graph', short: 'g', removed: '23.0', note: 'deprecated in 17.05 for data-root; removal release uncertain (23.0)'},
  s('exec-root'),
  s('storage-driver', {short: 's'}),
  list('storage-opts', 'storage-opt'),
  list('exec-opts', 'exec-opt'),
  s('containerd'),
  s('containerd-namespace'),
  {
    key: 'containerd-plugin-namespace',
    type: 'string',
    flag: 'containerd-plugins-namespace',
    note: 'the struct tag and the flag differ; only the flag works (docker/docs#19398)',
  },
  b('cri-containerd'),
  s('default-runtime', {reloadable: true}),
  {key: 'runtimes', type: 'object-map', flag: 'add-runtime', named: true, freeForm: true, reloadable: true, mergesWithFlag: true},
  {key: 'default-shm-size', type: 'size', flag: 'default-shm-size', reloadable: true},
  {key: 'default-ulimits', type: 'object-map', flag: 'default-ulimit', named: true, freeForm: true},
  s('cgroup-parent'),
  s('default-cgroupns-mode'),
  s('default-ipc-mode'),
  i('cpu-rt-period'),
  i('cpu-rt-runtime'),
  b('init'),
  s('init-path'),
  b('live-restore', {reloadable: true}),
  i('max-concurrent-downloads', {reloadable: true}),
  i('max-concurrent-uploads', {reloadable: true}),
  i('max-download-attempts', {reloadable: true}),
  i('shutdown-timeout', {reloadable: true}),
  b('no-new-privileges'),
  s('seccomp-profile'),
  b('selinux-enabled'),
  s('userns-remap'),
  b('rootless'),
  {key: 'oom-score-adjust', type: 'integer', flag: 'oom-score-adjust', ignoredSince: '25.0', removed: '26.0', note: 'deprecated in 24.0, no effect in 25.0, removed in 26.0'},
  list('cdi-spec-dirs', 'cdi-spec-dir', {since: '25.0', note: 'uncertain: CDI support landed for 25.0'}),
  {key: 'nri-opts', type: 'object', flag: 'nri-opts', freeForm: true, reloadable: true, since: '29.0', note: 'uncertain: NRI support is recent (29.x)'},

  // ---- logging of containers
  s('log-driver'),
  {key: 'log-opts', type: 'string-map', flag: 'log-opt', named: true, freeForm: true},

  // ---- networking
  s('bip'),
  s('bip6', {since: '28.0'}),
  s('bridge', {short: 'b'}),
  s('fixed-cidr'),
  s('fixed-cidr-v6'),
  s('default-gateway'),
  s('default-gateway-v6'),
  {key: 'default-address-pools', type: 'object[]', flag: 'default-address-pool', named: true},
  {key: 'default-network-opts', type: 'object-map', flag: 'default-network-opt', named: true, freeForm: true, since: '24.0'},
  list('dns', 'dns'),
  list('dns-opts', 'dns-opt'),
  {key: 'dns-search', type: 'string[]', flag: 'dns-search'},
  s('host-gateway-ip', {note: 'from 28.0 migrated to host-gateway-ips; both in one file is an error'}),
  list('host-gateway-ips', 'host-gateway-ip', {since: '28.0', note: 'uncertain: 28.0 allowed an IPv4 and an IPv6 host-gateway address'}),
  b('icc'),
  s('ip'),
  b('ip-forward'),
  b('ip-forward-no-drop', {since: '28.0'}),
  b('ip-masq'),
  b('iptables'),
  b('ip6tables'),
  b('ipv6'),
  i('mtu'),
  i('network-control-plane-mtu'),
  b('userland-proxy'),
  s('userland-proxy-path'),
  b('allow-direct-routing', {since: '28.0', note: 'uncertain: a 28.x release'}),
  s('firewall-backend', {since: '28.0', note: 'uncertain: present in late 28.x; nftables usable from 29.0'}),
  s('bridge-accept-fwmark', {since: '29.0'}),

  // ---- removed long ago
  {key: 'cluster-store', type: 'string', flag: 'cluster-store', removed: '23.0', note: 'legacy overlay networks; deprecated 20.10, removal release uncertain (23.0)'},
  {key: 'cluster-advertise', type: 'string', flag: 'cluster-advertise', removed: '23.0'},
  {key: 'cluster-store-opts', type: 'string-map', flag: 'cluster-store-opt', named: true, freeForm: true, removed: '23.0'},
  {key: 'disable-legacy-registry', type: 'boolean', flag: 'disable-legacy-registry', removed: '19.03'},
  {key: 'deprecated-key-path', type: 'string', skipValidate: true, ignoredSince: '0.0', note: 'tolerated so old files keep working; no effect'},

  // ---- flags without a file form: the names pass the check but the decoder never reads them
  {key: '', type: 'string', flag: 'config-file', note: 'a configuration file cannot name the configuration file'},
  {key: '', type: 'boolean', flag: 'validate', since: '23.0'},
]

/** The free-form maps: their inner keys are not checked (flatOptions plus nri-opts). */
export const FREE_FORM = new Set(OPTIONS.filter((o) => o.freeForm).map((o) => o.key))

// ---- versions

/** An Engine version as semver, or null for "unknown, assume the newest behaviour". */
export type EngineVersion = SemVer | null

/**
 * Reads a `docker version` Server.Version such as 24.0.9, 29.1.3, 20.10.24+dfsg1, 19.03.15 or
 * 18.09.1-ce (minor versions with a leading zero are not semver, so this does not use coerce).
 */
export function engineVersion(text: string | undefined): EngineVersion {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '')
  if (!m) return null
  return new SemVer(`${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}`)
}

/** True when the version is at least `min` (like "25.0"); an unknown version counts as the newest. */
export function atLeast(version: EngineVersion, min: string): boolean {
  if (version === null) return true
  let parsed = MINIMUMS.get(min)
  if (!parsed) MINIMUMS.set(min, (parsed = engineVersion(min)!))
  return gte(version, parsed)
}

/** The handful of boundary versions the catalogue compares against, parsed once. */
const MINIMUMS = new Map<string, SemVer>()

/** True when a spec exists in the given Engine (an unknown version counts as the newest). */
export function present(spec: Pick<OptionSpec, 'since' | 'removed'>, version: EngineVersion): boolean {
  if (spec.since && !atLeast(version, spec.since)) return false
  if (spec.removed && atLeast(version, spec.removed)) return false
  return true
}

// ---- lookups

/** How dockerd treats one flattened name from the file. */
export type NameStatus =
  /** Passes the check and the decoder reads it here. */
  | {kind: 'read'; spec: OptionSpec}
  /** Passes the check but the decoder never reads it (here, or in this version). */
  | {kind: 'ignored'; spec: OptionSpec; useInstead: string | null}
  /** Fails the check in this version, but some other version accepts it. */
  | {kind: 'too-new'; spec: OptionSpec}
  | {kind: 'removed'; spec: OptionSpec}
  | {kind: 'unknown'}

/** Names dockerd's unknown-key check lets through: flag names, named-option names, skipped names. */
function acceptedNames(spec: OptionSpec): string[] {
  const names: string[] = []
  if (spec.flag) names.push(spec.flag)
  if (spec.key && spec.key !== spec.flag && (spec.named || spec.skipValidate)) names.push(spec.key)
  return names
}

/** The options that accept each name, in table order: lint classifies every key of a file, on every host. */
const BY_ACCEPTED_NAME = new Map<string, OptionSpec[]>()
for (const o of OPTIONS) {
  for (const n of new Set(acceptedNames(o))) {
    const list = BY_ACCEPTED_NAME.get(n)
    if (list) list.push(o)
    else BY_ACCEPTED_NAME.set(n, [o])
  }
}

/**
 * Classifies a name as dockerd sees it after flattening. `parent` is the object it was flattened
 * out of ('' for top level), which decides whether the decoder reads it.
 */
export function classifyName(name: string, parent: string, version: EngineVersion): NameStatus {
  const candidates = BY_ACCEPTED_NAME.get(name) ?? []
  const live = candidates.filter((o) => present(o, version))
  if (live.length === 0) {
    const later = candidates.find((o) => o.since && !atLeast(version, o.since))
    if (later) return {kind: 'too-new', spec: later}
    const gone = candidates.find((o) => o.removed && atLeast(version, o.removed))
    if (gone) return {kind: 'removed', spec: gone}
    return {kind: 'unknown'}
  }
  const readHere = live.find(
    (o) => o.key === name && (o.parent ?? '') === parent && !(o.ignoredSince && atLeast(version, o.ignoredSince)),
  )
  if (readHere) return {kind: 'read', spec: readHere}
  const spec = live[0]!
  return {kind: 'ignored', spec, useInstead: usableSpelling(spec, name, parent, version)}
}

/** Where the file should say it instead, when the option has a working file form. */
function usableSpelling(spec: OptionSpec, name: string, parent: string, version: EngineVersion): string | null {
  if (!spec.key || !acceptedNames(spec).includes(spec.key)) return null
  if (spec.ignoredSince && atLeast(version, spec.ignoredSince)) return null
  if (spec.key === name && (spec.parent ?? '') === parent) return null
  return spec.parent ? `${spec.parent}.${spec.key}` : spec.key
}

/** The option the decoder reads under this key (top level unless parent is given), in any version. */
export function optionForKey(key: string, parent = ''): OptionSpec | undefined {
  return OPTIONS.find((o) => o.key === key && (o.parent ?? '') === parent)
}

/** Options the decoder reads in this version, for did-you-mean suggestions. */
export function readableOptions(version: EngineVersion): OptionSpec[] {
  const cacheKey = version?.version ?? ''
  let found = READABLE.get(cacheKey)
  if (!found) READABLE.set(cacheKey, (found = OPTIONS.filter((o) => o.key && present(o, version) && !o.ignoredSince && acceptedNames(o).includes(o.key))))
  return found
}

const READABLE = new Map<string, OptionSpec[]>()

/** Whether a SIGHUP reload applies the key; false means a restart is needed. */
export function isReloadable(key: string): boolean {
  return Boolean(optionForKey(key)?.reloadable)
}
