import type {RuleMeta} from './rule.js'
import {rules as registriesConf} from '../formats/registries-conf/rules.js'
import {rules as daemonJson} from '../formats/daemon-json/rules.js'
import {rules as containerdHosts} from '../formats/containerd-hosts/rules.js'
import {rules as k3sRegistries} from '../formats/k3s-registries/rules.js'

/** Every rule of every format: the one source for --list-rules, docs/rules.md and SARIF. */
export function allRules(): RuleMeta[] {
  return [...Object.values(registriesConf), ...Object.values(daemonJson), ...Object.values(containerdHosts), ...Object.values(k3sRegistries)]
}
