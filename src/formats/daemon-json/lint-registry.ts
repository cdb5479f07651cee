/**
 * The registry values dockerd validates at start (registry newServiceConfig): registry-mirrors
 * (ValidateMirror), insecure-registries (loadInsecureRegistries) and
 * allow-nondistributable-artifacts (loadAllowNondistributableArtifacts, until 29.0).
 */
import {report} from '../../lint/rule.js'
import {atLeast, classifyName} from './known-keys.js'
import type {LintScope} from './lint-scope.js'
import {
  checkInsecureRegistry,
  checkMirror,
  checkNondistributable,
  isDockerHubSource,
  maskPassword,
  mirrorKey,
  normalizeMirror,
  suggestedOtherRegistry,
  type MirrorProblemKind,
} from './mirror-url.js'
import type {JsonMember} from './parse.js'
import {rules} from './rules.js'

/** Each entry costs O(its length): positions are computed only for entries that get a finding. */
export function lintMirrors(s: LintScope, member: JsonMember | undefined): void {
  if (!member || member.value.kind !== 'array') return
  if (classifyName('registry-mirrors', '', s.version).kind !== 'read') return
  const seen = new Set<string>()
  for (const item of member.value.items) {
    if (item.kind !== 'string') continue
    const value = item.value
    const at = () => s.at(item.start)
    const check = checkMirror(value, s.version)
    if (!check.ok) {
      const {kind, message} = check.problem
      const old = atLeast(s.version, '29.0')
        ? ''
        : ' (before Engine 29, `dockerd --validate` does not check mirrors and prints "configuration OK"; the daemon still fails to start)'
      s.out.push(report(rules[MIRROR_RULE[kind]], at(), `${message}; dockerd refuses to start`, mirrorHint(kind, value) + old))
      continue
    }
    const {url, normalized} = check
    if (seen.has(normalized)) {
      s.out.push(report(rules['mirror-duplicate'], at(), `mirror ${JSON.stringify(value)} is listed twice; dockerd keeps the first`))
    }
    seen.add(normalized)
    if (url.host === '') {
      s.out.push(report(rules['mirror-no-host'], at(), `mirror ${JSON.stringify(value)} has no host; every pull through it fails before dockerd falls back to Docker Hub`))
      continue
    }
    if (url.scheme === 'http') {
      s.out.push(report(rules['http-mirror'], at(), `mirror ${JSON.stringify(maskPassword(value))} is plain HTTP: pulls through it are not encrypted`))
    }
    const path = url.path.replace(/\/+$/, '')
    if (path !== '') {
      const older = s.version ? '' : '; Docker Engine before 25.0 refuses such a URL outright'
      s.out.push(
        report(
          rules['harbor-project-path'],
          at(),
          `mirror ${JSON.stringify(value)} has a path: dockerd requests ${url.scheme}://${url.host}${path}/v2/library/<image>/…, while a Harbor proxy-cache project (and most path-based registry proxies) answers at /v2${path}/library/<image>/…, so this mirror does not work unless a reverse proxy strips "${path}"${older}`,
          harborHint(url.host, path),
        ),
      )
    }
    const other = intendedRegistry(s, value, url)
    if (other) {
      s.out.push(
        report(
          rules['mirror-not-docker-hub'],
          at(),
          `mirror ${JSON.stringify(value)} ${other.known ? 'is meant for' : 'looks meant for'} ${other.registry}, but dockerd uses registry-mirrors only for Docker Hub (docker.io); pulls from ${other.registry} never go through it`,
          otherRegistryHint(other.registry, url.host, path),
        ),
      )
    }
  }
}

function intendedRegistry(s: LintScope, value: string, url: {host: string; path: string}): {registry: string; known: boolean} | null {
  const sources = s.ctx.mirrorSources ?? {}
  for (const k of [value, normalizeMirror(value), mirrorKey(value), url.host]) {
    const source = sources[k]
    if (source !== undefined) return isDockerHubSource(source) ? null : {registry: source, known: true}
  }
  const guess = suggestedOtherRegistry(url)
  return guess ? {registry: guess, known: false} : null
}

