import {writeFile, rename, stat} from 'node:fs/promises'
import path from 'node:path'
import {ExitCode} from '../../core/exit-codes.js'
import {exitCodeOf, renderReport, reportOf} from '../../fleet/command-run.js'
import {specIntent} from '../../fleet/plan-host.js'
import {Progress} from '../../fleet/progress.js'
import {applyPlanned, runFleet, type FleetRunOptions} from '../../fleet/run-fleet.js'
import type {HostSession} from '../../fleet/session.js'
import {openSessions} from '../../fleet/setup.js'
import {LocalHost} from '../../hosts/local-host.js'
import type {MirrorTarget} from '../../policy/mirror-policy.js'
import {parseMirrorArgument} from '../../policy/mirror-policy.js'
import type {EntryAnswer, SpecAnswers, TargetAnswer} from './answers.js'
import {applyCommand, mirrorAddCommands} from './command-text.js'
import {consequences, engineSets} from './consequences.js'
import {describeFacts, gatherFacts, type WizardEngine} from './host-facts.js'
import {askEntry, type ReachCheck} from './mirror-step.js'
import {isPromptExit, type Prompter} from './prompter.js'
import {proxyAdvice, renderAdvice} from './proxy-advice.js'
import {restartNotes} from './restart-notes.js'
import {probeAlong, probeRoutes, type ProbeRoute} from './reach.js'
import {buildSpec} from './spec-text.js'
import {askTarget} from './target-step.js'
import {askUpstreams} from './upstream-step.js'

export const DEFAULT_SPEC_FILE = './mirrorctl-spec.toml'

/** Ctrl-C in a prompt. `written` says whether the apply had already run. */
export class WizardCancelled extends Error {
  constructor(readonly written: boolean) {
    super('setup cancelled')
  }
}

export interface WizardIo {
  prompter: Prompter
  say: (text: string) => void
  progress: NodeJS.WritableStream & {isTTY?: boolean}
}

export interface WizardOptions {
  /** The target from command-line flags; null: ask. */
  preset: TargetAnswer | null
  timeout: number
  concurrency: number
  checkTimeoutMs: number
}

/** Shared with the command's SIGINT handler: before the apply nothing has been written. */
export interface WizardState {
  phase: 'asking' | 'applying' | 'saving'
  /** The apply ran (some hosts may have been changed). */
  applied: boolean
  abort: AbortController
}

/**
 * The setup wizard: questions, then the same plan and apply as `apply --spec`, then the
 * spec file and the equivalent commands. Nothing is written before the confirmation.
 */
export async function runWizard(io: WizardIo, options: WizardOptions, state: WizardState): Promise<ExitCode> {
  const p = io.prompter
  const ask = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (error) {
      if (isPromptExit(error)) throw new WizardCancelled(state.applied)
      throw error
    }
  }
  const target = options.preset ?? (await ask(() => askTarget(p, {timeout: options.timeout})))
  const opened = await openSessions(target.flags)
  try {
    for (const w of opened.warnings) io.say(w)
    return await converse(io, options, state, ask, target, opened.sessions)
  } finally {
    await Promise.all(opened.sessions.map((s) => s.close().catch(() => undefined)))
    await opened.close().catch(() => undefined)
  }
}

type Ask = <T>(fn: () => Promise<T>) => Promise<T>

