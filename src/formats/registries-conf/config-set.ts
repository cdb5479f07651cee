import type {Finding} from '../../lint/finding.js'
import {compareFindings} from '../../lint/finding.js'
import {lintLoaded} from './lint.js'
import {loadFile, type LoadResult} from './load.js'
import {mergeConfigs} from './merge.js'
import type {FileConfig, MergedConfig} from './model.js'
import {parseRegistriesConf, type RegistriesConfDocument} from './parse.js'

/** One file of the set, in load order: the main file first, then drop-ins. */
export interface SourceFile {
  path: string
  text: string
  dropIn: boolean
}

export interface LoadedFile extends SourceFile {
  doc: RegistriesConfDocument
  result: LoadResult
}

export interface ConfigSet {
  files: LoadedFile[]
  /** The merged configuration, or null when the loader rejects any file. */
  merged: MergedConfig | null
  /** The error the engine would print: the first rejection in load order. */
  firstError: Finding | null
  /** Every finding over the set: rejections, key-level warnings, semantic warnings and advice. */
  findings: Finding[]
}

/** Parses, loads, merges and lints a set of files exactly as one engine would read them. Pure. */
export function evaluateConfigSet(sources: readonly SourceFile[]): ConfigSet {
  const files: LoadedFile[] = sources.map((s) => {
    const doc = parseRegistriesConf(s.text, s.path)
    return {...s, doc, result: loadFile(doc, {dropIn: s.dropIn})}
  })
  const errors = files.flatMap((f) => f.result.errors)
  const loaded = files.filter((f) => f.result.config).map((f) => ({doc: f.doc, config: f.result.config as FileConfig}))
  const findings = [...errors, ...files.flatMap((f) => f.result.warnings), ...lintLoaded(loaded)]
  return {
    files,
    merged: files.some((f) => f.result.rejected) ? null : mergeConfigs(loaded.map((l) => l.config)),
    firstError: errors[0] ?? null,
    findings: findings.sort(compareFindings),
  }
}
