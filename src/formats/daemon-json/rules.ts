import {defineRules} from '../../lint/rule.js'

const DOCKERD = 'https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file'
const CONFIG_GO = 'https://github.com/moby/moby/blob/master/daemon/config/config.go'
const REGISTRY_GO = 'https://github.com/moby/moby/blob/master/daemon/pkg/registry/config.go'
const MIRROR_DOCS = 'https://distribution.github.io/distribution/recipes/mirror/'
const PROXY_DOCS = 'https://docs.docker.com/engine/daemon/proxy/'
const HARBOR = 'https://goharbor.io/docs/latest/administration/configure-proxy-cache/'
const PATHS_COMMIT = 'https://github.com/moby/moby/commit/c587ba34229948e5c0b8fdc4bbdb1eaf6727aaa6'

/**
 * Every daemon.json rule. error = dockerd refuses to start (or a reload is rejected and the old
 * configuration stays); warning = accepted but does not do what was meant; info = advice.
 */
export const rules = defineRules('daemon-json', {
  // ---- the file itself
  'json-syntax': {
    severity: 'error',
    description: 'The file is not strict JSON as Go\'s encoding/json reads it (comments, trailing commas, single quotes, NaN, unquoted keys).',
    hint: 'fix the JSON at the position shown; `jq . daemon.json` reports the same kind of error',
    source: CONFIG_GO,
  },
  'invalid-utf8': {
    severity: 'warning',
    description: "The file holds bytes that are not UTF-8; Go's encoding/json replaces them with U+FFFD inside strings (and rejects them elsewhere), so dockerd sees other text than the file holds. mirrorctl will not edit such a file.",
    hint: 'save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`), then run mirrorctl again',
    source: 'https://pkg.go.dev/encoding/json#Unmarshal',
  },
  'top-level-not-object': {
    severity: 'error',
    description: 'The top-level value is not a JSON object.',
    hint: 'wrap the settings in { }: daemon.json is one object of "option": value pairs',
    source: DOCKERD,
  },
  'duplicate-key': {
    severity: 'warning',
    description: 'A key appears twice in the same object; dockerd silently keeps the last one.',
    hint: 'delete the occurrence you do not want, so the file says one thing',
    source: 'https://pkg.go.dev/encoding/json#Unmarshal',
  },
  'bom-before-24': {
    severity: 'error',
    description: 'The file starts with a UTF-8 byte order mark, which dockerd accepts only from Engine 24.0.',
    hint: 'save the file as UTF-8 without BOM (for example `sed -i \'1s/^\\xEF\\xBB\\xBF//\' daemon.json`)',
    source: CONFIG_GO,
  },

  // ---- option names and values
  'unknown-key': {
    severity: 'error',
    description: 'A key that matches no dockerd option (typo, wrong case, key of another tool); dockerd refuses to start.',
    hint: 'correct the key name or remove it; names are case-sensitive',
    source: DOCKERD,
  },
  'key-too-new': {
    severity: 'error',
    description: 'A key that the installed Docker Engine version does not know yet; dockerd refuses to start.',
    hint: 'upgrade Docker Engine, or remove the key',
    source: DOCKERD,
  },
  'key-removed': {
    severity: 'error',
    description: 'A key that was removed from Docker Engine in or before the installed version; dockerd refuses to start.',
    hint: 'remove the key (see the deprecation notes for its replacement)',
    source: 'https://docs.docker.com/engine/deprecated/',
  },
  'ignored-key': {
    severity: 'warning',
    description: 'A key that dockerd accepts (it matches a flag name) but never reads from the file, so it has no effect.',
    hint: 'use the file key the option documents (usually the plural, e.g. registry-mirrors)',
    source: CONFIG_GO,
  },
  'wrong-type': {
    severity: 'error',
    description: 'A value of the wrong JSON type for its option (e.g. a string where a list is expected); decoding fails and dockerd refuses to start.',
    hint: 'use the type the option takes: lists in [ ], booleans unquoted, numbers unquoted, log-opts values as strings',
    source: DOCKERD,
  },

  // ---- registry-mirrors (ValidateMirror)
  'mirror-no-scheme': {
    severity: 'error',
    description: 'A registry mirror without http:// or https://; dockerd refuses to start.',
    hint: 'write the mirror as a URL: "https://mirror.example.com" (or "http://…" for a plain-HTTP mirror)',
    source: REGISTRY_GO,
  },
  'mirror-invalid-url': {
    severity: 'error',
    description: 'A registry mirror that Go\'s URL parser rejects; dockerd refuses to start.',
    hint: 'write the mirror as scheme://host[:port]',
    source: REGISTRY_GO,
  },
  'mirror-scheme': {
    severity: 'error',
    description: 'A registry mirror whose scheme is not http or https; dockerd refuses to start.',
    hint: 'use https:// (or http:// for a plain-HTTP mirror)',
    source: REGISTRY_GO,
  },
  'mirror-query-fragment': {
    severity: 'error',
    description: 'A registry mirror URL with a ?query or #fragment; dockerd refuses to start.',
    hint: 'remove everything from the ? or # on',
    source: REGISTRY_GO,
  },
  'mirror-userinfo': {
    severity: 'error',
    description: 'A registry mirror URL with user:password@; dockerd refuses to start.',
    hint: 'remove the credentials from the URL; dockerd pulls from mirrors anonymously or with Docker Hub credentials from `docker login`',
    source: REGISTRY_GO,
  },
  'mirror-path': {
    severity: 'error',
    description: 'A registry mirror URL with a path, which Docker Engine before 25.0 rejects.',
    hint: 'serve the mirror at the root of a host or port (https://mirror.example.com), or upgrade to Docker Engine 25.0+',
    source: PATHS_COMMIT,
  },
  'mirror-no-host': {
    severity: 'warning',
    description: 'A registry mirror URL without a host; dockerd accepts it, but every pull through it fails and falls back.',
    hint: 'write the mirror as scheme://host[:port]',
    source: REGISTRY_GO,
  },
  'mirror-duplicate': {
    severity: 'info',
    description: 'The same mirror is listed twice; dockerd keeps the first.',
    hint: 'delete the second entry',
    source: REGISTRY_GO,
  },
  'mirror-not-docker-hub': {
    severity: 'warning',
    description: 'A mirror that looks meant for another registry (quay.io, ghcr.io, gcr.io, registry.k8s.io…); dockerd uses registry-mirrors for Docker Hub only.',
    hint: 'mirror other registries with registries.conf ([[registry]] prefix = "quay.io" with a [[registry.mirror]]) for podman/CRI-O, or containerd\'s certs.d/<registry>/hosts.toml',
    source: MIRROR_DOCS,
  },
  'harbor-project-path': {
    severity: 'warning',
    description: 'A mirror URL with a path: dockerd requests <path>/v2/…, while a Harbor proxy-cache project (and most path-based proxies) serves /v2/<project>/…, so pulls never reach it.',
    hint: 'serve Docker Hub at the root of a host or port, or use registries.conf / containerd hosts.toml, which can address a project path',
    source: HARBOR,
  },
  'http-mirror': {
    severity: 'info',
    description: 'A plain-HTTP mirror: image pulls travel unencrypted.',
    hint: 'serve the mirror over HTTPS where the network is not trusted',
    source: REGISTRY_GO,
  },

  // ---- insecure-registries (loadInsecureRegistries)
  'insecure-registry-invalid': {
    severity: 'error',
    description: 'An insecure-registries entry dockerd rejects (invalid host, port or CIDR, leading/trailing hyphen, a scheme other than http/https).',
    hint: 'write host, host:port, an IP address or a CIDR such as 10.0.0.0/8, without a path',
    source: REGISTRY_GO,
  },
  'insecure-registry-scheme': {
    severity: 'warning',
    description: 'An insecure-registries entry with http:// or https://; dockerd strips it with a warning.',
    hint: 'write host[:port] without a scheme',
    source: REGISTRY_GO,
  },
  'insecure-registry-loopback': {
    severity: 'info',
    description: 'An insecure-registries entry on the loopback network, which dockerd already treats as insecure (127.0.0.0/8, ::1).',
    hint: 'the entry can go; registries on localhost/127.0.0.1 work without it',
    source: REGISTRY_GO,
  },

  // ---- proxies
  'proxies-too-old': {
    severity: 'error',
    description: 'A "proxies" object on Docker Engine before 23.0, which does not know http-proxy/https-proxy/no-proxy; dockerd refuses to start.',
    hint: 'set HTTP_PROXY/HTTPS_PROXY/NO_PROXY for the docker service in a systemd drop-in instead, or upgrade to 23.0+',
    source: PROXY_DOCS,
  },
  'proxies-not-reloadable': {
    severity: 'info',
    description: 'Proxy settings are read only at start; a reload (SIGHUP) keeps the old ones.',
    hint: 'after changing proxies run `systemctl restart docker`; check with `docker info` (HTTP Proxy / HTTPS Proxy / No Proxy)',
    source: PROXY_DOCS,
  },

  // ---- file vs command line
  'flag-conflict': {
    severity: 'error',
    description: 'An option set both in daemon.json and as a dockerd flag (ExecStart of the systemd unit); dockerd refuses to start, whatever the values.',
    hint: 'remove the key from daemon.json, or drop the flag from ExecStart with a systemd drop-in (`systemctl edit docker`)',
    source: DOCKERD,
  },
  'mirror-through-proxy': {
    severity: 'warning',
    description: 'A mirror on a private address or with an internal-looking name is reached through the proxy dockerd uses (its systemd environment or daemon.json proxies), which usually cannot reach it.',
    hint: 'add the mirror host to NO_PROXY where dockerd reads it, then restart docker',
    source: 'https://docs.docker.com/engine/daemon/proxy/',
  },
})

export type DaemonJsonRule = keyof typeof rules
