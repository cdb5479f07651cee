import {isMap, isScalar, isSeq} from 'yaml'
import type {Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {normalizeK3sEndpoint} from './endpoint.js'
import type {K3sRegistriesDoc} from './parse.js'
import {at} from './position.js'
import {rules} from './rules.js'

/** host[:port] (an IPv6 literal in brackets), as containerd and k3s key registries. */
const HOST_KEY = /^(?:\[[0-9A-Fa-f:.]+\]|[^/:\s[\]]+)(?::\d+)?$/

/**
 * What k3s does with the names and endpoints (pkg/agent/containerd/config.go): it drops
 * endpoints url.Parse refuses and duplicates, keeps a path other than /v2 as the API root
 * (override_path), and looks registries and configs up by host[:port].
 */
export function lintEndpoints(d: K3sRegistriesDoc): Finding[] {
  const findings: Finding[] = []
  const mirrors = d.doc.get('mirrors', true)
  for (const item of isMap(mirrors) ? mirrors.items : []) {
    const name = isScalar(item.key) ? String(item.key.value) : ''
    if (name !== '*' && !HOST_KEY.test(name))
      findings.push(report(rules['mirror-key-not-host'], at(d, ['mirrors', name]), `mirrors key "${name}" is not a registry host[:port]: no image pull uses it`))
    const rewrite = isMap(item.value) ? item.value.get('rewrite', true) : undefined
    for (const r of isMap(rewrite) ? rewrite.items : []) {
      const pattern = isScalar(r.key) ? String(r.key.value) : ''
      const replacement = isScalar(r.value) ? String(r.value.value) : ''
      if (/[\\"]/.test(pattern + replacement))
        findings.push(report(rules['rewrite-unescaped'], at(d, ['mirrors', name, 'rewrite', pattern]), `rewrite "${pattern}" -> "${replacement}" has a backslash or quote, which k3s writes unescaped into hosts.toml`))
    }
    const ep = isMap(item.value) ? item.value.get('endpoint', true) : undefined
    if (!isSeq(ep)) continue
    const seen = new Map<string, string>()
    ep.items.forEach((node, i) => {
      if (!isScalar(node) || node.value === null) return
      const text = String(node.value)
      const where = at(d, ['mirrors', name, 'endpoint', i])
      const n = normalizeK3sEndpoint(text)
      if ('error' in n || (n.scheme !== 'http' && n.scheme !== 'https')) {
        const why = 'error' in n ? n.error : `scheme ${n.scheme}:// is not http or https`
        findings.push(report(rules['endpoint-invalid'], where, `endpoint "${text}" is not usable (${why}): k3s drops it`))
        return
      }
      const earlier = seen.get(n.url)
      if (earlier !== undefined) {
        findings.push(report(rules['duplicate-endpoint'], where, `endpoint "${text}" is "${earlier}" again (${n.url}): k3s skips it`))
        return
      }
      seen.set(n.url, text)
      if (!text.includes('://')) findings.push(report(rules['endpoint-no-scheme'], where, `endpoint "${text}" has no scheme: k3s uses ${n.url}`))
      if (n.overridePath && !/(?:^|\/)v2(?:\/|$)/.test(n.path))
        findings.push(report(rules['endpoint-path-no-v2'], where, `endpoint "${text}" has the path ${n.path} without /v2: containerd requests ${n.url}/<repository>/manifests/… (override_path)`))
    })
  }
  const configs = d.doc.get('configs', true)
  for (const item of isMap(configs) ? configs.items : []) {
    const name = isScalar(item.key) ? String(item.key.value) : ''
    if (name !== '*' && !HOST_KEY.test(name))
      findings.push(report(rules['config-key-not-host'], at(d, ['configs', name]), `configs key "${name}" is not a host[:port]: k3s never applies it`))
  }
  return findings
}
