import type {TextEdit} from '../../edit/text-edit.js'
import type {Format} from '../format.js'
import type {MirrorChange} from '../../policy/mirror-policy.js'
import {lintK3sRegistries} from './lint.js'
import {parseK3sRegistries, readK3sRegistries, type K3sRegistries, type K3sRegistriesDoc} from './parse.js'
import {planK3sRegistries} from './plan.js'

export {rules} from './rules.js'
export * from './parse.js'
export {lintK3sRegistries} from './lint.js'
export {planK3sRegistries} from './plan.js'

/** k3s / RKE2 registries.yaml, in the shape every format folder has. */
export const k3sRegistries: Format<K3sRegistriesDoc, Record<string, never>, K3sRegistries, MirrorChange> = {
  name: 'k3s-registries',
  parse: parseK3sRegistries,
  lint: (d) => lintK3sRegistries(d),
  read: readK3sRegistries,
  plan(d, change): TextEdit[] {
    const {after} = planK3sRegistries(d, change)
    return after === d.text ? [] : [{start: 0, end: d.text.length, text: after}]
  },
}
export {normalizeK3sEndpoint, type K3sEndpoint} from './endpoint.js'
export {k3sHostsFiles, type K3sHostEntry, type K3sHostsFile} from './hosts.js'
export {k3sTlsFiles, type K3sTlsFile} from './tls-files.js'
export {k3sHostsSnapshot, renderK3sHostsToml} from './render.js'
