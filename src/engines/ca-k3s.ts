import {isMap, isScalar, parseDocument} from 'yaml'

/**
 * Sets configs."<host>".tls.ca_file in registries.yaml text through yaml's Document API
 * (comments and other keys kept). Returns the text unchanged when every host already names
 * its file, and an error (nothing changed) for a file that is not a YAML mapping.
 */
export function setK3sCa(text: string, cas: readonly {host: string; caFile: string}[]): {after: string; actions: string[]; error?: string} {
  const doc = parseDocument(text)
  if (doc.errors.length) return {after: text, actions: [], error: `is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`}
  if (doc.contents !== null && !isMap(doc.contents)) return {after: text, actions: [], error: 'is not a YAML mapping'}
  const actions: string[] = []
  for (const {host, caFile} of cas) {
    const path = ['configs', host, 'tls', 'ca_file']
    if (doc.getIn(path) === caFile) continue
    for (let n = 1; n < path.length; n++) {
      const node = doc.getIn(path.slice(0, n), true)
      // `configs:` with nothing after it is an empty value: a mapping takes its place.
      if (isScalar(node) && node.value === null) doc.setIn(path.slice(0, n), doc.createNode({}))
      else if (node !== undefined && node !== null && !isMap(node)) return {after: text, actions: [], error: `has ${path.slice(0, n).join('.')} that is not a mapping`}
    }
    doc.setIn(path, caFile)
    actions.push(`set configs."${host}".tls.ca_file = ${caFile}`)
  }
  return actions.length ? {after: doc.toString(), actions} : {after: text, actions}
}
