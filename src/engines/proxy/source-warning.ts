/** A problem found while reading an engine's proxy sources; never quotes a value unmasked. */
export interface SourceWarning {
  file: string
  /** 1-based; null for the file as a whole. */
  line: number | null
  message: string
}
