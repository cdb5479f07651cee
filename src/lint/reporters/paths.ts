import path from 'node:path'
import {pathToFileURL} from 'node:url'

/** The pseudo file name of input read from standard input. */
export const STDIN = '<stdin>'

/**
 * A finding's file relative to baseDir, with posix separators, when it lies inside baseDir;
 * otherwise null. Relative names are taken as relative to baseDir (the caller passes the
 * directory the names were given in), which keeps this pure.
 */
export function relativeInside(file: string, baseDir: string | undefined): string | null {
  if (baseDir === undefined || file === STDIN) return null
  const abs = path.resolve(baseDir, file)
  const rel = path.relative(path.resolve(baseDir), abs)
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null
  return toPosix(rel)
}

/** The path GitHub annotations and the like should show: base-relative when possible. */
export function displayPath(file: string, baseDir: string | undefined): string {
  return relativeInside(file, baseDir) ?? toPosix(file)
}

/**
 * A SARIF artifactLocation.uri (an RFC 3986 uri-reference): a relative reference for files
 * inside baseDir or given as relative names, a file:// URI for other absolute paths, and
 * "<stdin>" percent-encoded (< and > are not allowed in a URI).
 */
export function artifactUri(file: string, baseDir: string | undefined): string {
  const rel = relativeInside(file, baseDir)
  if (rel !== null) return encodePath(rel)
  if (file === STDIN) return encodeSegment(file)
  if (path.isAbsolute(file)) return pathToFileURL(file).href
  if (baseDir !== undefined) return pathToFileURL(path.resolve(baseDir, file)).href
  return encodePath(toPosix(file))
}

function toPosix(p: string): string {
  // Only Windows uses "\" as a separator; on posix it is a legal file-name character.
  return path.sep === '\\' ? p.split(path.sep).join('/') : p
}

function encodePath(posixPath: string): string {
  return posixPath.split('/').map(encodeSegment).join('/')
}

// encodeURIComponent leaves only unreserved characters and !*'() — all valid in a path
// segment — and encodes ":" too, so a first segment can never be mistaken for a scheme.
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment)
}
