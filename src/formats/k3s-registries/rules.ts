import {defineRules} from '../../lint/rule.js'

const DOCS = 'https://docs.k3s.io/installation/private-registry'

/** k3s / RKE2 registries.yaml. */
export const rules = defineRules('k3s-registries', {
  'yaml-syntax': {
    severity: 'error',
    description: 'registries.yaml is not valid YAML: k3s/RKE2 cannot use it.',
    hint: 'fix the YAML at the position shown, then restart k3s (or rke2-server / rke2-agent)',
    source: DOCS,
  },
  'wrong-type': {
    severity: 'error',
    description: 'A key has the wrong shape (mirrors.<registry>.endpoint must be a list of URLs, rewrite a map, configs.<host>.tls a map).',
    hint: 'endpoint:\n  - "https://mirror.example.com"',
    source: DOCS,
  },
  'unknown-key': {
    severity: 'warning',
    description: 'A key registries.yaml does not have (top level: mirrors, configs): it is ignored.',
    hint: 'check the spelling: mirrors.<registry>.endpoint / rewrite, configs.<host>.auth / tls',
    source: DOCS,
  },
  'endpoint-no-scheme': {
    severity: 'warning',
    description: 'A mirror endpoint has no http:// or https:// scheme.',
    hint: 'write the endpoint as a URL: https://mirror.example.com:5000',
    source: DOCS,
  },
  'restart-needed': {
    severity: 'info',
    description: 'k3s and RKE2 read registries.yaml only when they start.',
    hint: 'restart k3s (systemctl restart k3s or k3s-agent; RKE2: rke2-server or rke2-agent) after changing it',
    source: DOCS,
  },
})
