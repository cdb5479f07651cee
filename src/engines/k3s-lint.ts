import {K3S_REGISTRIES, RKE2_REGISTRIES, lintK3sRegistries, parseK3sRegistries} from '../formats/k3s-registries/index.js'
import type {Host} from '../hosts/host.js'
import type {Finding} from '../lint/finding.js'

export function looksLikeK3sRegistries(file: string): boolean {
  return /(?:^|\/)registries\.ya?ml$/.test(file)
}

export function lintK3sFile(file: string, text: string): Finding[] {
  return lintK3sRegistries(parseK3sRegistries(text, file))
}

/** k3s's and RKE2's registries.yaml on this host, linted when present. */
export async function lintK3sOnHost(host: Host): Promise<{files: number; findings: Finding[]} | null> {
  const findings: Finding[] = []
  let files = 0
  for (const file of [K3S_REGISTRIES, RKE2_REGISTRIES]) {
    const text = await host.readFile(file)
    if (text === null) continue
    files += 1
    findings.push(...lintK3sFile(file, text))
  }
  return files ? {files, findings} : null
}
