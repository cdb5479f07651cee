/**
 * Plans each distinct snapshot once per run. Planning is a pure function of what the host
 * shows through its snapshot (files, environment, uid, tools, versions, units), and a fleet's
 * hosts are mostly alike: gathered identically, they would all be planned to the same result,
 * at several milliseconds of CPU each. Hosts whose snapshots are byte-for-byte equal share one
 * planning; each still gets its own copy (structuredClone), so no two hosts share an object.
 *
 * The environment differs between hosts in variables planning never reads (SSH_CONNECTION
 * holds the client's port), so it is compared by what the shared planning read of it: the
 * variables it looked up, or all of it once it listed the names.
 *
 * The host name is the one thing outside the snapshot a planner can see. The shared plan is
 * made on a host with a name no inventory holds; when that name shows up anywhere in the plan,
 * or the planner throws (messages name the host) or read something not gathered, the host is
 * planned as itself instead, exactly as without sharing.
 */
import {createHash, randomUUID} from 'node:crypto'
import type {Host} from '../hosts/host.js'
import {SnapshotHost} from '../hosts/snapshot-host.js'
import type {Snapshot} from '../hosts/snapshot.js'

type Env = Record<string, string>

/** What a shared planning read of the environment: some variables (null: absent), or all of it. */
type EnvUse = {all: string} | {seen: Map<string, string | null>}

interface SharedPlan<T> {
  plan: T
  env: EnvUse
}

/** Plans kept per snapshot: beyond this many environments, hosts with that snapshot plan as themselves. */
const MAX_ENV_VARIANTS = 16

export class SharedPlans<T> {
  /** By snapshot key (environment aside): the plans made, or null when that snapshot is not shared. */
  private readonly plans = new Map<string, SharedPlan<T>[] | null>()
  private readonly neutralName = `mirrorctl-shared-plan-${randomUUID()}`

  constructor(private readonly planner: (host: Host) => Promise<T>) {}

  async plan(host: Host): Promise<T> {
    if (!(host instanceof SnapshotHost) || host.missed.size > 0) return this.planner(host)
    const key = snapshotKey(host.snapshot)
    const env = host.snapshot.env
    const found = this.plans.get(key)?.find((p) => envMatches(p.env, env))
    if (found) return structuredClone(found.plan)
    if (this.plans.get(key) === null) return this.planner(host)
    const made = await this.planNeutral(host.snapshot)
    const known = this.plans.get(key)
    if (!made || known === null || (known?.length ?? 0) >= MAX_ENV_VARIANTS) {
      this.plans.set(key, null)
      return this.planner(host)
    }
    if (known) known.push(made)
    else this.plans.set(key, [made])
    return structuredClone(made.plan)
  }

  /** The plan on a host of this snapshot under a name no inventory holds, and what it read of the environment; null: not shareable. */
  private async planNeutral(snapshot: Snapshot): Promise<SharedPlan<T> | null> {
    const seen = new Map<string, string | null>()
    let listed = false
    const note = (target: Env, name: string | symbol) => {
      if (typeof name === 'string') seen.set(name, valueIn(target, name))
    }
    const env = new Proxy(snapshot.env, {
      get: (target, name, receiver) => (note(target, name), Reflect.get(target, name, receiver)),
      has: (target, name) => (note(target, name), Reflect.has(target, name)),
      getOwnPropertyDescriptor: (target, name) => (note(target, name), Reflect.getOwnPropertyDescriptor(target, name)),
      ownKeys: (target) => ((listed = true), Reflect.ownKeys(target)),
    })
    const neutral = new SnapshotHost(this.neutralName, {...snapshot, env})
    try {
      const plan = await this.planner(neutral)
      if (neutral.missed.size > 0 || JSON.stringify(plan).includes(this.neutralName)) return null
      // A copy made now: the plan holds nothing of the watched environment, and cloning cannot fail later.
      return {plan: structuredClone(plan), env: listed ? {all: JSON.stringify(snapshot.env)} : {seen}}
    } catch {
      return null
    }
  }
}

function valueIn(env: Env, name: string): string | null {
  return Object.hasOwn(env, name) ? String(env[name]) : null
}

function envMatches(use: EnvUse, env: Env): boolean {
  if ('all' in use) return use.all === JSON.stringify(env)
  for (const [name, value] of use.seen) if (valueIn(env, name) !== value) return false
  return true
}

/** A digest of everything a SnapshotHost answers from, its name and environment aside. */
export function snapshotKey(s: Snapshot): string {
  // One JSON text of the facts and metadata, one buffer of the contents (their lengths are in
  // the text): a handful of calls per snapshot, where calls per entry cost more than planning saved.
  const rows: unknown[] = [s.uid, s.commands, s.versions, s.units]
  const contents: Buffer[] = []
  for (const [path, e] of s.entries) {
    // JSON writes undefined in an array as null: the mask says which fields were undefined.
    const optional = [e.special, e.contentState, e.entries, e.listState, e.content]
    const mask = optional.reduce<number>((m, v, i) => (v === undefined ? m | (1 << i) : m), 0)
    rows.push([path, e.kind, e.info, e.linkTarget, e.special, e.contentState, e.entries, e.listState, e.content?.length, mask])
    if (e.content) contents.push(e.content)
  }
  return createHash('sha256').update(JSON.stringify(rows)).update(Buffer.concat(contents)).digest('base64')
}
