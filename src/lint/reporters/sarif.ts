import {compareFindings, type Finding, type Severity} from '../finding.js'
import type {RuleMeta} from '../rule.js'
import {artifactUri} from './paths.js'

/** Where OASIS publishes the SARIF 2.1.0 schema (the tests validate against schemas/sarif-schema-2.1.0.json). */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
export const SARIF_VERSION = '2.1.0'
/** Where the tool is described (toolComponent.informationUri must be an absolute URI). */
export const INFORMATION_URI = 'https://www.npmjs.com/package/mirrorctl'

export interface SarifOptions {
  /** The rule catalog; every rule becomes a descriptor, so ruleIndex is stable per release. */
  rules: readonly RuleMeta[]
  /** mirrorctl's version. */
  version: string
  /** Files inside it are reported relative to it (GitHub code scanning wants repo-relative URIs). */
  baseDir?: string
  informationUri?: string
}

type Level = 'error' | 'warning' | 'note'

const level: Record<Severity, Level> = {error: 'error', warning: 'warning', info: 'note'}

interface Descriptor {
  id: string
  name: string
  shortDescription: {text: string}
  fullDescription: {text: string}
  help: {text: string}
  helpUri?: string
  defaultConfiguration: {level: Level}
  properties: {tags: string[]}
}

/** A SARIF 2.1.0 log with one run, pretty-printed. */
export function renderSarif(findings: readonly Finding[], options: SarifOptions): string {
  const descriptors: Descriptor[] = options.rules.map(descriptor)
  const indexOf = new Map(descriptors.map((d, i) => [d.id, i]))

  const results = [...findings].sort(compareFindings).map((f) => {
    let ruleIndex = indexOf.get(f.rule)
    if (ruleIndex === undefined) {
      // A finding from outside the catalog still needs a descriptor for ruleIndex to point at.
      ruleIndex = descriptors.push(unknownRule(f)) - 1
      indexOf.set(f.rule, ruleIndex)
    }
    return {
      ruleId: f.rule,
      ruleIndex,
      level: level[f.severity],
      message: {text: f.hint === '' ? f.message : `${f.message}\nhint: ${f.hint}`},
      locations: [
        {
          physicalLocation: {
            artifactLocation: {uri: artifactUri(f.file, options.baseDir)},
            // SARIF regions are 1-based with a minimum of 1; a whole-file finding points at 1:1.
            region: {startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column)},
          },
        },
      ],
    }
  })

  const log = {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: 'mirrorctl',
            version: options.version,
            informationUri: options.informationUri ?? INFORMATION_URI,
            rules: descriptors,
          },
        },
        // Finding columns count code points (see core/line-index.ts), not UTF-16 units.
        columnKind: 'unicodeCodePoints',
        results,
      },
    ],
  }
  return `${JSON.stringify(log, null, 2)}\n`
}

function descriptor(rule: RuleMeta): Descriptor {
  const d: Descriptor = {
    id: rule.id,
    name: rule.id.slice(rule.id.indexOf('/') + 1),
    shortDescription: {text: rule.description},
    fullDescription: {text: rule.description},
    help: {text: rule.hint},
    defaultConfiguration: {level: level[rule.severity]},
    properties: {tags: [rule.format]},
  }
  // helpUri must be an absolute URI; a source that is not one stays out rather than break the log.
  if (rule.source !== undefined && isAbsoluteUri(rule.source)) d.helpUri = rule.source
  return d
}

function unknownRule(f: Finding): Descriptor {
  return {
    id: f.rule,
    name: f.rule.slice(f.rule.indexOf('/') + 1),
    shortDescription: {text: f.rule},
    fullDescription: {text: f.rule},
    help: {text: f.hint},
    defaultConfiguration: {level: level[f.severity]},
    properties: {tags: []},
  }
}

function isAbsoluteUri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(s) && URL.canParse(s) && !/\s/.test(s)
}
