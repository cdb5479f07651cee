import {Args, Flags} from '@oclif/core'
import {containerdFlags, renderContainerdResolved} from '../cli/containerd-flags.js'
import {detectContainerdVersion, locateContainerd, resolveWithContainerd} from '../engines/containerd-hosts-dir.js'
import {BaseCommand} from '../cli/base-command.js'
import {checkRoot} from '../cli/root-flag.js'
import {locationFlags} from '../cli/flags.js'
import {configRejected} from '../lint/config-rejected.js'
import {LocalHost} from '../hosts/local-host.js'
import {loadRegistriesConf} from '../engines/registries-conf-engine.js'
import {resolveWithK3s} from '../engines/k3s-resolve.js'
import {ExitCode} from '../core/exit-codes.js'
import {isResolved, resolveImage, type ResolveEntry, type ResolvedImage} from '../formats/registries-conf/resolve.js'

export default class Resolve extends BaseCommand {
  static override summary = 'Show the ordered sources podman, skopeo, buildah and CRI-O would try for each image.'
  static override description =
    'Resolves each IMAGE through the registries.conf files the engines read (main file and drop-ins, merged): every mirror in order, then the primary location, each with the full reference it would be pulled as. Short names resolve as podman does without a terminal: an alias wins, otherwise each unqualified-search registry is a candidate and short-name-mode decides whether several are an error. --json prints {"results":[...]}, plus "warnings" when a file was skipped (a FIFO in registries.conf.d).'
  static override strict = false
  static override args = {image: Args.string({description: 'image reference(s): nginx, docker.io/library/alpine:3.20, quay.io/org/app@sha256:…', required: true})}
  static override flags = {
    ...locationFlags,
    ...containerdFlags,
    engine: Flags.string({options: ['podman', 'containerd', 'k3s'], default: 'podman', description: "whose rules: podman (registries.conf: podman, skopeo, buildah, CRI-O), containerd (hosts.toml) or k3s (registries.yaml, as k3s renders it into hosts.toml for its containerd; --containerd-version picks that containerd's rules, default the newest)"}),
  }
  static override examples = [
    '<%= config.bin %> resolve nginx docker.io/library/alpine:3.20',
    '<%= config.bin %> resolve --root /srv/image-root quay.io/podman/hello --json',
    '<%= config.bin %> resolve --registries-conf ./registries.conf --registries-conf-dir ./registries.conf.d busybox',
    '<%= config.bin %> resolve --engine containerd --containerd-hosts-dir /etc/containerd/certs.d alpine --json',
    '<%= config.bin %> resolve --engine k3s alpine --containerd-version 1.7 --json',
  ]

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Resolve)
    await checkRoot(flags.root)
    const host = new LocalHost(flags.root)
    if (flags.engine === 'k3s') {
      // k3s bundles its own containerd: `containerd --version` on the node says nothing about it.
      const version = flags['containerd-version'] ? await detectContainerdVersion(host, {flag: flags['containerd-version'], treeRoot: true}) : null
      const {results} = await resolveWithK3s(host, argv as string[], version)
      if (flags.json) this.printJson({results: results.map((r) => ({image: r.image, sources: r.sources}))})
      else this.print(results.map(renderContainerdResolved).join('\n'))
      return
    }
    if (flags.engine === 'containerd') {
      const where = await locateContainerd(host, {hostsDir: flags['containerd-hosts-dir'], configToml: flags['containerd-config']})
      const version = await detectContainerdVersion(host, {flag: flags['containerd-version'], treeRoot: flags.root !== undefined})
      const resolved = await resolveWithContainerd(host, argv as string[], where.hostsDirs, version)
      for (const r of resolved) if (r.ignored) this.note(`warning: containerd ignores ${r.ignored.file} (${r.ignored.message}); ${r.image} is pulled from the default endpoint`)
      if (flags.json) this.printJson({results: resolved.map((r) => ({image: r.image, sources: r.sources}))})
      else this.print(resolved.map(renderContainerdResolved).join('\n'))
      return
    }
    const {set, notes} = await loadRegistriesConf(host, {registriesConf: flags['registries-conf'], registriesConfDir: flags['registries-conf-dir']})
    for (const w of notes) this.note(w)
    if (!set.merged) throw configRejected(set.firstError!)
    const images = positionalsInOrder(this.argv, argv as string[], {...Resolve.baseFlags, ...Resolve.flags})
    const results = images.map((image) => resolveImage(set.merged!, image))
    if (flags.json) this.printJson(notes.length ? {results, warnings: notes} : {results})
    else this.print(results.map(renderEntry).join('\n'))
    // A script must not read "ok" when an image cannot be pulled; each error stays in its result.
    if (!results.every(isResolved)) this.setExit(ExitCode.Findings)
  }
}

function renderSources(r: ResolvedImage, indent: string): string[] {
  const lines = [`${indent}prefix: ${r.matchedPrefix ?? '(no [[registry]] matches: defaults)'}${r.blocked ? '  BLOCKED: pulls are refused' : ''}`]
  r.sources.forEach((s, i) => {
    lines.push(`${indent}${i + 1}. ${s.mirror ? 'mirror ' : 'primary'} ${s.reference}${s.insecure ? '  (insecure)' : ''}`)
  })
  return lines
}

function renderEntry(e: ResolveEntry): string {
  if ('error' in e) return `${e.image}\n  error: ${e.error}`
  if ('candidates' in e) {
    return [
      `${e.image}  (short name, ${e.candidates.length} candidate${e.candidates.length === 1 ? '' : 's'})`,
      ...e.candidates.flatMap((c) => ('error' in c ? [`  ${c.image}`, `    error: ${c.error}`] : [`  ${c.image}`, ...renderSources(c, '    ')])),
    ].join('\n')
  }
  return [e.image, ...renderSources(e, '  ')].join('\n')
}

/**
 * The positional arguments in the order given, duplicates included. oclif sorts its argv by the
 * first occurrence of each value, which moves a repeated image; this walks the raw argv instead,
 * skipping flags and the values of flags that take one.
 */
export function positionalsInOrder(raw: readonly string[], parsed: readonly string[], flags: Record<string, {type: string; char?: string}>): string[] {
  const takesValue = new Set<string>()
  for (const [name, f] of Object.entries(flags)) {
    if (f.type !== 'option') continue
    takesValue.add(`--${name}`)
    if (f.char) takesValue.add(`-${f.char}`)
  }
  const out: string[] = []
  for (let i = 0; i < raw.length; i++) {
    const token = raw[i]!
    if (token === '--') {
      out.push(...raw.slice(i + 1))
      break
    }
    if (token.startsWith('-') && token.length > 1) {
      if (takesValue.has(token)) i++
      continue
    }
    out.push(token)
  }
  // Trust oclif's set of positionals; only the order comes from the raw argv.
  const same = out.length === parsed.length && [...out].sort().join('\0') === [...parsed].sort().join('\0')
  return same ? out : [...parsed]
}
