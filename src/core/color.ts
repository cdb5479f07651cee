/** ANSI colour for text output, and whether a stream gets it. Pure: the stream and environment are passed in. */

/** The environment variables the colour decision reads. */
export interface ColorEnv {
  NO_COLOR?: string | undefined
  FORCE_COLOR?: string | undefined
  [name: string]: string | undefined
}

/**
 * Whether output to `stream` gets ANSI colour. NO_COLOR (set and non-empty, per no-color.org)
 * wins; then FORCE_COLOR, where "0" and "false" mean off as in Node and supports-color; else
 * colour only when the stream is a terminal, so pipes and CI logs stay plain.
 */
export function shouldColor(stream: {isTTY?: boolean}, env: ColorEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream.isTTY === true
}

export type Style = (text: string) => string

export interface Styles {
  red: Style
  yellow: Style
  cyan: Style
  green: Style
  bold: Style
  dim: Style
}

// Each style closes with its own reset code (not \x1b[0m) so styles nest.
const sgr = (open: number, close: number): Style => (text) => `\x1b[${open}m${text}\x1b[${close}m`

const ansi: Styles = {
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  green: sgr(32, 39),
  bold: sgr(1, 22),
  dim: sgr(2, 22),
}

const identity: Style = (text) => text

const plain: Styles = {red: identity, yellow: identity, cyan: identity, green: identity, bold: identity, dim: identity}

/** Style helpers: ANSI when enabled, identity functions otherwise. */
export function styles(enabled: boolean): Styles {
  return enabled ? ansi : plain
}
