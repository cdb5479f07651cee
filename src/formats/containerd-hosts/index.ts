import type {Format} from '../format.js'
import type {MirrorChange} from '../../policy/mirror-policy.js'
import type {TextEdit} from '../../edit/text-edit.js'
import {decodeHostsToml, type DecodeResult} from './decode.js'
import {lintHostsToml, type HostsLintContext} from './lint.js'
import {planHostsToml} from './plan.js'
import {parseTomlDoc, type TomlDoc} from './toml-doc.js'

/** A hosts.toml change names the registry whose folder holds the file. */
export interface HostsTomlChange {
  registry: string
  change: MirrorChange
}

/** containerd's <config_path>/<host>/hosts.toml, in the shape every format folder has. */
export const containerdHosts: Format<TomlDoc, HostsLintContext, DecodeResult, HostsTomlChange> = {
  name: 'containerd-hosts',
  parse: parseTomlDoc,
  lint: lintHostsToml,
  read: (doc) => decodeHostsToml(doc, doc.path.replace(/\/[^/]*$/, '') || '.', '2'),
  plan(doc, {registry, change}): TextEdit[] {
    const {after} = planHostsToml(doc, registry, change)
    return after === doc.text ? [] : [{start: 0, end: doc.text.length, text: after}]
  },
}

export {decodeHostsToml, lintHostsToml, planHostsToml, parseTomlDoc}
export {resolveContainerd, folderCandidates, portFolderName, type HostsDirSnapshot, type ContainerdResolved} from './resolve.js'
export {lintHostsDir} from './lint.js'
export {containerdFamily, NEWEST_CONTAINERD, type ContainerdVersion} from './version.js'
export * from './config-toml.js'
