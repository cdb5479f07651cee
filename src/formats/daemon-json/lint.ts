/**
 * Lints a parsed daemon.json the way the given Docker Engine version would read it: the names
 * dockerd's start-up check accepts (lint-names.ts), the values its decoder accepts
 * (lint-types.ts), the registry values (lint-registry.ts), the other values it validates
 * (lint-daemon-options.ts), and conflicts with flags on dockerd's command line.
 *
 * Every check is linear in the size of the file: positions are computed only for findings.
 */
import {compareFindings, type Finding} from '../../lint/finding.js'
import {report} from '../../lint/rule.js'
import {FREE_FORM, atLeast, engineVersion} from './known-keys.js'
import {lintDns, lintDnsSearch, lintEmptyFile, lintGraph, lintLabels, lintLimits, lintProxies} from './lint-daemon-options.js'
import {lintFlagConflicts, lintNames, type FlatName} from './lint-names.js'
import {lintInsecureRegistries, lintMirrors, lintNondistributable} from './lint-registry.js'
import {lintScope, winners, type DaemonJsonLintContext} from './lint-scope.js'
import {lintTypes} from './lint-types.js'
import type {DaemonJsonDoc, JsonMember} from './parse.js'
import {rules} from './rules.js'

export type {DaemonJsonLintContext} from './lint-scope.js'

/** All findings for the document, the parse findings included, sorted by position. */
export function lintDaemonJson(doc: DaemonJsonDoc, ctx: DaemonJsonLintContext = {}): Finding[] {
  const version = engineVersion(ctx.dockerVersion)
  const out: Finding[] = [...doc.syntaxFindings]
  const s = lintScope(doc, ctx, version, out)
  if (doc.bom && !atLeast(version, '24.0')) {
    out.push(
      report(
        rules['bom-before-24'],
        {file: doc.path, line: 1, column: 1},
        `the file starts with a UTF-8 byte order mark, which Docker Engine ${ctx.dockerVersion} does not skip; dockerd refuses to start: "invalid character 'ï' looking for beginning of value"`,
      ),
    )
  }
  lintEmptyFile(s)
  if (doc.root?.kind !== 'object') return out.sort(compareFindings)

  const top = winners(doc.root.members)
  const flat = flatten(top)
  lintNames(s, flat)
  lintTypes(s, doc.root.members)
  lintMirrors(s, top.get('registry-mirrors'))
  lintInsecureRegistries(s, top.get('insecure-registries'))
  lintNondistributable(s, top.get('allow-nondistributable-artifacts'))
  lintDns(s, top)
  lintDnsSearch(s, top)
  lintLabels(s, top)
  lintLimits(s, top)
  lintGraph(s, top)
  lintProxies(s, top.get('proxies'))
  if (ctx.dockerdArgs) lintFlagConflicts(s, flat, ctx.dockerdArgs)
  return out.sort(compareFindings)
}

/** dockerd's configValuesSet: one level of nested objects is lifted, except the free-form maps. */
function flatten(top: ReadonlyMap<string, JsonMember>): FlatName[] {
  const out: FlatName[] = []
  for (const m of top.values()) {
    if (m.value.kind === 'object' && !FREE_FORM.has(m.key)) {
      for (const child of winners(m.value.members).values()) out.push({name: child.key, parent: m.key, member: child})
    } else {
      out.push({name: m.key, parent: '', member: m})
    }
  }
  return out
}
