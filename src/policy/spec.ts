import path from 'node:path'
import {parseTOML, type AST} from 'toml-eslint-parser'
import {closest} from '../core/did-you-mean.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {LineIndex} from '../core/line-index.js'
import {normalizeSource} from '../core/registry-prefix.js'
import {parseMirrorArgument, type MirrorTarget, type PullFromMirror} from './mirror-policy.js'

/**
 * The declarative fleet spec (a TOML file): which mirrors serve which sources, for which
 * engines. Parsed with positions so every mistake is reported as file:line:column with a
 * rule id and a hint, before any host is contacted.
 *
 *     fix-no-proxy = true
 *     [[mirror]]
 *     source = "docker.io"
 *     mirrors = ["127.0.0.1:5000"]
 *     insecure = true
 *     engines = ["docker", "podman"]
 *     location = "..."                 # optional
 *     pull-from-mirror = "digest-only" # optional
 *     ca-file = "corp-ca.pem"          # optional: private CA of the TLS mirrors (relative to the spec)
 */
export type SpecEngine = 'docker' | 'podman' | 'containerd' | 'k3s'

export interface SpecEntry {
  /** Normalised source prefix (docker.io, quay.io/org, *.example.com). */
  source: string
  mirrors: MirrorTarget[]
  /** null: every engine found on the host. */
  engines: SpecEngine[] | null
  /** undefined: leave as is; a string: redirect the prefix there. */
  location: string | undefined
  pullFromMirror: PullFromMirror | null
  /** Line of the [[mirror]] header, for messages. */
  line: number
  /** ca-file: the PEM file (resolved against the spec's folder), read on the control machine before planning. */
  caFile?: string
}

export interface Spec {
  file: string
  fixNoProxy: boolean
  entries: SpecEntry[]
}

const TOP_KEYS = ['fix-no-proxy', 'mirror'] as const
const ENTRY_KEYS = ['source', 'mirrors', 'insecure', 'engines', 'location', 'pull-from-mirror', 'ca-file'] as const
const ENGINES: readonly SpecEngine[] = ['docker', 'podman', 'containerd', 'k3s']
const PULL: readonly PullFromMirror[] = ['all', 'digest-only', 'tag-only']

type Content = AST.TOMLContentNode

