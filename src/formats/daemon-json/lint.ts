/**
 * Lints a parsed daemon.json the way the given Docker Engine version would read it: the names
 * dockerd's start-up check accepts, the values its decoder accepts, the mirror and insecure
 * registry checks, proxies, and conflicts with flags on dockerd's command line.
 */
import {compareFindings, type Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {closest} from '../../core/did-you-mean.js'
import {parseDockerdArgs} from './dockerd-flags.js'
import {
  FREE_FORM,
  OPTIONS,
  atLeast,
  classifyName,
  engineVersion,
  optionForKey,
  readableOptions,
  type EngineVersion,
  type OptionSpec,
  type ValueType,
} from './known-keys.js'
import {
  checkInsecureRegistry,
  checkMirror,
  isDockerHubSource,
  maskPassword,
  mirrorKey,
  normalizeMirror,
  suggestedOtherRegistry,
  type MirrorProblemKind,
} from './mirror-url.js'
import {lastMember, positionAt, type DaemonJsonDoc, type JsonMember, type JsonNode} from './parse.js'
import {rules} from './rules.js'

export interface DaemonJsonLintContext {
  /** `docker version` of the daemon (semver); absent = assume the newest Engine. */
  dockerVersion?: string
  /** dockerd's command line from the systemd unit's ExecStart (see dockerd-flags.ts). */
  dockerdArgs?: readonly string[]
  /** Where dockerdArgs came from, for messages. */
  unitPath?: string
  /** What mirrorctl knows a mirror is meant for: mirror URL or host[:port] → source registry. */
  mirrorSources?: Readonly<Record<string, string>>
}

/** A name as dockerd's start-up check sees it, after flattening nested objects. */
interface FlatName {
  name: string
  /** The object it was flattened out of, '' at the top level. */
  parent: string
  member: JsonMember
}

const ASSUMED = ' (assuming the newest Docker Engine; give the Engine version to check an older one)'
const NO_MATCH = "the following directives don't match any configuration option"

/** All findings for the document, the parse findings included, sorted by position. */
export function lintDaemonJson(doc: DaemonJsonDoc, ctx: DaemonJsonLintContext = {}): Finding[] {
  const version = engineVersion(ctx.dockerVersion)
  const out: Finding[] = [...doc.syntaxFindings]
  if (doc.bom && !atLeast(version, '24.0')) {
    out.push(
      report(
        rules['bom-before-24'],
        {file: doc.path, line: 1, column: 1},
        `the file starts with a UTF-8 byte order mark, which Docker Engine ${ctx.dockerVersion} does not skip; dockerd refuses to start: "invalid character 'ï' looking for beginning of value"`,
      ),
    )
  }
  if (doc.root?.kind !== 'object') return out.sort(compareFindings)

  const lint = new Linter(doc, ctx, version, out)
  const flat = flatten(doc.root.members)
  lint.names(flat)
  lint.types(doc.root.members)
  lint.mirrors(lastMember(doc.root.members, 'registry-mirrors'))
  lint.insecureRegistries(lastMember(doc.root.members, 'insecure-registries'))
  lint.proxies(lastMember(doc.root.members, 'proxies'))
  if (ctx.dockerdArgs) lint.flagConflicts(flat, ctx.dockerdArgs)
  return out.sort(compareFindings)
}

/** dockerd's configValuesSet: one level of nested objects is lifted, except the free-form maps. */
function flatten(members: readonly JsonMember[]): FlatName[] {
  const out: FlatName[] = []
  for (const m of members) {
    if (lastMember(members, m.key) !== m) continue // Go's map keeps the last duplicate
    if (m.value.kind === 'object' && !FREE_FORM.has(m.key)) {
      for (const child of m.value.members) {
        if (lastMember(m.value.members, child.key) === child) out.push({name: child.key, parent: m.key, member: child})
      }
    } else {
      out.push({name: m.key, parent: '', member: m})
    }
  }
  return out
}

class Linter {
  constructor(
    private readonly doc: DaemonJsonDoc,
    private readonly ctx: DaemonJsonLintContext,
    private readonly version: EngineVersion,
    private readonly out: Finding[],
  ) {}

  private at(offset: number) {
    return positionAt(this.doc, offset)
  }

  private get engine(): string {
    return this.version ? `Docker Engine ${this.ctx.dockerVersion}` : 'the newest Docker Engine'
  }

  // ---- option names

  names(flat: readonly FlatName[]): void {
    for (const f of flat) {
      if (f.parent === 'proxies' && !atLeast(this.version, '23.0')) continue // reported once by proxies()
      const where = f.parent ? ` (inside "${f.parent}", whose keys dockerd checks as option names)` : ''
      const status = classifyName(f.name, f.parent, this.version)
      const pos = this.at(f.member.keyStart)
      switch (status.kind) {
        case 'read':
          break
        case 'ignored':
          this.out.push(report(rules['ignored-key'], pos, ...this.ignoredText(f, status.spec, status.useInstead)))
          break
        case 'too-new':
          this.out.push(
            report(
              rules['key-too-new'],
              pos,
              `"${f.name}"${where} needs Docker Engine ${status.spec.since} or newer; ${this.engine} refuses to start: "${NO_MATCH}: ${f.name}"`,
              `upgrade Docker Engine to ${status.spec.since}+, or remove "${f.name}"`,
            ),
          )
          break
        case 'removed': {
          const note = status.spec.note ? ` (${status.spec.note})` : ''
          this.out.push(
            report(
              rules['key-removed'],
              pos,
              `"${f.name}" was removed in Docker Engine ${status.spec.removed}${note}; dockerd refuses to start${this.version ? '' : ASSUMED}`,
              `remove "${f.name}"`,
            ),
          )
          break
        }
        case 'unknown':
          this.out.push(report(rules['unknown-key'], pos, `unknown option "${f.name}"${where}; dockerd refuses to start: "${NO_MATCH}: ${f.name}"`, this.unknownHint(f)))
          break
      }
    }
  }

  private ignoredText(f: FlatName, spec: OptionSpec, useInstead: string | null): [string, string] {
    if (spec.ignoredSince && atLeast(this.version, spec.ignoredSince)) {
      const gone = spec.removed ? `, and from ${spec.removed} dockerd refuses to start with it` : ''
      return [
        `"${f.name}" is accepted but has no effect in ${this.engine}${spec.note ? ` (${spec.note})` : ''}${gone}`,
        `remove "${f.name}"`,
      ]
    }
    if (useInstead?.includes('.')) {
      const [parent, key] = useInstead.split('.') as [string, string]
      return [
        `"${f.name}" here is accepted but never read; dockerd reads it only inside "${parent}"`,
        `move it into "${parent}": { "${key}": … }`,
      ]
    }
    if (useInstead) {
      const nested = f.parent ? ` inside "${f.parent}"` : ''
      return [
        `"${f.name}"${nested} is accepted (it is the name of dockerd's --${spec.flag} flag) but never read from the file; the file key is "${useInstead}"`,
        f.parent ? `move it to the top level as "${useInstead}"` : `rename it to "${useInstead}"`,
      ]
    }
    return [
      `"${f.name}" is accepted (it is the name of dockerd's --${spec.flag ?? f.name} flag) but never read from the file${spec.note ? ` (${spec.note})` : ''}`,
      spec.flag ? `remove it; to set it, pass --${spec.flag} on dockerd's command line (a systemd drop-in for docker.service)` : `remove "${f.name}"`,
    ]
  }

  private unknownHint(f: FlatName): string {
    if (f.parent) {
      // "log-opt": {…} instead of "log-opts": dockerd only leaves the plural's inner keys alone.
      const parent = classifyName(f.parent, '', this.version)
      if (parent.kind === 'ignored' && parent.useInstead && FREE_FORM.has(parent.useInstead)) {
        return `rename "${f.parent}" to "${parent.useInstead}": only the inner keys of "${parent.useInstead}" are free-form`
      }
    }
    // A non-object "proxies" is checked as a name itself, and no flag has that name.
    if (!f.parent && optionForKey(f.name)?.type === 'object' && f.member.value.kind !== 'object') {
      return `"${f.name}" must be an object, e.g. "${f.name}": { … }; dockerd checks the names inside it`
    }
    const wantParent = f.parent === 'proxies' ? 'proxies' : ''
    const candidates = readableOptions(this.version).filter((o) => (o.parent ?? '') === wantParent)
    const guess = closest(
      f.name,
      candidates.map((o) => o.key),
    )
    return guess ? `did you mean "${guess}"? Option names are case-sensitive` : rules['unknown-key'].hint
  }

  // ---- value types

  /** The decoder's view: every key it reads, including objects the name check flattened away. */
  types(members: readonly JsonMember[]): void {
    const check = (m: JsonMember, parent: string) => {
      const status = classifyName(m.key, parent, this.version)
      if (status.kind === 'read') this.checkType(parent ? `${parent}.${m.key}` : m.key, status.spec.type, m.value)
    }
    for (const m of members) {
      if (lastMember(members, m.key) !== m) continue
      check(m, '')
      if (m.value.kind === 'object' && !FREE_FORM.has(m.key)) {
        for (const child of m.value.members) if (lastMember(m.value.members, child.key) === child) check(child, m.key)
      }
    }
  }

  private checkType(key: string, type: ValueType, node: JsonNode): void {
    const bad = typeProblem(key, type, node)
    if (!bad) return
    const jsonType = goJsonType(bad.node)
    const article = jsonType === 'bool' ? 'a boolean' : `a${/^[aeiou]/.test(jsonType) ? 'n' : ''} ${jsonType}`
    this.out.push(
      report(
        rules['wrong-type'],
        this.at(bad.node.start),
        `"${bad.name}" must be ${bad.expected}, not ${article}; dockerd cannot decode the file: "json: cannot unmarshal ${jsonType} into Go struct field Config.${key} of type ${bad.goType}"`,
        typeHint(type, bad.node),
      ),
    )
  }

  // ---- registry-mirrors

  mirrors(member: JsonMember | undefined): void {
    if (!member || member.value.kind !== 'array') return
    if (classifyName('registry-mirrors', '', this.version).kind !== 'read') return
    const seen = new Set<string>()
    for (const item of member.value.items) {
      if (item.kind !== 'string') continue
      const value = item.value
      const pos = this.at(item.start)
      const check = checkMirror(value, this.version)
      if (!check.ok) {
        const {kind, message} = check.problem
        const old = atLeast(this.version, '29.0')
          ? ''
          : ' (before Engine 29, `dockerd --validate` does not check mirrors and prints "configuration OK"; the daemon still fails to start)'
        this.out.push(report(rules[MIRROR_RULE[kind]], pos, `${message}; dockerd refuses to start`, mirrorHint(kind, value) + old))
        continue
      }
      const {url, normalized} = check
      if (seen.has(normalized)) {
        this.out.push(report(rules['mirror-duplicate'], pos, `mirror ${JSON.stringify(value)} is listed twice; dockerd keeps the first`))
      }
      seen.add(normalized)
      if (url.host === '') {
        this.out.push(report(rules['mirror-no-host'], pos, `mirror ${JSON.stringify(value)} has no host; every pull through it fails before dockerd falls back to Docker Hub`))
        continue
      }
      if (url.scheme === 'http') {
        this.out.push(report(rules['http-mirror'], pos, `mirror ${JSON.stringify(maskPassword(value))} is plain HTTP: pulls through it are not encrypted`))
      }
      const path = url.path.replace(/\/+$/, '')
      if (path !== '') {
        const older = this.version ? '' : '; Docker Engine before 25.0 refuses such a URL outright'
        this.out.push(
          report(
            rules['harbor-project-path'],
            pos,
            `mirror ${JSON.stringify(value)} has a path: dockerd requests ${url.scheme}://${url.host}${path}/v2/library/<image>/…, while a Harbor proxy-cache project (and most path-based registry proxies) answers at /v2${path}/library/<image>/…, so this mirror does not work unless a reverse proxy strips "${path}"${older}`,
            harborHint(url.host, path),
          ),
        )
      }
      const other = this.intendedRegistry(value, url)
      if (other) {
        this.out.push(
          report(
            rules['mirror-not-docker-hub'],
            pos,
            `mirror ${JSON.stringify(value)} ${other.known ? 'is meant for' : 'looks meant for'} ${other.registry}, but dockerd uses registry-mirrors only for Docker Hub (docker.io); pulls from ${other.registry} never go through it`,
            otherRegistryHint(other.registry, url.host, path),
          ),
        )
      }
    }
  }

  private intendedRegistry(value: string, url: {host: string; path: string}): {registry: string; known: boolean} | null {
    const sources = this.ctx.mirrorSources ?? {}
    for (const k of [value, normalizeMirror(value), mirrorKey(value), url.host]) {
      const source = sources[k]
      if (source !== undefined) return isDockerHubSource(source) ? null : {registry: source, known: true}
    }
    const guess = suggestedOtherRegistry(url)
    return guess ? {registry: guess, known: false} : null
  }

  // ---- insecure-registries

  insecureRegistries(member: JsonMember | undefined): void {
    if (!member || member.value.kind !== 'array') return
    for (const item of member.value.items) {
      if (item.kind !== 'string') continue
      const pos = this.at(item.start)
      const check = checkInsecureRegistry(item.value)
      if (!check.ok) {
        this.out.push(report(rules['insecure-registry-invalid'], pos, `${check.message}; dockerd refuses to start`))
        continue
      }
      if (check.strippedScheme) {
        this.out.push(
          report(
            rules['insecure-registry-scheme'],
            pos,
            `insecure registry ${JSON.stringify(item.value)} contains '${check.strippedScheme}://'; dockerd removes it with a warning and uses "${check.value}"`,
            `write "${check.value}"`,
          ),
        )
      }
      if (check.loopback) {
        this.out.push(
          report(
            rules['insecure-registry-loopback'],
            pos,
            `"${item.value}" is on the loopback network, which dockerd always treats as insecure (127.0.0.0/8 and ::1/128 are added implicitly)`,
          ),
        )
      }
    }
  }

  // ---- proxies

  proxies(member: JsonMember | undefined): void {
    if (!member) return
    const pos = this.at(member.keyStart)
    if (!atLeast(this.version, '23.0')) {
      const names = member.value.kind === 'object' ? member.value.members.map((m) => m.key).join(', ') : 'proxies'
      this.out.push(
        report(
          rules['proxies-too-old'],
          pos,
          `"proxies" needs Docker Engine 23.0 or newer; ${this.engine} refuses to start: "${NO_MATCH}: ${names}"`,
        ),
      )
      return
    }
    this.out.push(report(rules['proxies-not-reloadable'], pos, 'dockerd reads "proxies" only when it starts: `systemctl reload docker` keeps the old proxy settings'))
  }

  // ---- file vs flags

  flagConflicts(flat: readonly FlatName[], args: readonly string[]): void {
    const byName = new Map(flat.map((f) => [f.name, f]))
    const given = new Map<string, string[]>()
    for (const flag of parseDockerdArgs(args)) {
      if (!flag.known) continue
      for (const o of OPTIONS) {
        if (o.flag !== flag.name || !o.key || o.mergesWithFlag) continue
        const fileName = o.named ? o.key : o.flag
        if (byName.has(fileName)) given.set(fileName, [...(given.get(fileName) ?? []), flag.given])
      }
    }
    const unit = this.ctx.unitPath ? ` (ExecStart in ${this.ctx.unitPath})` : ''
    for (const [name, flags] of given) {
      const f = byName.get(name)!
      const shown = f.parent ? `"${f.parent}.${name}"` : `"${name}"`
      const flagText = [...new Set(flags)].join(' ')
      this.out.push(
        report(
          rules['flag-conflict'],
          this.at(f.member.keyStart),
          `${shown} is set in daemon.json and by the dockerd flag ${flagText}${unit}; dockerd refuses to start: "the following directives are specified both as a flag and in the configuration file: ${name}"`,
          conflictHint(shown, flagText, name),
        ),
      )
    }
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

function conflictHint(shown: string, flagText: string, name: string): string {
  const dropIn = 'a drop-in (`systemctl edit docker`) with "ExecStart=" and then "ExecStart=/usr/bin/dockerd …" without the flag'
  if (name === 'hosts') {
    return `the stock docker.service passes -H fd://; remove "hosts" from daemon.json, or drop -H from ExecStart with ${dropIn} (add "fd://" to "hosts" to keep socket activation)`
  }
  if (name === 'containerd') {
    return `the stock docker.service passes --containerd; remove "containerd" from daemon.json, or drop the flag with ${dropIn}`
  }
  return `keep one: remove ${shown} from daemon.json, or remove ${flagText} from ExecStart with ${dropIn}`
}

// ---- types

const TYPE_TEXT: Record<ValueType, [string, string]> = {
  string: ['a string', 'string'],
  boolean: ['true or false', 'bool'],
  integer: ['a whole number', 'int'],
  'string[]': ['a list of strings', '[]string'],
  'string-map': ['an object with string values', 'map[string]string'],
  'bool-map': ['an object with true/false values', 'map[string]bool'],
  'object-map': ['an object of objects', 'map[string]…'],
  object: ['an object', 'struct'],
  'object[]': ['a list of objects', '[]…'],
  size: ['a size such as "64M" or a number of bytes', 'opts.MemBytes'],
}

interface TypeProblem {
  node: JsonNode
  /** The key, or key.inner for a value inside a map. */
  name: string
  expected: string
  goType: string
}

/** The first value that breaks decoding into the option's Go type; null when it decodes. */
function typeProblem(key: string, type: ValueType, node: JsonNode): TypeProblem | null {
  if (node.kind === 'null' || node.kind === 'invalid') return null
  const [expected, goType] = TYPE_TEXT[type]
  const whole: TypeProblem = {node, name: key, expected, goType}
  const ok = (n: JsonNode, kind: JsonNode['kind']) => n.kind === kind || n.kind === 'null' || n.kind === 'invalid'
  switch (type) {
    case 'string':
      return ok(node, 'string') ? null : whole
    case 'boolean':
      return ok(node, 'boolean') ? null : whole
    case 'integer':
      return node.kind === 'number' && isGoInt(node.raw) ? null : whole
    case 'size':
      return node.kind === 'string' || node.kind === 'number' ? null : whole
    case 'object':
      return ok(node, 'object') ? null : whole
    case 'string[]':
    case 'object[]': {
      if (node.kind !== 'array') return whole
      const want = type === 'string[]' ? 'string' : 'object'
      const bad = node.items.find((n) => !ok(n, want))
      return bad ? {node: bad, name: key, expected: `a list of ${want}s`, goType} : null
    }
    case 'string-map':
    case 'bool-map':
    case 'object-map': {
      if (node.kind !== 'object') return whole
      const want = type === 'string-map' ? 'string' : type === 'bool-map' ? 'boolean' : 'object'
      const bad = node.members.find((m) => !ok(m.value, want))
      if (!bad) return null
      const [elemText, elemGo] = TYPE_TEXT[want === 'boolean' ? 'boolean' : want === 'string' ? 'string' : 'object']
      return {node: bad.value, name: `${key}.${bad.key}`, expected: elemText, goType: elemGo}
    }
  }
}

/** Go decodes an int field only from an integer literal in int64 range (no fraction or exponent). */
function isGoInt(raw: string): boolean {
  if (!/^-?\d+$/.test(raw)) return false
  const n = BigInt(raw)
  return n >= -(2n ** 63n) && n < 2n ** 63n
}

function goJsonType(node: JsonNode): string {
  switch (node.kind) {
    case 'boolean':
      return 'bool'
    case 'number':
      return /[.eE]/.test(node.raw) ? `number ${node.raw}` : 'number'
    default:
      return node.kind
  }
}

function typeHint(type: ValueType, node: JsonNode): string {
  if (type === 'string[]' && node.kind === 'string') return `put the value in a list: [${JSON.stringify(node.value)}]`
  if ((type === 'string-map' || type === 'string') && (node.kind === 'number' || node.kind === 'boolean')) {
    return `quote the value: "${node.kind === 'number' ? node.raw : String(node.value)}" (log-opts values are always strings)`
  }
  if (type === 'boolean' && node.kind === 'string' && /^(?:true|false)$/i.test(node.value)) return `write ${node.value.toLowerCase()} without quotes`
  if (type === 'integer' && node.kind === 'string' && /^-?\d+$/.test(node.value)) return `write ${node.value} without quotes`
  return rules['wrong-type'].hint
}