export function lintInsecureRegistries(s: LintScope, member: JsonMember | undefined): void {
  if (!member || member.value.kind !== 'array') return
  for (const item of member.value.items) {
    if (item.kind !== 'string') continue
    const check = checkInsecureRegistry(item.value)
    if (!check.ok) {
      s.out.push(report(rules['insecure-registry-invalid'], s.at(item.start), `${check.message}; dockerd refuses to start`))
      continue
    }
    if (check.strippedScheme) {
      s.out.push(
        report(
          rules['insecure-registry-scheme'],
          s.at(item.start),
          `insecure registry ${JSON.stringify(item.value)} contains '${check.strippedScheme}://'; dockerd removes it with a warning and uses "${check.value}"`,
          `write "${check.value}"`,
        ),
      )
    }
    if (check.loopback) {
      s.out.push(
        report(
          rules['insecure-registry-loopback'],
          s.at(item.start),
          `"${item.value}" is on the loopback network, which dockerd always treats as insecure (127.0.0.0/8 and ::1/128 are added implicitly)`,
        ),
      )
    }
  }
}

/** Checked while dockerd reads the key (before 29.0); from 29.0 names() reports it as ignored. */
export function lintNondistributable(s: LintScope, member: JsonMember | undefined): void {
  if (!member || member.value.kind !== 'array') return
  if (classifyName('allow-nondistributable-artifacts', '', s.version).kind !== 'read') return
  for (const item of member.value.items) {
    if (item.kind !== 'string') continue
    const check = checkNondistributable(item.value)
    if (check.ok) continue
    const bare = item.value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '').replace(/^-+|-+$/g, '')
    s.out.push(
      report(
        rules['nondistributable-invalid'],
        s.at(item.start),
        `${check.message}; dockerd refuses to start`,
        bare && bare !== item.value ? `write "${bare}" (host[:port] or a CIDR, no scheme)` : rules['nondistributable-invalid'].hint,
      ),
    )
  }
}

const MIRROR_RULE: Record<MirrorProblemKind, keyof typeof rules> = {
  'no-scheme': 'mirror-no-scheme',
  'invalid-url': 'mirror-invalid-url',
  scheme: 'mirror-scheme',
  'query-fragment': 'mirror-query-fragment',
  userinfo: 'mirror-userinfo',
  path: 'mirror-path',
}

function mirrorHint(kind: MirrorProblemKind, value: string): string {
  switch (kind) {
    case 'no-scheme': {
      // Drop a broken scheme ("https:/x", "//x") but keep host:port.
      const bare = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/?(?!\d)/, '').replace(/^\/+/, '')
      return `write "https://${bare}" (or "http://${bare}" for a plain-HTTP mirror)`
    }
    case 'scheme':
      return `use https:// (or http:// for a plain-HTTP mirror): "https://${value.replace(/^[^:]*:\/\//, '')}"`
    case 'query-fragment':
      return `remove the query/fragment: "${value.replace(/[?#].*$/, '')}"`
    case 'userinfo':
      return `remove the credentials: "${value.replace(/\/\/[^/@]*@/, '//')}"; dockerd pulls from mirrors anonymously or with the Docker Hub login`
    case 'path':
      return 'Docker Engine before 25.0 accepts only scheme://host[:port]: serve the mirror at the root of a host or port, or upgrade to 25.0+'
    default:
      return rules['mirror-invalid-url'].hint
  }
}

function harborHint(host: string, path: string): string {
  const location = `${host}${path}`
  return (
    `serve Docker Hub at the root of a host or port for dockerd; podman/CRI-O can use the path directly in registries.conf: ` +
    `[[registry]] prefix = "docker.io", location = "docker.io" with [[registry.mirror]] location = "${location}"; ` +
    `containerd (and Docker's containerd image store) in certs.d/docker.io/hosts.toml: server = "https://registry-1.docker.io", ` +
    `[host."https://${host}/v2${path}"] capabilities = ["pull", "resolve"], override_path = true`
  )
}

function otherRegistryHint(registry: string, host: string, path: string): string {
  return (
    `to mirror ${registry}, use registries.conf for podman/CRI-O ([[registry]] prefix = "${registry}", location = "${registry}" ` +
    `with [[registry.mirror]] location = "${host}${path}"), or containerd's certs.d/${registry}/hosts.toml ` +
    `(Docker Engine with the containerd image store reads /etc/docker/certs.d/${registry}/hosts.toml); remove it from registry-mirrors`
  )
}
