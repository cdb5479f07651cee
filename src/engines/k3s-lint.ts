import {K3S_REGISTRIES, RKE2_REGISTRIES, k3sTlsFiles, lintK3sRegistries, parseK3sRegistries, rules} from '../formats/k3s-registries/index.js'
import type {Host} from '../hosts/host.js'
import type {Finding} from '../lint/finding.js'
import {report} from '../lint/rule.js'

export function looksLikeK3sRegistries(file: string): boolean {
  return /(?:^|\/)registries\.ya?ml$/.test(file)
}

export function lintK3sFile(file: string, text: string): Finding[] {
  return lintK3sRegistries(parseK3sRegistries(text, file))
}

/** Why containerd could not read a TLS file k3s hands it, or null when it can. */
async function unreadable(host: Host, file: {key: string; path: string}): Promise<string | null> {
  if (file.path === '') return 'key_file without cert_file: containerd reads the certificate from "" and fails'
  if (!file.path.startsWith('/')) return `${file.key} ${file.path} is relative: containerd reads it below the generated hosts.toml's folder`
  try {
    return (await host.readFile(file.path)) === null ? `${file.key} ${file.path} does not exist` : null
  } catch (e) {
    return `${file.key} ${file.path} cannot be read (${(e as Error).message})`
  }
}

/** k3s's and RKE2's registries.yaml on this host, linted when present, with the TLS files it names. */
export async function lintK3sOnHost(host: Host): Promise<{files: number; findings: Finding[]} | null> {
  const findings: Finding[] = []
  let files = 0
  for (const file of [K3S_REGISTRIES, RKE2_REGISTRIES]) {
    const text = await host.readFile(file)
    if (text === null) continue
    files += 1
    const doc = parseK3sRegistries(text, file)
    findings.push(...lintK3sRegistries(doc))
    for (const tls of k3sTlsFiles(doc)) {
      const why = await unreadable(host, tls)
      if (why) findings.push(report(rules['unreadable-tls-file'], tls.at, `configs.${tls.registry}.tls: ${why}; pulls that use it fail`))
    }
  }
  return files ? {files, findings} : null
}
