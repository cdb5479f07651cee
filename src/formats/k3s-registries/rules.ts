import {defineRules} from '../../lint/rule.js'

const DOCS = 'https://docs.k3s.io/installation/private-registry'
const CONFIG_GO = 'https://github.com/k3s-io/k3s/blob/master/pkg/agent/containerd/config.go'
const WHARFIE = 'https://github.com/rancher/wharfie/blob/main/pkg/registries/registries.go'

/** k3s / RKE2 registries.yaml (facts in docs/containerd.md, section k3s and RKE2). */
export const rules = defineRules('k3s-registries', {
  'yaml-syntax': {
    severity: 'error',
    description: 'registries.yaml is not valid YAML: k3s/RKE2 fail to start (the agent returns the decode error).',
    hint: 'fix the YAML at the position shown, then restart k3s (or rke2-server / rke2-agent)',
    source: WHARFIE,
  },
  'wrong-type': {
    severity: 'error',
    description: 'A key has a type yaml.v2 refuses (endpoint not a list, tls not a map, insecure_skip_verify not a boolean): k3s/RKE2 fail to start.',
    hint: 'endpoint:\n  - "https://mirror.example.com"',
    source: WHARFIE,
  },
  'unknown-key': {
    severity: 'warning',
    description: 'A key k3s does not read (yaml.v2 drops it silently), such as a misspelt insecure-skip-verify or the hosts.toml name ca.',
    hint: 'mirrors.<registry>.endpoint / rewrite; configs.<host>.auth (username, password, auth, identity_token) / tls (ca_file, cert_file, key_file, insecure_skip_verify)',
    source: WHARFIE,
  },
  'endpoint-no-scheme': {
    severity: 'info',
    description: 'A mirror endpoint has no scheme: k3s uses https://, or http:// for localhost or a loopback IP on a port other than 443.',
    hint: 'write the scheme to make it explicit: https://mirror.example.com:5000 or http://mirror.example.com:5000',
    source: CONFIG_GO,
  },
  'endpoint-invalid': {
    severity: 'warning',
    description: 'A mirror endpoint k3s cannot use (Go url.Parse refuses it, or its scheme is not http/https): k3s logs "Ignoring invalid endpoint URL" and pulls go elsewhere.',
    hint: 'write the endpoint as scheme://host[:port][/path], for example https://mirror.example.com:5000',
    source: CONFIG_GO,
  },
  'duplicate-endpoint': {
    severity: 'info',
    description: 'An endpoint k3s reads as one listed before (mirror.example.com is https://mirror.example.com/v2): k3s skips it.',
    hint: 'remove the second entry',
    source: CONFIG_GO,
  },
  'endpoint-path-no-v2': {
    severity: 'warning',
    description: 'An endpoint path other than /v2 without a /v2 segment: k3s sets override_path, so containerd requests <path>/<repository>/manifests/… without /v2, which a registry does not serve.',
    hint: 'for a Harbor-style proxy project write https://harbor.example.com/v2/<project>; for a plain registry leave the path out',
    source: CONFIG_GO,
  },
  'mirror-key-not-host': {
    severity: 'warning',
    description: 'A mirrors key with a scheme or path: containerd looks a registry up by its host[:port] (or "*"), so the entry never applies.',
    hint: 'key mirrors by the registry as it appears in image names: docker.io, quay.io, registry.example.com:5000',
    source: CONFIG_GO,
  },
  'config-key-not-host': {
    severity: 'warning',
    description: 'A configs key with a scheme or path: k3s looks configs up by an endpoint\'s host[:port], so its auth and tls never apply.',
    hint: 'key configs by host[:port] as in the endpoint URL: mirror.example.com:5000',
    source: CONFIG_GO,
  },
  'rewrite-unescaped': {
    severity: 'warning',
    description: 'A rewrite pattern or replacement with a backslash or double quote: k3s writes it unescaped into a TOML string in hosts.toml, so containerd reads another pattern or cannot decode the file and ignores all of its mirrors.',
    hint: 'avoid \\ and " in rewrite rules (for \\w use [A-Za-z0-9_]), or check the generated hosts.toml under /var/lib/rancher/k3s/agent/etc/containerd/certs.d',
    source: 'https://github.com/k3s-io/k3s/blob/master/pkg/agent/templates/templates.go',
  },
  'unreadable-tls-file': {
    severity: 'error',
    description: 'A ca_file, cert_file or key_file containerd cannot read (missing, relative, or key_file without cert_file): k3s writes it into hosts.toml and containerd fails every pull of that registry.',
    hint: 'give an absolute path to a file readable by root; cert_file and key_file go together',
    source: CONFIG_GO,
  },
  'restart-needed': {
    severity: 'info',
    description: 'k3s and RKE2 read registries.yaml only when they start (they then rewrite their hosts.toml files).',
    hint: 'restart k3s (systemctl restart k3s or k3s-agent; RKE2: rke2-server or rke2-agent) after changing it',
    source: DOCS,
  },
})
