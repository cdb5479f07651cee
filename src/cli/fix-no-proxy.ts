import {modify, applyEdits as applyJsonEdits} from 'jsonc-parser'
import {unifiedDiff} from '../edit/text-edit.js'
import {loadEngineProxyConfig, noProxyTarget, type NoProxyTarget, type ReadableProxyEngine} from '../engines/engine-proxy.js'
import {renderNoProxyDropIn, setContainersConfNoProxy, setEnvironmentFileNoProxy} from '../engines/proxy/no-proxy-edits.js'
import type {Host} from '../hosts/host.js'
import {decideProxy, looksInternal, suggestNoProxy} from '../net/proxy.js'
import {mirrorUrl, type MirrorTarget} from '../policy/mirror-policy.js'
import type {FileResult, PlannedFile} from './file-result.js'
import {planAndWrite, type WriteSettings} from './plan-and-write.js'

export interface FixNoProxyResult {
  files: FileResult[]
  /** What mirrorctl could not change itself, with what to do by hand. */
  manual: string[]
}

interface NoProxyPlan {
  writes: PlannedFile[]
  manual: string[]
}

/**
 * --fix-no-proxy: for each new internal-looking mirror that an engine would send through its
 * proxy, extend NO_PROXY where that engine really reads it, and say which restart makes the
 * engine see it (proxy settings are read once at daemon start). Written like every edit:
 * one request, compared under the host lock, planned again when a file changed meanwhile.
 */
export async function fixNoProxy(
  host: Host,
  engines: readonly ReadableProxyEngine[],
  mirrors: readonly MirrorTarget[],
  options: WriteSettings & {daemonJsonPath?: string | undefined},
): Promise<FixNoProxyResult> {
  const {plan, outcomes} = await planAndWrite(host, () => planNoProxyFix(host, engines, mirrors, options), options)
  return {
    files: plan.writes.map((w) => ({
      engine: w.engine,
      path: w.path,
      actions: w.actions,
      diff: unifiedDiff(w.path, w.before, w.after),
      backup: outcomes.find((o) => o.path === w.path)?.backup ?? null,
    })),
    manual: plan.manual,
  }
}

/** The NO_PROXY changes, read-only. */
async function planNoProxyFix(
  host: Host,
  engines: readonly ReadableProxyEngine[],
  mirrors: readonly MirrorTarget[],
  options: {daemonJsonPath?: string | undefined},
): Promise<NoProxyPlan> {
  const plan: NoProxyPlan = {writes: [], manual: []}
  for (const engine of engines) {
    const proxy = await loadEngineProxyConfig(host, engine, {daemonJsonPath: options.daemonJsonPath})
    const proxied = mirrors.filter((m) => looksInternal(m.host) && decideProxy(`${mirrorUrl(m)}/v2/`, proxy.config).proxy !== null)
    if (!proxied.length) continue
    const target = await noProxyTarget(host, engine, {daemonJsonPath: options.daemonJsonPath})
    let value = target.current
    for (const m of proxied) value = suggestNoProxy(value, m.host)
    if (value === undefined || value === target.current) continue
    const name = target.names?.[0] ?? 'NO_PROXY'
    if (!target.writable || target.path === null) {
      plan.manual.push(`${engine}: set ${name}=${value} by hand (${target.reason}), then ${target.restart}`)
      continue
    }
    const earlier = plan.writes.find((w) => w.path === target.path)
    const before = earlier ? earlier.after : await host.readFile(target.path)
    const after = rewrite(target, before, value)
    if (after === before) continue
    const actions = [`set ${name}=${value} (${target.reason})`, `proxy settings are read once at start: ${target.restart}`]
    if (earlier) {
      earlier.after = after
      earlier.actions.push(...actions)
    } else plan.writes.push({engine, path: target.path, before, after, actions})
  }
  return plan
}

function rewrite(target: NoProxyTarget, before: string | null, value: string): string {
  switch (target.kind) {
    case 'systemd-drop-in':
      return renderNoProxyDropIn(before, value, target.names)
    case 'environment-file':
      return setEnvironmentFileNoProxy(before, value, target.names)
    case 'containers-conf':
      return setContainersConfNoProxy(before, value)
    case 'daemon-json':
      return setDaemonJsonNoProxy(before ?? '{}\n', value)
    default:
      throw new Error(`no writer for NO_PROXY in ${target.kind}`)
  }
}

/** proxies.no-proxy in daemon.json, keeping the file's indentation (jsonc-parser's minimal edit). */
function setDaemonJsonNoProxy(text: string, value: string): string {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  '
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const edits = modify(text, ['proxies', 'no-proxy'], value, {
    formattingOptions: {insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol},
  })
  return applyJsonEdits(text, edits)
}
