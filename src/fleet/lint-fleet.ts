import {collectLintTargets, lintTargets, proxyRouteFindings} from '../cli/lint-targets.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {detectDockerVersion, locateDaemonJson} from '../engines/docker-engine.js'
import {dockerVersionMatters} from '../formats/daemon-json/version-matters.js'
import {hasErrors, type Finding} from '../lint/finding.js'
import {renderFindings} from '../lint/reporters/index.js'
import {allRules} from '../lint/catalog.js'
import {styles, shouldColor} from '../core/color.js'
import type {FleetCommandFlags} from './command-run.js'
import {eachHost} from './each-host.js'

export interface HostLint {
  host: string
  status: 'ok' | 'findings' | 'failed'
  reason: string | null
  findings: Finding[]
  filesChecked: number
}

/**
 * `lint` with target flags: each host's own files (one gather round trip), linted as on
 * that machine, proxy routes included. Exit 1 when a host has an error finding or failed.
 */
export async function lintFleet(
  flags: FleetCommandFlags & {'registries-conf'?: string | undefined; 'registries-conf-dir'?: string | undefined; 'daemon-json'?: string | undefined},
  options: {color: boolean; version: string; paths: readonly string[]; format: string},
): Promise<{hosts: HostLint[]; text: string; exitCode: ExitCode; warnings: string[]}> {
  if (options.paths.length || flags['registries-conf'] || flags['registries-conf-dir'] || flags['daemon-json'])
    throw new UserError('with --hosts or --inventory, lint reads the files each host\'s engines read; PATH and file flags are for this machine', {hint: 'drop the PATH arguments, or the target flags'})
  if (options.format !== 'text' && options.format !== 'json') throw new UserError(`--format ${options.format} is not available with --hosts or --inventory`, {hint: 'use --format text or --json'})
  const {results, warnings} = await eachHost(flags, async (session, signal, progress) => {
    progress.phase(session.name, 'gathering')
    const linted = await session.plan(async (host) => {
      const daemonJson = await locateDaemonJson(host, {treeRoot: false})
      const targets = await collectLintTargets(host, [], {daemonJson, stdin: async () => '', note: () => undefined})
      // dockerd --version starts a Go binary on the host: asked only when daemon.json's findings depend on it.
      const dockerVersion = targets.some((t) => t.kind === 'daemon-json' && dockerVersionMatters(t.doc)) ? await detectDockerVersion(host, {treeRoot: false}) : null
      const {findings, filesChecked} = lintTargets(targets, dockerVersion ? {dockerVersion} : {})
      return {filesChecked, findings: [...findings, ...(await proxyRouteFindings(host, targets, daemonJson))]}
    }, signal)
    progress.finish(session.name, 'unchanged', null)
    return linted
  })
  const hosts: HostLint[] = results.map((r) =>
    r.ok
      ? {host: r.host, status: r.value.findings.length ? 'findings' : 'ok', reason: null, findings: r.value.findings, filesChecked: r.value.filesChecked}
      : {host: r.host, status: 'failed', reason: r.reason, findings: [], filesChecked: 0},
  )
  const s = styles(options.color && shouldColor(process.stdout, process.env))
  const text = hosts
    .map((h) => `${s.bold(`== ${h.host}`)}\n${h.status === 'failed' ? s.red(`failed: ${h.reason}`) : renderFindings(h.findings, 'text', {rules: allRules(), color: options.color, version: options.version, baseDir: '/', filesChecked: h.filesChecked})}`)
    .join('\n')
  const bad = hosts.some((h) => h.status === 'failed' || hasErrors(h.findings))
  return {hosts, text, exitCode: bad ? ExitCode.Findings : ExitCode.Ok, warnings}
}
