/**
 * Strict UTF-8 decoding. Node's default decoder turns bad bytes into U+FFFD, and an edit
 * would then write those replacement characters back, losing the original bytes; the Go
 * consumers refuse (BurntSushi/toml) or keep them (encoding/json) instead.
 */
export class InvalidUtf8Error extends Error {
  constructor(
    /** 0-based offset of the first byte that is not valid UTF-8. */
    readonly offset: number,
    /** 1-based line and column (columns in characters before the bad byte, plus one). */
    readonly line: number,
    readonly column: number,
    /** The text with each bad sequence as U+FFFD: for reporting only, never to be written back. */
    readonly lossy: string,
  ) {
    super(`invalid UTF-8 at line ${line}, column ${column} (byte offset ${offset})`)
    this.name = 'InvalidUtf8Error'
  }
}

const strict = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/** Decodes bytes as UTF-8 (a BOM is kept as U+FEFF for the parsers to judge); throws InvalidUtf8Error. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes)
  } catch {
    const offset = firstInvalidByte(bytes)
    const before = strict.decode(bytes.subarray(0, offset))
    const lineStart = before.lastIndexOf('\n') + 1
    const line = before.slice(0, lineStart).split('\n').length
    throw new InvalidUtf8Error(offset, line, [...before.slice(lineStart)].length + 1, new TextDecoder('utf-8', {ignoreBOM: true}).decode(bytes))
  }
}

/** Offset of the first byte of the first malformed sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) lo = 0xa0
      if (b === 0xed) hi = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) lo = 0x90
      if (b === 0xf4) hi = 0x8f
    } else return i
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]
      if (c === undefined) return i
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i
    }
    i += need + 1
  }
  return -1
}