class SpecReader {
  private readonly lines: LineIndex
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    this.lines = new LineIndex(text)
  }

  error(node: {range: [number, number]} | number, rule: string, message: string, hint: string): UserError {
    const at = this.lines.position(typeof node === 'number' ? node : node.range[0])
    return new UserError(message, {exitCode: ExitCode.Usage, position: {file: this.file, line: at.line, column: at.column}, rule: `spec/${rule}`, hint})
  }

  parse(): Spec {
    let ast: AST.TOMLProgram
    try {
      ast = parseTOML(this.text.replace(/^\uFEFF/, ' '))
    } catch (error) {
      const e = error as {index?: number; message?: string}
      throw this.error(typeof e.index === 'number' ? e.index : 0, 'syntax', `TOML syntax error: ${e.message ?? String(error)}`, 'fix the TOML syntax; strings need double quotes, for example source = "docker.io"')
    }
    const spec: Spec = {file: this.file, fixNoProxy: false, entries: []}
    for (const item of ast.body[0]?.body ?? []) {
      if (item.type === 'TOMLKeyValue') {
        const key = this.keyName(item.key)
        if (key === 'fix-no-proxy') spec.fixNoProxy = this.bool(item.value, key)
        else if (key === 'mirror') throw this.error(item, 'wrong-type', '"mirror" must be an array of tables', 'write each entry as a [[mirror]] section')
        else throw this.unknown(item.key, key, TOP_KEYS, 'at the top level')
      } else {
        const key = this.keyName(item.key)
        if (key !== 'mirror') throw this.unknown(item.key, key, TOP_KEYS, 'at the top level')
        if (item.kind !== 'array') throw this.error(item, 'wrong-type', '[mirror] must be written [[mirror]] (one section per source)', 'use double brackets: [[mirror]]')
        spec.entries.push(this.entry(item))
      }
    }
    const seen = new Map<string, number>()
    for (const e of spec.entries) {
      const first = seen.get(e.source)
      if (first !== undefined)
        throw new UserError(`source "${e.source}" is already given at line ${first}`, {
          exitCode: ExitCode.Usage,
          position: {file: this.file, line: e.line, column: 1},
          rule: 'spec/duplicate-source',
          hint: 'give each source once; list all its mirrors in one mirrors = [...]',
        })
      seen.set(e.source, e.line)
    }
    return spec
  }

  private keyName(key: AST.TOMLKey): string {
    if (key.keys.length !== 1) throw this.error(key, 'unknown-key', `dotted key "${key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value)).join('.')}" is not part of the spec`, 'write plain keys inside [[mirror]]')
    const k = key.keys[0]!
    return k.type === 'TOMLBare' ? k.name : k.value
  }

  private unknown(node: AST.TOMLKey, key: string, known: readonly string[], where: string): UserError {
    const guess = closest(key, known)
    return this.error(node, 'unknown-key', `unknown key "${key}" ${where}`, guess ? `did you mean "${guess}"?` : `known keys: ${known.join(', ')}`)
  }

  private entry(table: AST.TOMLTable): SpecEntry {
    const values = new Map<string, AST.TOMLKeyValue>()
    for (const kv of table.body) {
      const key = this.keyName(kv.key)
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) throw this.unknown(kv.key, key, ENTRY_KEYS, 'in [[mirror]]')
      values.set(key, kv)
    }
    const line = this.lines.position(table.range[0]).line
    const sourceKv = values.get('source')
    if (!sourceKv) throw this.error(table, 'missing-key', '[[mirror]] has no source', 'add source = "docker.io" (the registry or prefix the mirrors serve)')
    const mirrorsKv = values.get('mirrors')
    if (!mirrorsKv) throw this.error(table, 'missing-key', '[[mirror]] has no mirrors', 'add mirrors = ["mirror.example.com:5000"], or mirrors = [] to clear them')
    const sourceText = this.string(sourceKv.value, 'source')
    const source = this.guard(sourceKv.value, () => normalizeSource(sourceText))
    const insecure = values.has('insecure') ? this.bool(values.get('insecure')!.value, 'insecure') : false
    const pullKv = values.get('pull-from-mirror')
    const pull = pullKv ? (this.choice(pullKv.value, 'pull-from-mirror', PULL) as PullFromMirror) : null
    const mirrorsNode = this.array(mirrorsKv.value, 'mirrors')
    const mirrors = mirrorsNode.elements.map((el) => {
      const given = this.string(el, 'mirrors')
      return this.guard(el, () => parseMirrorArgument(given, {insecure, pullFromMirror: pull}), true)
    })
    const dup = mirrors.findIndex((m, i) => mirrors.findIndex((o) => o.host === m.host && o.path === m.path) !== i)
    if (dup !== -1) throw this.error(mirrorsNode.elements[dup]!, 'invalid-value', `mirror "${mirrors[dup]!.given}" is listed twice`, 'list each mirror once')
    const enginesKv = values.get('engines')
    let engines: SpecEngine[] | null = null
    if (enginesKv) {
      const arr = this.array(enginesKv.value, 'engines')
      if (!arr.elements.length) throw this.error(arr, 'invalid-value', 'engines = [] selects no engine', 'leave engines out for every engine found on the host, or name some of "docker", "podman", "containerd", "k3s"')
      engines = [...new Set(arr.elements.map((el) => this.choice(el, 'engines', ENGINES) as SpecEngine))]
    }
    const locationKv = values.get('location')
    let location: string | undefined
    if (locationKv) {
      const text = this.string(locationKv.value, 'location')
      location = this.guard(locationKv.value, () => {
        if (text.includes('*')) throw new UserError(`invalid location "${text}"`, {hint: 'a location is a registry or a namespace such as quay.io/myorg'})
        return normalizeSource(text)
      })
      if (source.startsWith('*.')) throw this.error(locationKv, 'invalid-value', 'a wildcard source cannot have a location', 'the engines ignore location for *.example.com sources; remove it')
    }
    const caKv = values.get('ca-file')
    let caFile: string | undefined
    if (caKv) {
      const given = this.string(caKv.value, 'ca-file')
      if (!given) throw this.error(caKv.value, 'invalid-value', 'ca-file is empty', 'give the PEM file of the CA that signed the mirrors\' certificates')
      const plain = mirrors.find((m) => m.insecure)
      if (plain) throw this.error(caKv, 'invalid-value', `ca-file is for verified TLS mirrors, and mirror "${plain.given}" is ${plain.scheme === 'http' ? 'plain HTTP' : 'insecure'}`, 'drop insecure = true (and http://), or drop ca-file')
      caFile = path.resolve(path.dirname(this.file), given)
    }
    return {source, mirrors, engines, location, pullFromMirror: pull, line, ...(caFile !== undefined ? {caFile} : {})}
  }

  /** Runs a validator that throws UserError and re-throws it at the value's position. */
  private guard<T>(node: Content, fn: () => T, mirror = false): T {
    try {
      return fn()
    } catch (e) {
      if (!(e instanceof UserError)) throw e
      const hint = mirror ? `${e.hint ?? ''}; a mirror is host[:port][/namespace] or an http(s) URL, without quotes, spaces or shell characters`.replace(/^; /, '') : (e.hint ?? '')
      throw this.error(node, 'invalid-value', e.message, hint)
    }
  }

  private string(node: Content, key: string): string {
    if (node.type !== 'TOMLValue' || node.kind !== 'string') throw this.error(node, 'wrong-type', `${key} must be a string`, `for example ${key} = "docker.io"`)
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(node.value)) throw this.error(node, 'invalid-value', `${key} contains a control character`, 'remove it')
    return node.value
  }

  private bool(node: Content, key: string): boolean {
    if (node.type !== 'TOMLValue' || node.kind !== 'boolean') throw this.error(node, 'wrong-type', `${key} must be true or false`, `write ${key} = true (no quotes)`)
    return node.value
  }

  private array(node: Content, key: string): AST.TOMLArray {
    if (node.type !== 'TOMLArray') throw this.error(node, 'wrong-type', `${key} must be an array of strings`, `for example ${key} = ["a", "b"]`)
    return node
  }

  private choice(node: Content, key: string, options: readonly string[]): string {
    const v = this.string(node, key)
    if (!options.includes(v)) {
      const guess = closest(v, options)
      throw this.error(node, 'invalid-value', `${key} "${v}" is not one of ${options.join(', ')}`, guess ? `did you mean "${guess}"?` : `use one of ${options.join(', ')}`)
    }
    return v
  }
}

/** Parses and validates a spec file's text. Throws UserError (exit 2) at the first mistake. */
export function parseSpec(text: string, file: string): Spec {
  return new SpecReader(text, file).parse()
}
