/**
 * Plans each distinct snapshot once per run. Planning is a pure function of what the host
 * shows through its snapshot (files, environment, uid, tools, versions, units), and a fleet's
 * hosts are mostly alike: gathered identically, they would all be planned to the same result,
 * at several milliseconds of CPU each. Hosts whose snapshots are byte-for-byte equal share one
 * planning; each still gets its own copy (structuredClone), so no two hosts share an object.
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

export class SharedPlans<T> {
  /** By snapshot key: the shared plan, or null when hosts with that snapshot are planned as themselves. */
  private readonly plans = new Map<string, {plan: T} | null>()
  private readonly neutralName = `mirrorctl-shared-plan-${randomUUID()}`

  constructor(private readonly planner: (host: Host) => Promise<T>) {}

  async plan(host: Host): Promise<T> {
    if (!(host instanceof SnapshotHost) || host.missed.size > 0) return this.planner(host)
    const key = snapshotKey(host.snapshot)
    let shared = this.plans.get(key)
    if (shared === undefined) {
      shared = await this.planNeutral(host)
      this.plans.set(key, shared)
    }
    // Not shareable: every host with this snapshot is planned once, as itself.
    return shared ? structuredClone(shared.plan) : this.planner(host)
  }

  private async planNeutral(host: SnapshotHost): Promise<{plan: T} | null> {
    const neutral = new SnapshotHost(this.neutralName, host.snapshot)
    try {
      const plan = await this.planner(neutral)
      return neutral.missed.size > 0 || JSON.stringify(plan).includes(this.neutralName) ? null : {plan}
    } catch {
      return null
    }
  }
}

/** A digest of everything a SnapshotHost answers from (its name aside). */
export function snapshotKey(s: Snapshot): string {
  // One JSON text of the facts and metadata, one buffer of the contents (their lengths are in
  // the text): a handful of calls per snapshot, where calls per entry cost more than planning saved.
  const rows: unknown[] = [s.uid, s.env, s.commands, s.versions, s.units]
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
