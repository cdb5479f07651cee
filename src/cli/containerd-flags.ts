import {Flags} from '@oclif/core'
import type {ContainerdResolved} from '../formats/containerd-hosts/index.js'
import type {ContainerdChangeOptions} from '../engines/containerd-change.js'
import {detectContainerdVersion} from '../engines/containerd-hosts-dir.js'
import type {Host} from '../hosts/host.js'

/** Flags shared by the commands that read containerd's registry configuration. */
export const containerdFlags = {
  'containerd-hosts-dir': Flags.string({
    description: "containerd's registry hosts folder (default: config_path from config.toml, else /etc/containerd/certs.d)",
    helpValue: 'DIR',
  }),
  'containerd-config': Flags.string({description: "containerd's config.toml (default /etc/containerd/config.toml)", helpValue: 'FILE'}),
  'containerd-version': Flags.string({description: 'containerd version whose behaviour to follow (default: `containerd --version`, else the newest)', helpValue: 'X.Y'}),
}

/** Human rendering of containerd's endpoints for one image. */
export function renderContainerdResolved(r: ContainerdResolved): string {
  const lines = [r.image, `  folder: ${r.folder ?? '(none: defaults)'}`]
  if (r.ignored) lines.push(`  IGNORED by containerd: ${r.ignored.file}: ${r.ignored.message}`)
  r.sources.forEach((s, i) => lines.push(`  ${i + 1}. ${s.url}  [${s.capabilities.join(', ')}]${s.skipVerify ? '  (skip_verify)' : ''}`))
  return lines.join('\n')
}

/** The containerd part of a mirror change's options, or undefined when containerd is not selected. */
export async function containerdChangeOptions(
  host: Host,
  flags: {'containerd-hosts-dir'?: string | undefined; 'containerd-config'?: string | undefined; 'containerd-version'?: string | undefined; root?: string | undefined},
  engines: readonly string[],
): Promise<Pick<ContainerdChangeOptions, 'hostsDir' | 'configToml' | 'version'> | undefined> {
  if (!engines.includes('containerd')) return undefined
  return {
    hostsDir: flags['containerd-hosts-dir'],
    configToml: flags['containerd-config'],
    version: await detectContainerdVersion(host, {flag: flags['containerd-version'], treeRoot: flags.root !== undefined}),
  }
}
