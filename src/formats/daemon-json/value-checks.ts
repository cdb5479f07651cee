/**
 * Option values dockerd validates when it loads daemon.json and refuses to start over (besides the
 * registry values in mirror-url.ts), per Engine version. The boundaries are data, with sources.
 *
 * Where dockerd does it (moby daemon/config/config.go):
 *   - getConflictFreeConfiguration: the empty file, the decoding of typed values (dns from 25.0),
 *     and "graph" with "data-root" (until the key was removed);
 *   - Validate: dns (before 25.0), dns-search, labels (opts.ValidateLabel), max-concurrent-downloads/uploads,
 *     max-download-attempts;
 *   - GetConflictFreeLabels (cmd/dockerd and Reload): one label key with two values.
 */
import {isIP} from 'node:net'
import {atLeast, type EngineVersion} from './known-keys.js'

export interface VersionBoundary {
  /** First Engine release with the new behaviour. */
  since: string
  behaviour: string
  source: string
  /** From release dates or merge dates rather than a tag check. */
  uncertain?: boolean
}

const CONFIG_GO = 'https://github.com/moby/moby/blob/master/daemon/config/config.go'

/** The version table. Before `since`, the older behaviour described in each entry holds. */
export const BOUNDARIES = {
  emptyFile: {
    since: '23.0',
    behaviour:
      'an empty or white-space-only file is an empty configuration; before, json.NewDecoder(…).Decode returned io.EOF and dockerd stopped with "unable to configure the Docker daemon with file …: EOF"',
    source: 'https://github.com/moby/moby/pull/42393 (merged 2021-06, first released in 23.0); moby#41268',
  },
  downloadAttempts: {
    since: '23.0',
    behaviour:
      'the max-* limits are plain ints and Validate rejects only values below 0; 20.10 kept them as *int and rejected max-download-attempts <= 0 (ValidateMaxDownloadAttempts, test "zero max-download-attempts")',
    source: `${CONFIG_GO} (Validate; config_test.go TestValidateConfigurationErrors at 20.10 and 23.0)`,
  },
  dnsAsNetIP: {
    since: '25.0',
    behaviour:
      'dns is decoded as []net.IP ("invalid IP address: x", no trimming, "" allowed); before, Validate ran opts.ValidateIPAddress (net.ParseIP of the trimmed value, "x is not an ip address")',
    source: 'https://github.com/moby/moby/pull/46803 (merged 2023-11-13)',
  },
  dnsAsNetipAddr: {
    since: '29.0',
    behaviour: 'dns is decoded as []netip.Addr (ParseAddr: an IPv6 zone such as fe80::1%eth0 is accepted)',
    source: 'https://github.com/moby/moby/pull/50600 (merged 2025-08-01)',
    uncertain: true,
  },
  reservedLabels: {
    since: '20.10',
    behaviour: 'labels in the com.docker.*, io.docker.* and org.dockerproject.* namespaces are refused (opts.ValidateLabel)',
    source:
      'https://docs.docker.com/engine/deprecated/#use-of-reserved-namespaces-in-engine-labels (removed in v20.10); moby daemon/pkg/opts/opts.go ValidateLabel',
  },
} satisfies Record<string, VersionBoundary>

// ---- dns

/** dockerd's message for a dns entry it refuses in this version, or null when it accepts it. */
export function dnsProblem(value: string, version: EngineVersion): string | null {
  if (atLeast(version, BOUNDARIES.dnsAsNetipAddr.since)) {
    return value === '' || isNetipAddr(value) ? null : `ParseAddr(${JSON.stringify(value)}): not an IP address`
  }
  if (atLeast(version, BOUNDARIES.dnsAsNetIP.since)) {
    return value === '' || isGoIP(value) ? null : `invalid IP address: ${value}`
  }
  return isGoIP(value.trim()) ? null : `${value} is not an ip address`
}

/** Go's net.ParseIP: dotted IPv4 without leading zeros, or IPv6 (no zone, no brackets). */
function isGoIP(s: string): boolean {
  return !s.includes('%') && isIP(s) !== 0
}

/** Go's netip.ParseAddr: as net.ParseIP, plus a non-empty zone on an IPv6 address. */
function isNetipAddr(s: string): boolean {
  const pct = s.indexOf('%')
  if (pct === -1) return isIP(s) !== 0
  return pct < s.length - 1 && isIP(s.slice(0, pct)) === 6
}

// ---- dns-search

/**
 * opts.validateDomain's pattern, kept as moby wrote it: "(:?" (not "(?:") is a group whose colon
 * is optional, so ":foo" passes. Go's \s is ASCII white space.
 */
const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?[\t\n\f\r ]*$/

/** opts.ValidateDNSSearch (every version): "." or a domain with a letter, shorter than 255. */
export function dnsSearchProblem(value: string): string | null {
  const v = value.replace(/^ +| +$/g, '')
  if (v === '.') return null
  const m = /[a-zA-Z]/.test(v) ? DOMAIN.exec(v) : null
  return m && m[1]!.length < 255 ? null : `${v} is not a valid domain`
}

// ---- labels

const RESERVED_LABEL_PREFIXES = ['com.docker.', 'io.docker.', 'org.dockerproject.']

/** opts.ValidateLabel: key=value, and not in a namespace Docker reserves. */
export function labelProblem(value: string, version: EngineVersion): string | null {
  if (!value.includes('=')) return `bad attribute format: ${value}`
  const lowered = value.toLowerCase()
  if (atLeast(version, BOUNDARIES.reservedLabels.since) && RESERVED_LABEL_PREFIXES.some((p) => lowered.startsWith(p))) {
    return `label ${value} is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use`
  }
  return null
}

export interface LabelConflict {
  /** Index of the entry that gives the key a second value. */
  index: number
  message: string
}

/**
 * GetConflictFreeLabels: the first value of a key stays in the map, so every later entry with the
 * same key (cut at the first "=") and another value is a conflict. Entries without "=" are skipped.
 */
export function labelConflicts(labels: readonly (string | null)[]): LabelConflict[] {
  const first = new Map<string, string>()
  const out: LabelConflict[] = []
  labels.forEach((label, index) => {
    if (label === null) return
    const eq = label.indexOf('=')
    if (eq === -1) return
    const key = label.slice(0, eq)
    const value = label.slice(eq + 1)
    const seen = first.get(key)
    if (seen === undefined) first.set(key, value)
    else if (seen !== value) out.push({index, message: `conflict labels for ${key}=${value} and ${key}=${seen}`})
  })
  return out
}

// ---- limits

export const LIMIT_KEYS = ['max-concurrent-downloads', 'max-concurrent-uploads', 'max-download-attempts'] as const
export type LimitKey = (typeof LIMIT_KEYS)[number]

const LIMIT_TEXT: Record<LimitKey, string> = {
  'max-concurrent-downloads': 'max concurrent downloads',
  'max-concurrent-uploads': 'max concurrent uploads',
  'max-download-attempts': 'max download attempts',
}

/** The smallest value Validate accepts for the key in this version. */
export function limitMinimum(key: LimitKey, version: EngineVersion): number {
  return key === 'max-download-attempts' && !atLeast(version, BOUNDARIES.downloadAttempts.since) ? 1 : 0
}

/** dockerd's message when the value is below the minimum, or null. */
export function limitProblem(key: LimitKey, value: bigint, version: EngineVersion): string | null {
  return value < BigInt(limitMinimum(key, version)) ? `invalid ${LIMIT_TEXT[key]}: ${value}` : null
}
