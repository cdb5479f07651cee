import {defineRules} from '../../lint/rule.js'

const MAN = 'https://github.com/containers/container-libs/blob/main/image/docs/containers-registries.conf.5.md'
const LOADER = 'https://github.com/containers/container-libs/blob/main/image/pkg/sysregistriesv2/system_registries_v2.go'
const DROPIN = 'https://github.com/containers/container-libs/blob/main/image/docs/containers-registries.conf.d.5.md'

/** Every registries.conf rule. error = the loader rejects the configuration; warning = accepted but not what was meant. */
export const rules = defineRules('registries-conf', {
  // ---- what the loader rejects (podman, skopeo, buildah and CRI-O fail to load the configuration)
  'toml-syntax': {
    severity: 'error',
    description: 'The file is not valid TOML (includes duplicate keys and tables defined twice).',
    hint: 'fix the TOML syntax at the position shown; every engine that reads this file fails until then',
    source: 'https://toml.io/en/v1.0.0',
  },
  'wrong-type': {
    severity: 'error',
    description: 'A known key has a value of the wrong type (for example insecure = "true"), which the TOML decoder rejects.',
    hint: 'use the type the key takes: booleans unquoted (true/false), strings quoted, lists in [ ]',
    source: MAN,
  },
  'mixed-v1-v2': {
    severity: 'error',
    description: 'V1 tables with entries ([registries.search|insecure|block]) and V2 settings with values in the same file (for where one side is empty, see empty-v1-v2-mix).',
    hint: 'convert the V1 tables to V2 (mirrorctl mirror add --convert does it) or remove the V2 keys',
    source: LOADER,
  },
  'v1-in-drop-in': {
    severity: 'error',
    description: 'A drop-in file uses the V1 format; drop-ins must be V2.',
    hint: 'rewrite the drop-in with [[registry]] tables and unqualified-search-registries',
    source: DROPIN,
  },
  'uri-scheme': {
    severity: 'error',
    description: 'A location, prefix, mirror or search registry starts with http:// or https://.',
    hint: 'write host[:port][/namespace] without a scheme; set insecure = true for plain HTTP',
    source: LOADER,
  },
  'prefix-location-unset': {
    severity: 'error',
    description: 'A [[registry]] has neither prefix nor location.',
    hint: 'set location (and prefix, when it differs)',
    source: LOADER,
  },
  'location-unset': {
    severity: 'error',
    description: 'A [[registry]] has a prefix but no location, and the prefix is not a *.example.com wildcard.',
    hint: 'add location = "<registry>" (usually the same as the prefix)',
    source: LOADER,
  },
  'pull-from-mirror-on-registry': {
    severity: 'error',
    description: 'pull-from-mirror is set on the [[registry]] itself; it is only valid on a [[registry.mirror]].',
    hint: 'move pull-from-mirror under a [[registry.mirror]] table, or use mirror-by-digest-only on the registry',
    source: LOADER,
  },
  'mirror-location-unset': {
    severity: 'error',
    description: 'A [[registry.mirror]] has no location.',
    hint: 'add location = "<mirror host[:port][/namespace]>"',
    source: LOADER,
  },
  'digest-only-conflict': {
    severity: 'error',
    description: 'mirror-by-digest-only on the registry and pull-from-mirror on one of its mirrors at the same time.',
    hint: 'keep only one of them: per-mirror pull-from-mirror = "digest-only" replaces mirror-by-digest-only',
    source: LOADER,
  },
  'invalid-pull-from-mirror': {
    severity: 'error',
    description: 'pull-from-mirror is not one of all, digest-only, tag-only.',
    hint: 'use "all", "digest-only" or "tag-only"',
    source: LOADER,
  },
  'conflicting-insecure': {
    severity: 'error',
    description: 'The same location is defined by several [[registry]] tables in one file with different insecure settings.',
    hint: 'give every table with this location the same insecure value',
    source: LOADER,
  },
  'conflicting-blocked': {
    severity: 'error',
    description: 'The same location is defined by several [[registry]] tables in one file with different blocked settings.',
    hint: 'give every table with this location the same blocked value',
    source: LOADER,
  },
  'conflicting-proxy': {
    severity: 'error',
    description: 'The same location is defined by several [[registry]] tables in one file with different proxy settings.',
    hint: 'give every table with this location the same proxy value',
    source: LOADER,
  },
  'invalid-proxy': {
    severity: 'error',
    description: 'A registry or mirror proxy is not a URL with scheme http, https, socks5 or socks5h.',
    hint: 'write proxy = "http://proxy.example.com:3128"',
    source: LOADER,
  },
  'invalid-search-registry': {
    severity: 'error',
    description: 'An unqualified-search-registries entry is not a host[:port].',
    hint: 'list registries only (docker.io, quay.io), without namespaces or schemes',
    source: LOADER,
  },
  'invalid-short-name-mode': {
    severity: 'error',
    description: 'short-name-mode is not enforcing, permissive or disabled.',
    hint: 'use "enforcing", "permissive" or "disabled"',
    source: LOADER,
  },
  'invalid-wildcard-prefix': {
    severity: 'error',
    description: 'A wildcard prefix contains "/", "@" or ":"; it must be *.example.com.',
    hint: 'a wildcard prefix matches host names only: write prefix = "*.example.com" without port or namespace',
    source: LOADER,
  },
  'invalid-alias': {
    severity: 'error',
    description: 'A short-name alias has a name that is not a short name, or a value that is not registry/repository without tag or digest.',
    hint: 'write "name" = "registry.example.com/namespace/name": the name without registry, tag or digest; the value fully qualified, without tag or digest',
    source: 'https://github.com/containers/container-libs/blob/main/image/pkg/sysregistriesv2/shortnames.go',
  },
  'location-unusable': {
    severity: 'error',
    description:
      'A location or mirror from which containers/image can build no valid image reference (a character names cannot hold, an IPv4-mapped IPv6 address, longer than 255 characters, index.docker.io, a first component that is not a host): the file loads, but every pull it matches fails with "rewriting reference".',
    hint: 'write host[:port][/namespace] in lower case without a scheme, for example mirror.example.com:5000/dockerhub; use docker.io, not index.docker.io',
    source: LOADER,
  },
  // ---- accepted by the loader, but not what the author meant
  'rewrite-fails': {
    severity: 'warning',
    description:
      'For common images under the prefix, the location or mirror produces a reference that is invalid or not canonical (docker.io/ubuntu instead of docker.io/library/ubuntu, or mirror.example.com/x:5000/alpine for prefix localhost), so those pulls fail with "rewriting reference".',
    hint: 'make prefix and location end at the same level (docker.io/library -> mirror.example.com/library), and give prefixes a port when the registry has one',
    source: LOADER,
  },
  'ipv6-location': {
    severity: 'warning',
    description:
      'A location or mirror is an IPv6 address ([::1]:5000). Current containers/image accepts it, but older releases refuse IPv6 in image names (containers/image 5.23, as in skopeo 1.9, fails every such pull with "rewriting reference: invalid reference format").',
    hint: 'use a host name (or an IPv4 address) for the mirror when older podman, skopeo, buildah or CRI-O read this file',
    source: 'https://github.com/distribution/distribution/pull/3489',
  },
  'empty-v1-v2-mix': {
    severity: 'warning',
    description:
      'V1 tables ([registries.search|insecure|block]) and V2 keys in one file where one side holds only empty lists. containers/image 5.23 and earlier (skopeo 1.9, podman 4.3) ignore the empty side; 5.24 and later (podman 4.4+) refuse the file.',
    hint: 'remove the empty [registries.*] tables (or the empty V2 keys)',
    source: 'https://github.com/containers/image/pull/1753',
  },
  'unknown-key': {
    severity: 'warning',
    description: 'A key the loader does not know; it is ignored without a word (visible only at debug log level).',
    hint: 'check the spelling against containers-registries.conf(5)',
    source: MAN,
  },
  'key-in-mirror-scope': {
    severity: 'warning',
    description: 'A registry key (prefix, blocked, mirror-by-digest-only) written after a [[registry.mirror]] header belongs to that mirror in TOML, not to the registry.',
    hint: 'move the key above the first [[registry.mirror]] of its [[registry]]',
    source: 'https://toml.io/en/v1.0.0#array-of-tables',
  },
  'key-case': {
    severity: 'warning',
    description: 'A key is written with upper-case letters; the containers/image TOML decoder matches struct keys case-insensitively, so it works, but other tools and readers will not recognise it.',
    hint: 'write keys in lower case, as containers-registries.conf(5) spells them',
    source: MAN,
  },
  'mirror-equals-location': {
    severity: 'warning',
    description: 'A mirror has the same location as its registry, so the "mirror" is just the registry tried twice.',
    hint: 'set the mirror location to your pull-through cache, or remove the mirror',
    source: MAN,
  },
  'duplicate-mirror': {
    severity: 'warning',
    description: 'The same mirror location is listed twice for one registry.',
    hint: 'remove the repeated [[registry.mirror]]',
    source: MAN,
  },
  'duplicate-prefix': {
    severity: 'warning',
    description: 'Two [[registry]] tables in one file have the same prefix; the loader keeps the first and silently drops the later one.',
    hint: 'merge the two tables into one',
    source: LOADER,
  },
  'replaced-by-drop-in': {
    severity: 'warning',
    description: 'A drop-in redefines a prefix defined by an earlier file; the later table replaces the earlier one wholesale (its mirrors, insecure and blocked are not merged).',
    hint: 'repeat every setting you still want (mirrors, insecure, blocked) in the later table, or edit the earlier file instead',
    source: DROPIN,
  },
  'prefix-never-matches': {
    severity: 'warning',
    description: 'A prefix no image name can match: it carries a tag or digest (matching uses the name only), names index.docker.io (names are normalised to docker.io first), names an official Docker Hub image without library/, or holds a "*" other than a leading "*.".',
    hint: 'write the prefix as the normalised repository name, for example docker.io/library/alpine',
    source: MAN,
  },
  'shadowed-mirrors': {
    severity: 'warning',
    description: 'A more specific [[registry]] without mirrors hides the mirrors of a broader prefix for the images it matches.',
    hint: 'add the mirrors to the more specific table as well, or remove it',
    source: MAN,
  },
  'mirrors-of-blocked-registry': {
    severity: 'warning',
    description: 'A blocked registry has mirrors; pulls are refused before any mirror is tried.',
    hint: 'remove blocked = true to use the mirrors, or remove the mirrors',
    source: MAN,
  },
  'digest-only-mirror-unused': {
    severity: 'info',
    description: 'Mirrors are used for digest references only (mirror-by-digest-only or pull-from-mirror = "digest-only"); pulls by tag go straight to the registry and still count against its rate limit.',
    hint: 'remove the restriction if the mirror should absorb tag pulls (docker.io rate limits count tag pulls)',
    source: MAN,
  },
  'v1-format': {
    severity: 'info',
    description: 'The file uses the deprecated V1 format, which cannot express mirrors.',
    hint: 'convert to V2: mirrorctl mirror add ... --convert',
    source: MAN,
  },
  'mirror-through-proxy': {
    severity: 'warning',
    description: 'A mirror on a private address or with an internal-looking name is reached through the proxy that podman, buildah and skopeo read from their environment (and containers.conf), which usually cannot reach it.',
    hint: 'add the mirror host to NO_PROXY where the engine reads it',
    source: 'https://pkg.go.dev/golang.org/x/net/http/httpproxy',
  },
  'insecure-mirror': {
    severity: 'info',
    description: 'A mirror or registry is insecure: plain HTTP and unverified TLS are allowed for it.',
    hint: 'serve the mirror over TLS with a certificate the hosts trust, then remove insecure = true',
    source: MAN,
  },
})

export type RegistriesConfRule = keyof typeof rules
