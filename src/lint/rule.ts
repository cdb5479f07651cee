import type {Finding, Severity} from './finding.js'

export type FormatName = 'registries-conf' | 'daemon-json' | 'containerd-hosts' | 'k3s-registries'

/**
 * A lint rule's metadata. The catalog is data, so --list-rules, docs/rules.md and SARIF
 * rule descriptors are generated from one place and cannot drift apart.
 */
export interface RuleMeta {
  /** Stable id, `<format>/<name>`. */
  id: string
  format: FormatName
  severity: Severity
  /** One sentence: what the rule catches. */
  description: string
  /** Default fix hint; a check may give a more specific one. */
  hint: string
  /** Where the behaviour it relies on is documented. */
  source?: string
}

export interface FindingAt {
  file: string
  line: number
  column: number
}

/** Builds a Finding for a rule at a position; message and hint may be specialised. */
export function report(rule: RuleMeta, at: FindingAt, message: string, hint?: string): Finding {
  return {
    rule: rule.id,
    severity: rule.severity,
    file: at.file,
    line: at.line,
    column: at.column,
    message,
    hint: hint ?? rule.hint,
  }
}

/** Defines a format's rules keyed by short name, filling in id and format. */
export function defineRules<K extends string>(
  format: FormatName,
  rules: Record<K, Omit<RuleMeta, 'id' | 'format'>>,
): Record<K, RuleMeta> {
  const out = {} as Record<K, RuleMeta>
  for (const [name, meta] of Object.entries(rules) as [K, Omit<RuleMeta, 'id' | 'format'>][]) {
    out[name] = {id: `${format}/${name}`, format, ...meta}
  }
  return out
}
