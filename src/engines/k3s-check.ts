/**
 * `check --engine k3s`: the mirror endpoints of k3s's (or RKE2's) registries.yaml as the
 * containerd k3s starts will request them. k3s turns each `endpoint` into a [host] of a
 * hosts.toml it writes (k3s-io/k3s pkg/agent/containerd/config.go, normalizeEndpointAddress):
 * - no scheme: https, except localhost or a loopback IP on a port other than 443: http;
 * - docker.io as an endpoint host means registry-1.docker.io (docker.DefaultHost);
 * - a path of "", "/" or "/v2" becomes /v2; any other path is kept as it is and gets
 *   override_path = true, so containerd requests <path>/<repository>/manifests/… without
 *   adding /v2 (a Harbor project is written https://harbor/v2/<project>).
 * The TLS settings of configs.<endpoint host> (ca_file, insecure_skip_verify) apply to it.
 */
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {defaultHost, normalizeK3sEndpoint, type K3sEndpoint} from '../formats/k3s-registries/endpoint.js'
import {parseK3sRegistries, readK3sRegistries, type K3sRegistriesDoc} from '../formats/k3s-registries/index.js'
import type {Host} from '../hosts/host.js'
import {configRejected} from '../lint/config-rejected.js'
import {splitAtV2, splitHostPort, type MirrorTarget} from '../net/mirror-target.js'
import {locateK3sRegistries} from './k3s-change.js'

/**
 * An endpoint as k3s writes it into hosts.toml (formats/k3s-registries/endpoint.ts, from k3s's
 * normalizeEndpointAddress), or an error for one k3s drops or containerd cannot use: only
 * http(s), and credentials in the URL are never sent.
 */
function endpointOf(endpoint: string): K3sEndpoint {
  const ep = normalizeK3sEndpoint(endpoint)
  if ('error' in ep) throw new Error(`"${endpoint}": ${ep.error}`)
  if (ep.scheme !== 'http' && ep.scheme !== 'https') throw new Error(`scheme "${ep.scheme}" is neither http nor https`)
  if (/^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^/?#]*@/.test(endpoint)) throw new Error('credentials in an endpoint URL are not used; put them under configs.<host>.auth')
  return ep
}

/**
 * The probe target of an endpoint: the probe asks <apiRoot>/v2/ and, with --image,
 * <apiRoot>/v2/<namespace>/<repository>/manifests/…; an override path is split at its first
 * /v2 so that the manifest request is exactly the one containerd sends.
 */
function targetOf(ep: K3sEndpoint, origin: string): MirrorTarget {
  const split = splitAtV2(ep.path)
  const {host, port} = splitHostPort(ep.host)
  const target: MirrorTarget = {
    mirror: `${ep.scheme}://${ep.host}${ep.path}`,
    host,
    port,
    hostPort: ep.host,
    namespace: split?.namespace ?? '',
    apiRoot: split?.apiRoot ?? '',
    scheme: ep.scheme as 'http' | 'https',
    insecure: false,
    proxy: '',
    kind: 'containerd-hosts',
    origin,
    serves: [],
  }
  if (!split) {
    target.problem = `k3s sets override_path for this endpoint, so containerd requests ${ep.path}/<repository>/manifests/… with no /v2 in the path, which a registry does not serve; write the endpoint with its /v2 path (for a Harbor project: ${ep.scheme}://${ep.host}/v2${ep.path})`
  }
  return target
}

/**
 * Every distinct mirror endpoint of a registries.yaml, in file order, with the registries it
 * serves ("*" for the wildcard entry). An endpoint that is the registry's own API host is the
 * upstream itself, not a mirror, and is left out (k3s makes the last such entry the server).
 */
export function mirrorsFromK3s(doc: K3sRegistriesDoc): MirrorTarget[] {
  const config = readK3sRegistries(doc)
  const byUrl = new Map<string, MirrorTarget>()
  for (const [registry, mirror] of Object.entries(config.mirrors)) {
    for (const endpoint of mirror.endpoints) {
      let target: MirrorTarget
      try {
        const ep = endpointOf(endpoint)
        if (registry !== '*' && ep.host === defaultHost(registry) && !ep.overridePath) continue
        target = byUrl.get(`${ep.scheme}://${ep.host}${ep.path}`) ?? targetOf(ep, doc.path)
        const tls = config.configs[ep.host]?.tls ?? (ep.host === 'registry-1.docker.io' ? config.configs['docker.io']?.tls : null) ?? null
        if (tls?.['insecure_skip_verify'] === true) target.insecure = true
        const ca = tls?.['ca_file']
        if (typeof ca === 'string' && ca !== '' && !(target.caFiles ??= []).includes(ca)) target.caFiles.push(ca)
      } catch (error) {
        // k3s logs "Ignoring invalid endpoint URL" and leaves it out: shown as a mirror that cannot be probed.
        target = byUrl.get(endpoint) ?? {mirror: endpoint, host: '', port: null, hostPort: endpoint, namespace: '', apiRoot: '', scheme: null, insecure: false, proxy: '', kind: 'containerd-hosts', origin: doc.path, serves: [], problem: `k3s ignores this endpoint: ${(error as Error).message}`}
      }
      byUrl.set(target.mirror, target)
      if (!target.serves.includes(registry)) target.serves.push(registry)
    }
  }
  return [...byUrl.values()]
}

/** The mirrors of registries.yaml on host (--k3s-registries, else k3s's, else RKE2's). */
export async function k3sMirrors(host: Host, file?: string): Promise<MirrorTarget[]> {
  const path = await locateK3sRegistries(host, file)
  const text = await host.readFile(path)
  if (text === null) {
    throw new UserError(`no mirrors to check: ${path} does not exist`, {exitCode: ExitCode.Findings, hint: 'give mirrors as arguments, or add one with mirrorctl mirror add --engine k3s'})
  }
  const doc = parseK3sRegistries(text, path)
  // k3s refuses to start with a registries.yaml it cannot decode.
  if (doc.syntaxFindings[0]) throw configRejected(doc.syntaxFindings[0])
  const targets = mirrorsFromK3s(doc)
  if (targets.length === 0) {
    throw new UserError(`no mirrors to check: ${path} names no mirror endpoint`, {exitCode: ExitCode.Findings, hint: 'give mirrors as arguments, or add one with mirrorctl mirror add --engine k3s'})
  }
  return targets
}
