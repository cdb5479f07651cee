import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {
  decodeHostsToml,
  folderCandidates,
  lintContainerdConfig,
  lintHostsToml,
  parseTomlDoc,
  planConfigPath,
  planHostsToml,
  readContainerdConfig,
  type ContainerdVersion,
} from '../formats/containerd-hosts/index.js'
import type {PlannedWrite} from '../hosts/apply-changes.js'

/** A planned file with what to tell the user about it. */
type PlannedChange = PlannedWrite & {actions: string[]}
import type {Host} from '../hosts/host.js'
import type {MirrorChange} from '../policy/mirror-policy.js'
import {locateContainerd} from './containerd-hosts-dir.js'

export interface ContainerdChangeOptions {
  hostsDir?: string | undefined
  configToml?: string | undefined
  version: ContainerdVersion
}

/** Why containerd cannot take a change (null when it can): hosts.toml mirrors whole registries, pull only. */
export function containerdUnsupported(change: MirrorChange): string | null {
  if (change.source.includes('/')) return `containerd and k3s mirror whole registries, not the prefix ${change.source}`
  if (change.action === 'add' && change.location !== null) return 'containerd and k3s cannot redirect a registry (--location)'
  if (change.action === 'add' && change.mirrors.some((m) => m.pullFromMirror && m.pullFromMirror !== 'all')) return 'containerd and k3s have no per-mirror pull-from-mirror'
  return null
}

/**
 * Plans a mirror change into <hosts dir>/<registry>/hosts.toml (reads only).
 * hosts.toml is read on every pull: no restart. When config.toml has no config_path (and no
 * --containerd-hosts-dir was given) config_path is set too, and that needs a containerd restart.
 */
export async function planContainerdChange(host: Host, change: MirrorChange, options: ContainerdChangeOptions): Promise<PlannedChange[]> {
  const unsupported = containerdUnsupported(change)
  if (unsupported) throw new UserError(`containerd: ${unsupported}`, {hint: 'give a registry host such as docker.io or quay.io'})
  const where = await locateContainerd(host, {hostsDir: options.hostsDir, configToml: options.configToml})
  const writes: PlannedChange[] = []
  if (where.from === 'default' && change.action !== 'remove') {
    const doc = where.configToml.doc
    if (doc && !doc.data)
      throw new UserError(`${where.configToml.path} is not valid TOML; containerd does not start with it`, {exitCode: ExitCode.Findings, position: {file: where.configToml.path, line: null}})
    const refused = doc ? lintContainerdConfig(doc).find((f) => f.rule === 'containerd-hosts/deprecated-mirrors') : undefined
    if (refused)
      throw new UserError(`${where.configToml.path} uses the deprecated registry.mirrors: setting config_path beside it makes the CRI plugin refuse the configuration; nothing was written`, {
        exitCode: ExitCode.Findings,
        position: {file: refused.file, line: refused.line, column: refused.column},
        rule: refused.rule,
        hint: 'move those mirrors to hosts.toml files and delete the mirrors table, or pass --containerd-hosts-dir to write hosts.toml only (for ctr --hosts-dir)',
      })
    const newVersion = doc ? readContainerdConfig(doc).version : options.version === '2' ? 3 : 2
    const planned = planConfigPath(doc, where.hostsDir, newVersion)
    writes.push({
      path: where.configToml.path,
      before: doc?.text ?? null,
      after: planned.after,
      actions: [`set the CRI registry config_path = "${where.hostsDir}"`, 'restart containerd to apply it (systemctl restart containerd)'],
    })
  }
  // A folder the CRI plugin does not read serves only `ctr --hosts-dir`: say so beside the change.
  const criRoots = where.configToml.doc ? readContainerdConfig(where.configToml.doc).configPath : []
  const notRead = where.from === 'flag' && !criRoots.includes(where.hostsDir)
    ? [`note: config.toml's config_path is ${criRoots.length ? criRoots.join(':') : 'not set'}: the CRI plugin (kubelet) does not read ${where.hostsDir}; ctr --hosts-dir does`]
    : []
  const registry = change.source
  const {root, folder, path} = await hostsTomlOf(host, where.hostsDir, registry)
  const before = await host.readFile(path)
  const doc = before === null ? null : parseTomlDoc(before, path)
  if (doc && lintHostsToml(doc, {version: options.version, folder}).some((f) => f.severity === 'error' && f.rule !== 'containerd-hosts/no-host-table'))
    throw new UserError(`${path} is ignored by containerd as it is (run mirrorctl lint ${path}); fix it before adding mirrors: nothing was written`, {
      exitCode: ExitCode.Findings,
      position: {file: path, line: null},
    })
  const plan = planHostsToml(doc, registry, change)
  if (plan.after !== (before ?? '')) {
    const decoded = decodeHostsToml(parseTomlDoc(plan.after, path), `${root}/${folder}`, options.version)
    if (!decoded.ok && !plan.deleteFile)
      throw new UserError(`the planned hosts.toml would not decode (${decoded.message}); nothing was written`, {exitCode: ExitCode.Findings, hint: 'this is a mirrorctl bug: please report it with the file'})
    const actions = [...plan.actions, 'containerd reads hosts.toml on every pull: no restart needed', ...notRead]
    if (plan.deleteFile) actions.push('delete the file: nothing but the default server is left')
    writes.push({path, before, after: plan.deleteFile ? null : plan.after, actions})
  }
  return writes
}

/** The hosts.toml of a registry under a hosts folder root: the folder that exists (host_port_ or host), else a new one named by the registry. */
export async function hostsTomlOf(host: Host, hostsDir: string, registry: string): Promise<{root: string; folder: string; path: string}> {
  const root = hostsDir.replace(/\/+$/, '')
  const names = (await host.listDir(root)) ?? []
  const folder = folderCandidates(registry).slice(0, -1).find((n) => names.includes(n)) ?? registry
  return {root, folder, path: `${root}/${folder}/hosts.toml`}
}

/** The [host."…"] tables of a registry's hosts.toml, for `mirror remove` to check its MIRROR arguments against. */
export async function configuredContainerdMirrors(
  host: Host,
  registry: string,
  options: {hostsDir?: string | undefined; configToml?: string | undefined},
): Promise<{name: string; overridePath: boolean}[]> {
  const where = await locateContainerd(host, options)
  const root = where.hostsDir.replace(/\/+$/, '')
  const names = (await host.listDir(root)) ?? []
  const folder = folderCandidates(registry).slice(0, -1).find((n) => names.includes(n))
  const text = folder === undefined ? null : await host.readFile(`${root}/${folder}/hosts.toml`)
  const tree = text === null ? undefined : (parseTomlDoc(text, 'hosts.toml').data?.['host'] as Record<string, Record<string, unknown>> | undefined)
  return Object.entries(tree ?? {}).map(([name, t]) => ({name, overridePath: t?.['override_path'] === true}))
}
