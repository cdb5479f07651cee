import {evaluateConfigSet, type SourceFile} from '../../../../src/formats/registries-conf/config-set.js'

/** A set from inline texts: the first is the main file, the rest drop-ins. */
export function setOf(main: string, ...dropIns: string[]) {
  const files: SourceFile[] = [{path: '/etc/containers/registries.conf', text: main, dropIn: false}]
  dropIns.forEach((text, i) => files.push({path: `/etc/containers/registries.conf.d/${String(i + 10)}-x.conf`, text, dropIn: true}))
  return evaluateConfigSet(files)
}

export const rulesOf = (text: string, ...dropIns: string[]) => setOf(text, ...dropIns).findings.map((f) => f.rule.replace('registries-conf/', ''))
