import type {RuleMeta} from './rule.js'
import {rules as registriesConf} from '../formats/registries-conf/rules.js'

/** Every rule of every format: the one source for --list-rules, docs/rules.md and SARIF. */
export function allRules(): RuleMeta[] {
  return [...Object.values(registriesConf)]
}
