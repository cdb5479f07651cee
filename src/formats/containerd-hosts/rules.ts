import {defineRules} from '../../lint/rule.js'

const HOSTS = 'https://github.com/containerd/containerd/blob/main/core/remotes/docker/config/hosts.go'
const HOSTS_16 = 'https://github.com/containerd/containerd/blob/release/1.6/remotes/docker/config/hosts.go'
const PATHS = 'https://github.com/containerd/containerd/blob/release/1.7/remotes/docker/config/config_unix.go'
const CRI = 'https://github.com/containerd/containerd/blob/main/docs/hosts.md'

/**
 * containerd's registry host folder (hosts.toml) and the registry part of config.toml.
 * error = containerd ignores the file or refuses the configuration; warning = read, but not what was meant.
 */
export const rules = defineRules('containerd-hosts', {
  'toml-syntax': {
    severity: 'error',
    description: 'hosts.toml is not valid TOML: containerd only logs "failed to decode hosts.toml" and pulls from the upstream registry.',
    hint: 'fix the TOML syntax at the position shown; until then every pull of this registry bypasses the mirrors',
    source: HOSTS,
  },
  'decode-error': {
    severity: 'error',
    description: 'hosts.toml decodes with an error (wrong type, unknown capability, bad client pair): containerd logs it and ignores the whole file.',
    hint: 'use the types hosts.toml takes: capabilities = ["pull", "resolve"], skip_verify = true, ca = "file" or ["files"]',
    source: HOSTS,
  },
  'unreadable-tls-file': {
    severity: 'error',
    description: 'A ca or client file named in hosts.toml (or a certs.d-style .crt/.cert) cannot be read: containerd fails every pull of that registry.',
    hint: 'fix the path (relative paths are relative to the hosts.toml folder) or make the file readable by root',
    source: HOSTS,
  },
  'no-host-table': {
    severity: 'error',
    description: 'hosts.toml has no [host."…"] table: containerd 1.6 and 1.7 fail to decode it and ignore the file, server included.',
    hint: 'add the mirror as a [host."https://mirror.example.com"] table; a server line alone is ignored before containerd 2.0',
    source: HOSTS_16,
  },
  'unknown-key': {
    severity: 'warning',
    description: 'A key containerd does not know (often a misspelling such as skip-verify or override-path): it is silently ignored.',
    hint: 'known keys: server, capabilities, ca, client, skip_verify, header, override_path, dial_timeout (2.x)',
    source: HOSTS,
  },
  'path-gets-v2': {
    severity: 'warning',
    description: 'A host URL has a path that does not end in /v2 and override_path is not set: containerd appends /v2 after the path (a Harbor project URL gets a second /v2).',
    hint: 'for a registry that serves the API under this path (Harbor proxy project: https://harbor/v2/<project>) set override_path = true',
    source: HOSTS,
  },
  'http-prefix-no-scheme': {
    severity: 'error',
    description: 'A host or server starts with "http" but has no scheme: containerd does not add https:// and Go reads the name as a URL scheme, so the address is garbled.',
    hint: 'write the scheme explicitly: https://httpcache.example.com:5000',
    source: HOSTS,
  },
  'server-docker-io': {
    severity: 'warning',
    description: 'server is docker.io (or index.docker.io), which does not serve the registry API: the upstream fallback fails.',
    hint: 'use server = "https://registry-1.docker.io", or leave server out',
    source: HOSTS,
  },
  'default-folder-server': {
    severity: 'warning',
    description: 'The _default folder sets server: every registry without its own folder is then pulled from that one server.',
    hint: 'leave server out of _default/hosts.toml so each registry falls back to itself',
    source: PATHS,
  },
  'shadowed-folder': {
    severity: 'warning',
    description: 'Two folders name the same registry (host_port_ and host:port): containerd reads only the first that exists, even without a hosts.toml in it.',
    hint: 'keep one folder per registry; containerd prefers host_port_ over host:port',
    source: PATHS,
  },
  'empty-folder': {
    severity: 'warning',
    description: 'A registry folder without hosts.toml: it still wins the lookup, so _default is not used for this registry.',
    hint: 'add a hosts.toml or remove the folder',
    source: PATHS,
  },
  'no-pull-capability': {
    severity: 'warning',
    description: 'A host lists capabilities without pull or resolve: containerd never uses it to pull.',
    hint: 'a pull-through mirror needs capabilities = ["pull", "resolve"]',
    source: HOSTS,
  },
  'push-to-mirror': {
    severity: 'info',
    description: 'A mirror host has no capabilities list, so it also gets push: pushes would go to the mirror.',
    hint: 'set capabilities = ["pull", "resolve"] on mirrors',
    source: HOSTS,
  },
  'config-toml-syntax': {
    severity: 'error',
    description: "containerd's config.toml is not valid TOML: containerd does not start.",
    hint: 'fix the TOML syntax at the position shown, then restart containerd',
    source: 'https://toml.io/en/v1.0.0',
  },
  'config-path-unset': {
    severity: 'warning',
    description: "config.toml does not set the CRI registry config_path: the CRI plugin (kubelet's pulls) never reads hosts.toml files.",
    hint: 'set config_path = "/etc/containerd/certs.d" under the CRI registry table and restart containerd (mirrorctl mirror add --engine containerd does it)',
    source: CRI,
  },
  'mirrors-with-config-path': {
    severity: 'error',
    description: 'config.toml sets both config_path and the deprecated registry.mirrors: the CRI plugin refuses the configuration.',
    hint: 'move each registry.mirrors entry into <config_path>/<registry>/hosts.toml and delete the mirrors table',
    source: CRI,
  },
  'deprecated-mirrors': {
    severity: 'warning',
    description: 'config.toml uses the deprecated CRI registry.mirrors (removed in containerd 2.0); only the CRI plugin reads it, ctr and nerdctl do not.',
    hint: 'move the mirrors to hosts.toml files under config_path (the mirrors table is read, never written, by mirrorctl)',
    source: CRI,
  },
})
