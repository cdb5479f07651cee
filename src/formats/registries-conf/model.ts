import type {KeyPath} from './parse.js'

/** One endpoint: a registry's primary location or one of its mirrors, as the loader keeps it. */
export interface Endpoint {
  /** Trailing "/" trimmed, as the loader does. */
  location: string
  insecure: boolean
  /** "" when unset (means all). */
  pullFromMirror: string
  /** Per-endpoint forwarding proxy; "" when unset. */
  proxy: string
  /** Where the endpoint's table sits in its file. */
  path: KeyPath
}

/** One [[registry]] table after the loader's normalisation (prefix defaults to location). */
export interface RegistryTable extends Endpoint {
  prefix: string
  /** Whether prefix was written, or copied from location. */
  prefixWritten: boolean
  blocked: boolean
  mirrorByDigestOnly: boolean
  mirrors: Endpoint[]
  /** The file that defines it and its index among that file's [[registry]] tables. */
  file: string
  index: number
}

/** What one file contributes, before drop-ins are merged. null = key absent (matters for merging). */
export interface FileConfig {
  file: string
  /** A drop-in; false for the main file (which names itself as the search-registries origin even when it sets nothing). */
  dropIn: boolean
  format: 'v1' | 'v2' | 'empty'
  /** In file order, duplicates included (the merge step applies first-wins). */
  registries: RegistryTable[]
  unqualifiedSearchRegistries: string[] | null
  credentialHelpers: string[] | null
  shortNameMode: string | null
  aliases: Record<string, string> | null
  additionalLayerStoreAuthHelper: string | null
}

/** The configuration an engine ends up with after the main file and every drop-in. */
export interface MergedConfig {
  /** Sorted by prefix, one table per prefix. */
  registries: RegistryTable[]
  unqualifiedSearchRegistries: string[]
  /** File that set unqualified-search-registries (for messages), or null. */
  unqualifiedSearchOrigin: string | null
  credentialHelpers: string[]
  shortNameMode: 'enforcing' | 'permissive' | 'disabled'
  aliases: Record<string, {value: string; file: string}>
  additionalLayerStoreAuthHelper: string
  /** The files read, in load order. */
  files: string[]
}

export const REGISTRY_KEYS = ['prefix', 'location', 'insecure', 'blocked', 'mirror-by-digest-only', 'mirror', 'pull-from-mirror', 'proxy'] as const
export const MIRROR_KEYS = ['location', 'insecure', 'pull-from-mirror', 'proxy'] as const
export const TOP_LEVEL_KEYS = [
  'registry',
  'unqualified-search-registries',
  'credential-helpers',
  'short-name-mode',
  'additional-layer-store-auth-helper',
  'aliases',
  'registries',
] as const
