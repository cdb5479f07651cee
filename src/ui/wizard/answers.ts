import type {FleetFlags} from '../../fleet/setup.js'
import type {SpecEngine} from '../../policy/spec.js'

/** How the user described the mirror; decides the questions asked and what Docker can take. */
export type MirrorKind = 'mirror' | 'public' | 'cache' | 'harbor' | 'copy'

/** One upstream and what serves it, as answered. Becomes one [[mirror]] entry of the spec. */
export interface EntryAnswer {
  source: string
  kind: MirrorKind
  /** As typed (host[:port][/namespace] or URL); [] for a copy (location only). */
  mirrors: string[]
  insecure: boolean
  /** null: the engines found on each host. */
  engines: SpecEngine[] | null
  location: string | null
}

export type TargetKind = 'local' | 'root' | 'hosts' | 'inventory'

/** Where to apply, as fleet flags: the same values `apply --spec` takes. */
export interface TargetAnswer {
  kind: TargetKind
  flags: FleetFlags
}

export interface SpecAnswers {
  fixNoProxy: boolean
  entries: EntryAnswer[]
}