async function converse(io: WizardIo, options: WizardOptions, state: WizardState, ask: Ask, target: TargetAnswer, sessions: HostSession[]): Promise<ExitCode> {
  const p = io.prompter
  io.say(`Looking at ${sessions.length === 1 ? sessions[0]!.name : `${sessions.length} hosts`}…`)
  const facts = await gatherFacts(sessions, state.abort.signal)
  io.say(['Engines found:', ...describeFacts(facts)].join('\n'))
  const reachable = facts.filter((f) => !f.error)
  if (!reachable.length) {
    io.say('No host could be reached or read; nothing was written.')
    return ExitCode.Findings
  }

  const found = [...new Set(reachable.flatMap((f) => f.engines))]
  const engines = await ask(() =>
    p.checkbox<WizardEngine>(
      'Which engines should use the mirrors?',
      engineChoices(found),
      (v) => (v.length ? true : 'pick at least one engine'),
    ),
  )
  // Keeping exactly what was found leaves each host to its own engines (no engines = [...]).
  const sameAsFound = engines.length === found.length && engines.every((e) => found.includes(e))
  const sources = await ask(() => askUpstreams(p))

  const local = target.kind === 'local' || target.kind === 'root' ? new LocalHost(target.flags.root) : null
  const routes = await probeRoutes(reachable, {local, here: new LocalHost(), timeoutMs: options.checkTimeoutMs})
  const check = reachCheck(io, p, ask, routes)
  const entries: EntryAnswer[] = []
  for (const source of sources) {
    const entry = await ask(() => askEntry(p, source, {engines, say: io.say, check}))
    entries.push(entry.engines === null && !sameAsFound ? {...entry, engines: [...engines]} : entry)
  }

  const targets: MirrorTarget[] = entries.flatMap((e) => e.mirrors.map((m) => parseMirrorArgument(m, {insecure: e.insecure})))
  const advice = proxyAdvice(reachable.map((f) => ({...f, proxies: Object.fromEntries(Object.entries(f.proxies).filter(([e]) => engines.includes(e as WizardEngine)))})), targets)
  let fixNoProxy = false
  if (advice.length) {
    io.say(['NO_PROXY:', ...renderAdvice(advice)].join('\n'))
    fixNoProxy = await ask(() => p.confirm('Add the mirrors to NO_PROXY where each engine reads it (fix-no-proxy)?', true))
  }
  const answers: SpecAnswers = {fixNoProxy, entries}
  const {text, spec} = buildSpec(answers, path.basename(DEFAULT_SPEC_FILE))
  io.say(['What each engine will do:', ...consequences(spec, engineSets(reachable))].join('\n'))

  const run = runOptions(options, sessions.length, target, io, state)
  let planned = await runFleet(sessions, specIntent(spec), false, run)
  run.progress.end()
  const pending = planned.filter((h) => h.result.status === 'changed').length
  io.say(renderReport(reportOf(planned), 'plan', true))
  const restarts = restartNotes(planned)
  if (restarts.length) io.say(['These changes take effect only after a restart (setup does not restart engines):', ...restarts].join('\n'))
  let exit: ExitCode = ExitCode.Ok
  if (!pending) io.say('Nothing to change: the hosts already have this configuration.')
  else if (await ask(() => p.confirm(`Apply these changes to ${pending} host${pending === 1 ? '' : 's'}?`, false))) {
    state.phase = 'applying'
    const applyRun = runOptions(options, sessions.length, target, io, state)
    state.applied = true
    planned = await applyPlanned(planned, applyRun)
    applyRun.progress.end()
    const report = reportOf(planned)
    io.say(renderReport(report, 'apply', false))
    // Ctrl-C during the apply: hosts not yet written were cancelled; stop before the spec file.
    if (state.abort.signal.aborted) throw new WizardCancelled(true)
    if (report.summary.changed) io.say('On the changed hosts every written file was read back and matches the plan; the previous versions are in the backups.')
    if (report.summary.failed) io.say('On the failed hosts nothing was written (each host is changed all at once or not at all).')
    exit = exitCodeOf(report, false)
  } else io.say('Nothing was written.')

  state.phase = 'saving'
  const file = await ask(() => askSpecFile(p))
  await saveSpec(file, text)
  io.say(`Spec written to ${file}. To repeat this setup without questions:\n  ${applyCommand(target, file)}`)
  const adds = mirrorAddCommands(target, answers)
  if (adds?.length) io.say(`or, on this machine, with mirror add (it puts the mirrors first and keeps others):\n${adds.map((c) => `  ${c}`).join('\n')}`)
  return exit
}

/** podman and Docker always; containerd and k3s only where a target has them. */
export function engineChoices(found: readonly WizardEngine[]): {name: string; value: WizardEngine; checked: boolean}[] {
  return [
    {name: 'podman, buildah, skopeo, CRI-O (registries.conf)', value: 'podman', checked: found.includes('podman') || !found.length},
    {name: 'Docker (daemon.json)', value: 'docker', checked: found.includes('docker')},
    ...(found.includes('containerd') ? [{name: 'containerd, as a Kubernetes node runs it (hosts.toml)', value: 'containerd' as const, checked: true}] : []),
    ...(found.includes('k3s') ? [{name: 'k3s / RKE2 (registries.yaml)', value: 'k3s' as const, checked: true}] : []),
  ]
}

function runOptions(options: WizardOptions, n: number, target: TargetAnswer, io: WizardIo, state: WizardState): FleetRunOptions {
  const remote = target.kind === 'hosts' || target.kind === 'inventory'
  return {concurrency: options.concurrency, timeoutMs: remote ? options.timeout * 1000 : null, progress: new Progress(io.progress, process.env, n, remote), signal: state.abort.signal}
}

/** The live check after each mirror answer: every route it will be used on; if one fails, enter again or keep. */
function reachCheck(io: WizardIo, p: Prompter, ask: Ask, routes: readonly ProbeRoute[]): ReachCheck {
  return async (source, target, engines) => {
    const used = routes.filter((r) => engines.includes(r.engine) && (r.engine !== 'docker' || source === 'docker.io'))
    const along = used.length ? used : routes.filter((r) => r.engine === 'podman').slice(0, 1)
    io.say(`Checking ${target.given} from this machine…`)
    const results = await Promise.all(along.map((r) => probeAlong(r, target)))
    for (const r of results) io.say(r.ok ? `  ✔ reachable (${r.route})` : `  ✘ not reachable (${r.route})\n    ${r.problem}`)
    if (results.every((r) => r.ok)) return true
    const next = await ask(() =>
      p.select<'again' | 'keep'>(`${target.given} does not answer as a registry. What now?`, [
        {name: 'Enter the mirror again', value: 'again'},
        {name: 'Keep it anyway (it is not running yet, or this machine cannot reach it)', value: 'keep'},
      ]),
    )
    return next === 'keep'
  }
}

async function askSpecFile(p: Prompter): Promise<string> {
  for (;;) {
    const file = (await p.input('Save the spec (for apply --spec) as:', {default: DEFAULT_SPEC_FILE, validate: validateSpecPath})).trim()
    const exists = await stat(file).then(() => true, () => false)
    if (!exists || (await p.confirm(`${file} exists. Replace it?`, false))) return file
  }
}

async function validateSpecPath(value: string): Promise<true | string> {
  const file = value.trim()
  if (!file) return 'give a file name'
  const dir = await stat(path.dirname(path.resolve(file))).catch(() => null)
  if (!dir?.isDirectory()) return `folder ${path.dirname(file)} does not exist`
  const st = await stat(file).catch(() => null)
  return st && !st.isFile() ? `${file} is not a file` : true
}

async function saveSpec(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`)
  await writeFile(tmp, text, {mode: 0o644})
  await rename(tmp, file)
}

