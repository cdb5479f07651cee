import type {FileConfig, MergedConfig, RegistryTable} from './model.js'

/** First table wins among duplicates within one file, as the loader keeps it. */
export function uniqueByPrefix(registries: readonly RegistryTable[]): RegistryTable[] {
  const seen = new Map<string, RegistryTable>()
  for (const r of registries) if (!seen.has(r.prefix)) seen.set(r.prefix, r)
  return [...seen.values()]
}

/**
 * Merges the main file and the drop-ins in load order, as containers/image does: a later
 * [[registry]] with the same prefix replaces the earlier one wholesale; the top-level keys are
 * replaced when present in the later file; aliases are overwritten one by one ("" erases).
 */
export function mergeConfigs(files: readonly FileConfig[]): MergedConfig {
  const registries = new Map<string, RegistryTable>()
  let search: string[] | null = null
  let searchOrigin: string | null = null
  let helpers: string[] | null = null
  let mode: string | null = null
  let alsHelper = ''
  const aliases = new Map<string, {value: string; file: string}>()
  for (const f of files) {
    for (const r of uniqueByPrefix(f.registries)) registries.set(r.prefix, r)
    // The loader records every file it loads as the origin; a drop-in replaces it only when it sets the list.
    if (f.unqualifiedSearchRegistries !== null || !f.dropIn) {
      search = f.unqualifiedSearchRegistries
      searchOrigin = f.file
    }
    if (f.credentialHelpers !== null) helpers = f.credentialHelpers
    if (f.shortNameMode) mode = f.shortNameMode
    if (f.additionalLayerStoreAuthHelper) alsHelper = f.additionalLayerStoreAuthHelper
    for (const [name, value] of Object.entries(f.aliases ?? {})) {
      if (value === '') aliases.delete(name)
      else aliases.set(name, {value, file: f.file})
    }
  }
  return {
    registries: [...registries.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0)),
    unqualifiedSearchRegistries: search ?? [],
    unqualifiedSearchOrigin: searchOrigin,
    credentialHelpers: helpers && helpers.length ? helpers : ['containers-auth.json'],
    shortNameMode: (mode as MergedConfig['shortNameMode'] | null) ?? 'permissive',
    aliases: Object.fromEntries(aliases),
    additionalLayerStoreAuthHelper: alsHelper,
    files: files.map((f) => f.file),
  }
}
