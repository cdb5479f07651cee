import TOML from '@iarna/toml'

/** One mirror as a [[registry.mirror]] table should say it. pullFromMirror "" = key absent. */
export interface DesiredMirror {
  location: string
  insecure: boolean
  pullFromMirror: string
}

/** What a prefix's [[registry]] says; location null = no table at all. */
export interface TableState {
  location: string | null
  mirrors: DesiredMirror[]
}

/**
 * Written above every [[registry]] table mirrorctl creates: readers see who owns it, and
 * `mirror remove` knows it may delete the table again once it is empty.
 */
export const MANAGED_COMMENT = '# Managed by mirrorctl (mirrorctl mirror add/remove, mirrorctl apply).'

export const tomlValue = (v: string | boolean): string => TOML.stringify.value(v)

export function mirrorLines(m: DesiredMirror, eol: string): string {
  return [
    '[[registry.mirror]]',
    `location = ${tomlValue(m.location)}`,
    ...(m.insecure ? ['insecure = true'] : []),
    ...(m.pullFromMirror ? [`pull-from-mirror = ${tomlValue(m.pullFromMirror)}`] : []),
  ].join(eol)
}

/** The location a table gets when nothing redirects it: the prefix itself; a wildcard has none. */
export function defaultLocation(prefix: string): string {
  return prefix.startsWith('*.') ? '' : prefix
}

export function tableText(prefix: string, desired: TableState, eol: string, extra: string[] = []): string {
  const location = desired.location ?? defaultLocation(prefix)
  const head = ['[[registry]]', `prefix = ${tomlValue(prefix)}`, ...(location ? [`location = ${tomlValue(location)}`] : []), ...extra].join(eol)
  return [head, ...desired.mirrors.map((m) => mirrorLines(m, eol))].join(eol + eol)
}

/**
 * For each desired mirror, the index of the existing mirror at the same location (each used
 * once), or -1 for a new one. Existing mirrors left unmatched are the ones to remove.
 */
export function matchMirrors(existing: readonly {location: string}[], desired: readonly DesiredMirror[]): number[] {
  const used = new Set<number>()
  return desired.map((d) => {
    const i = existing.findIndex((m, j) => !used.has(j) && m.location === d.location)
    if (i !== -1) used.add(i)
    return i
  })
}
