import {promises as fs} from 'node:fs'
import path from 'node:path'
import {unreadable} from '../core/errors.js'
import type {Host} from '../hosts/host.js'
import {LocalHost} from '../hosts/local-host.js'
import type {Finding} from '../lint/finding.js'
import {compareFindings} from '../lint/finding.js'
import {evaluateConfigSet, type ConfigSet, type SourceFile} from '../formats/registries-conf/config-set.js'
import {lintDaemonJson, mirrorEntries, parseDaemonJson, rules as daemonJsonRules, type DaemonJsonDoc, type DaemonJsonLintContext} from '../formats/daemon-json/index.js'
import {rules as registriesConfRules} from '../formats/registries-conf/rules.js'
import {mirrorsInEffect} from '../formats/registries-conf/mirrors-in-effect.js'
import {mirrorRouteFindings} from '../lint/mirror-route.js'
import {loadDaemonJson, type DaemonJsonLocation} from '../engines/docker-engine.js'
import {listDropIns, locateRegistriesConf, readRegistriesConf, type RegistriesConfOptions} from '../engines/registries-conf-files.js'
import {lintContainerdFile, lintContainerdOnHost, looksLikeContainerdFile} from '../engines/containerd-lint.js'
import {lintK3sFile, lintK3sOnHost, looksLikeK3sRegistries} from '../engines/k3s-lint.js'
import type {ContainerdVersion} from '../formats/containerd-hosts/index.js'

/** Where containerd's files are and which containerd to judge them for (detected only when needed). */
export interface ContainerdLintOptions {
  hostsDir?: string | undefined
  configToml?: string | undefined
  version: () => Promise<ContainerdVersion>
}

/** A group of files linted together (a clash between files is only visible within one group). */
export type LintTarget =
  | {kind: 'registries-conf'; set: ConfigSet}
  | {kind: 'daemon-json'; doc: DaemonJsonDoc}
  /** Formats linted as they are collected (containerd): findings ready. */
  | {kind: 'findings'; files: number; findings: Finding[]}

function registriesConfTarget(files: SourceFile[]): LintTarget {
  return {kind: 'registries-conf', set: evaluateConfigSet(files)}
}

/** daemon.json is JSON: known by its name, or by content that opens an object. */
export function looksLikeDaemonJson(file: string, text: string): boolean {
  return file.endsWith('.json') || /^\uFEFF?\s*\{/.test(text)
}

function targetFor(file: string, text: string, dropIn: boolean): LintTarget {
  return looksLikeDaemonJson(file, text) ? {kind: 'daemon-json', doc: parseDaemonJson(text, file)} : registriesConfTarget([{path: file, text, dropIn}])
}

/**
 * Turns PATH arguments into lint targets. A file is a main file (a drop-in when it sits in a
 * registries.conf.d folder); a folder is a drop-in set; "-" is stdin; none means the files
 * the engines on this host read.
 */
export async function collectLintTargets(
  host: Host,
  paths: readonly string[],
  options: RegistriesConfOptions & {stdin: () => Promise<string>; daemonJson: DaemonJsonLocation; containerd?: ContainerdLintOptions},
): Promise<LintTarget[]> {
  if (!paths.length) {
    const locations = await locateRegistriesConf(host, options)
    const targets: LintTarget[] = [registriesConfTarget(await readRegistriesConf(host, locations))]
    const daemon = await loadDaemonJson(host, options.daemonJson)
    if (daemon.text !== null) targets.push({kind: 'daemon-json', doc: daemon.doc})
    if (options.containerd) {
      const c = options.containerd
      const found = await lintContainerdOnHost(host, {hostsDir: c.hostsDir, configToml: c.configToml, version: await c.version()})
      if (found) targets.push({kind: 'findings', ...found})
      const k3s = await lintK3sOnHost(host)
      if (k3s) targets.push({kind: 'findings', ...k3s})
    }
    return targets
  }
  const targets: LintTarget[] = []
  for (const p of paths) {
    if (p === '-') {
      targets.push(targetFor('<stdin>', await options.stdin(), false))
      continue
    }
    if (looksLikeK3sRegistries(p)) {
      targets.push({kind: 'findings', files: 1, findings: lintK3sFile(p, await readText(p))})
      continue
    }
    if (options.containerd && path.basename(p).endsWith('.toml')) {
      const text = await readText(p)
      if (looksLikeContainerdFile(p, text)) {
        targets.push({kind: 'findings', files: 1, findings: lintContainerdFile(p, text, await options.containerd.version())})
        continue
      }
    }
    // Paths given on the command line are the user's own files, read as they are (not under --root).
    const stat = await fs.stat(p).catch((error: unknown) => {
      throw unreadable(p, error)
    })
    if (stat.isDirectory()) {
      const files = await listDropIns(new LocalHost(), path.resolve(p))
      targets.push(registriesConfTarget(await Promise.all(files.map(async (f) => ({path: f, text: await readText(f), dropIn: true})))))
    } else {
      const dropIn = path.basename(path.dirname(path.resolve(p))) === 'registries.conf.d'
      targets.push(targetFor(p, await readText(p), dropIn))
    }
  }
  return targets
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    throw unreadable(file, error)
  }
}

export function lintTargets(targets: readonly LintTarget[], docker: DaemonJsonLintContext): {findings: Finding[]; filesChecked: number} {
  const findings: Finding[] = []
  let filesChecked = 0
  for (const t of targets) {
    if (t.kind === 'findings') {
      filesChecked += t.files
      findings.push(...t.findings)
      continue
    }
    if (t.kind === 'daemon-json') {
      filesChecked += 1
      findings.push(...lintDaemonJson(t.doc, docker))
      continue
    }
    filesChecked += t.set.files.length
    findings.push(...t.set.findings)
  }
  return {findings: findings.sort(compareFindings), filesChecked}
}

/**
 * For the machine's own files: mirrors each engine would send through its proxy. Proxy
 * settings are facts of the host (systemd units, containers.conf, environment), so this is
 * only judged when linting what the engines on this host read.
 */
export async function proxyRouteFindings(host: Host, targets: readonly LintTarget[], daemonJson: DaemonJsonLocation): Promise<Finding[]> {
  const findings: Finding[] = []
  // Loaded only here: reading the engines' proxy settings is the heavy part of lint's start-up.
  const {loadEngineProxyConfig} = await import('../engines/engine-proxy.js')
  for (const t of targets) {
    if (t.kind === 'findings') continue
    if (t.kind === 'registries-conf') {
      const mirrors = mirrorsInEffect(t.set)
      if (!mirrors.length) continue
      const proxy = await loadEngineProxyConfig(host, 'podman')
      findings.push(...mirrorRouteFindings(mirrors, {engine: 'podman', config: proxy.config, restart: proxy.needsRestart}, registriesConfRules['mirror-through-proxy']))
    } else {
      const mirrors = mirrorEntries(t.doc)
      if (!mirrors.length) continue
      const proxy = await loadEngineProxyConfig(host, 'docker', {daemonJsonPath: daemonJson.path})
      findings.push(...mirrorRouteFindings(mirrors, {engine: 'docker', config: proxy.config, restart: proxy.needsRestart}, daemonJsonRules['mirror-through-proxy']))
    }
  }
  return findings
}
