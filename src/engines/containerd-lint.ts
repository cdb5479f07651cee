import path from 'node:path'
import {
  lintContainerdConfig,
  lintHostsDir,
  lintHostsToml,
  parseContainerdConfig,
  parseTomlDoc,
  type ContainerdVersion,
} from '../formats/containerd-hosts/index.js'
import type {Host} from '../hosts/host.js'
import type {Finding} from '../lint/finding.js'
import {locateContainerd, snapshotHostsDir} from './containerd-hosts-dir.js'

/** Files linted with containerd's rules, their findings already computed. */
export interface ContainerdLintResult {
  files: number
  findings: Finding[]
}

/** hosts.toml by name; containerd's config.toml by name and a plugins table or version key. */
export function looksLikeContainerdFile(file: string, text: string): boolean {
  const base = path.basename(file)
  return base === 'hosts.toml' || (base === 'config.toml' && /^\s*(?:\[plugins|version\s*=|disabled_plugins|root\s*=)/m.test(text))
}

export function lintContainerdFile(file: string, text: string, version: ContainerdVersion): Finding[] {
  if (path.basename(file) === 'hosts.toml') return lintHostsToml(parseTomlDoc(text, file), {version, folder: path.basename(path.dirname(path.resolve(file)))})
  return lintContainerdConfig(parseContainerdConfig(text, file))
}

/** What `lint` without PATH checks for containerd: config.toml and the hosts folder it names, when present. */
export async function lintContainerdOnHost(
  host: Host,
  options: {hostsDir?: string | undefined; configToml?: string | undefined; version: ContainerdVersion},
): Promise<ContainerdLintResult | null> {
  const where = await locateContainerd(host, options)
  const snapshot = await snapshotHostsDir(host, where.hostsDir)
  if (!where.configToml.doc && !snapshot) return null
  const findings: Finding[] = []
  let files = 0
  if (where.configToml.doc) {
    files += 1
    findings.push(...lintContainerdConfig(where.configToml.doc))
  }
  if (snapshot) {
    findings.push(...lintHostsDir(snapshot))
    for (const [name, content] of snapshot.folders) {
      if (content.hostsToml === null) continue
      files += 1
      findings.push(...lintHostsToml(parseTomlDoc(content.hostsToml, `${where.hostsDir.replace(/\/+$/, '')}/${name}/hosts.toml`), {version: options.version, folder: name}))
    }
  }
  return {files, findings}
}
