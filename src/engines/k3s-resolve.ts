import {NEWEST_CONTAINERD, type ContainerdResolved, type ContainerdVersion} from '../formats/containerd-hosts/index.js'
import {k3sHostsFiles, k3sHostsSnapshot, parseK3sRegistries, readK3sRegistries} from '../formats/k3s-registries/index.js'
import type {Host} from '../hosts/host.js'
import {configRejected} from '../lint/config-rejected.js'
import {resolveInSnapshots} from './containerd-hosts-dir.js'
import {locateK3sRegistries} from './k3s-change.js'

/** Where k3s (or RKE2) writes the hosts.toml folders it generates from registries.yaml. */
export function k3sCertsDir(registriesYaml: string): string {
  const program = registriesYaml.startsWith('/etc/rancher/rke2/') ? 'rke2' : 'k3s'
  return `/var/lib/rancher/${program}/agent/etc/containerd/certs.d`
}

/**
 * Resolves images as k3s's embedded containerd would: registries.yaml rendered into the
 * hosts.toml folders k3s writes at start (k3s pkg/agent/containerd/config.go), then
 * containerd's own lookup. A registries.yaml k3s cannot decode stops k3s from starting (exit 1).
 */
export async function resolveWithK3s(host: Host, images: readonly string[], version: ContainerdVersion | null): Promise<{file: string; results: ContainerdResolved[]}> {
  const file = await locateK3sRegistries(host)
  const text = await host.readFile(file)
  const doc = text === null ? null : parseK3sRegistries(text, file)
  if (doc?.syntaxFindings[0]) throw configRejected(doc.syntaxFindings[0])
  const root = k3sCertsDir(file)
  const snapshot = doc ? k3sHostsSnapshot(k3sHostsFiles(readK3sRegistries(doc)), root) : null
  return {file, results: await resolveInSnapshots(host, images, [snapshot], root, version ?? NEWEST_CONTAINERD)}
}
