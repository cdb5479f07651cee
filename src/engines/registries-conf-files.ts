import path from 'node:path'
import type {Host} from '../hosts/host.js'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {ioUserError} from '../core/io-errors.js'
import {InvalidUtf8Error} from '../core/text-decode.js'
import type {SourceFile} from '../formats/registries-conf/config-set.js'
import {rules} from '../formats/registries-conf/rules.js'
import {report} from '../lint/rule.js'
import type {Finding} from '../lint/finding.js'

export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf'
export const SYSTEM_DROP_IN_DIR = '/etc/containers/registries.conf.d'
const USER_FILE = '.config/containers/registries.conf'
const USER_DIR = '.config/containers/registries.conf.d'

export interface RegistriesConfOptions {
  /** --registries-conf FILE: read this main file (like CONTAINERS_REGISTRIES_CONF). */
  registriesConf?: string | undefined
  /** --registries-conf-dir DIR: the only drop-in folder. */
  registriesConfDir?: string | undefined
}

/** Which files containers/image reads, as it decides them. */
export interface RegistriesConfLocations {
  main: string
  /** Named explicitly (flag or environment): a missing file is then an error, not an empty config. */
  mainExplicit: boolean
  /** Drop-in folders in load order. */
  dropInDirs: string[]
  /** Why these paths (shown by lint and mirror list). */
  reason: string
}

/**
 * The env var wins over the user file; a user file, when present, replaces the system file
 * and the system drop-in folder; $HOME is used literally (XDG_CONFIG_HOME is not consulted).
 */
export async function locateRegistriesConf(host: Host, options: RegistriesConfOptions = {}): Promise<RegistriesConfLocations> {
  const home = host.env.HOME && path.isAbsolute(host.env.HOME) ? host.env.HOME : null
  const userDir = home ? path.join(home, USER_DIR) : null
  const fromEnv = host.env.CONTAINERS_REGISTRIES_CONF || host.env.REGISTRIES_CONFIG_PATH
  const explicit = options.registriesConf ?? fromEnv
  const both = [SYSTEM_DROP_IN_DIR, ...(userDir ? [userDir] : [])]
  if (explicit) {
    return {
      main: path.resolve(explicit),
      mainExplicit: true,
      dropInDirs: options.registriesConfDir ? [path.resolve(options.registriesConfDir)] : both,
      reason: options.registriesConf ? '--registries-conf' : host.env.CONTAINERS_REGISTRIES_CONF ? 'CONTAINERS_REGISTRIES_CONF' : 'REGISTRIES_CONFIG_PATH',
    }
  }
  if (home) {
    const userFile = path.join(home, USER_FILE)
    if ((await host.stat(userFile))?.kind === 'file') {
      return {
        main: userFile,
        mainExplicit: false,
        dropInDirs: options.registriesConfDir ? [path.resolve(options.registriesConfDir)] : [userDir!],
        reason: `user file ${userFile} exists (the system file and folder are ignored)`,
      }
    }
  }
  return {
    main: SYSTEM_REGISTRIES_CONF,
    mainExplicit: false,
    dropInDirs: options.registriesConfDir ? [path.resolve(options.registriesConfDir)] : both,
    reason: 'system default',
  }
}

export interface DropInScan {
  /** Regular *.conf files in lexical order. */
  files: string[]
  /** *.conf entries that are not regular files, with why they were left out. */
  skipped: {path: string; reason: string}[]
}

/**
 * Drop-ins as containers/image takes them: filepath.WalkDir over the folder, no recursion,
 * every non-folder entry ending in .conf, lexical order. A FIFO, socket or device named
 * *.conf would be opened by the engines and block or fail them; mirrorctl never reads it
 * and says so instead.
 */
export async function scanDropIns(host: Host, dir: string): Promise<DropInScan> {
  const info = await host.stat(dir).catch((error: unknown) => {
    throw ioUserError(dir, error, 'list')
  })
  if (info && info.kind !== 'directory')
    throw new UserError('not a folder: a drop-in folder holds *.conf files', {position: {file: dir, line: null}, hint: 'give the registries.conf.d folder, or the file itself as --registries-conf'})
  const names = await host.listDir(dir).catch((error: unknown) => {
    throw ioUserError(dir, error, 'list')
  })
  const scan: DropInScan = {files: [], skipped: []}
  for (const name of names ?? []) {
    if (!name.endsWith('.conf')) continue
    const file = path.join(dir, name)
    const entry = await host.stat(file).catch((error: unknown) => {
      throw ioUserError(file, error, 'read')
    })
    if (entry?.kind === 'file') scan.files.push(file)
    else if (entry?.kind === 'other') scan.skipped.push({path: file, reason: 'not a regular file (FIFO, socket or device): skipped; podman and skopeo would try to read it and hang or fail'})
  }
  scan.files.sort()
  return scan
}

/** Drop-in file names the loader takes from a folder: regular *.conf entries, lexical order, no recursion. */
export async function listDropIns(host: Host, dir: string): Promise<string[]> {
  return (await scanDropIns(host, dir)).files
}

/** A file the engines refuse to load at all (not UTF-8): exit 1 with the finding, or a finding for lint. */
export class RejectedFileError extends UserError {
  constructor(readonly finding: Finding) {
    super(finding.message, {exitCode: ExitCode.Findings, position: {file: finding.file, line: finding.line, column: finding.column}, rule: finding.rule, hint: finding.hint})
  }
}

/** BurntSushi/toml's lexer refuses any byte sequence that is not UTF-8, comments included. */
export function invalidUtf8Finding(file: string, error: InvalidUtf8Error): Finding {
  return report(
    rules['toml-syntax'],
    {file, line: error.line, column: error.column},
    `TOML syntax error: invalid UTF-8 (byte offset ${error.offset}); podman and skopeo refuse the whole file`,
    'save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`); mirrorctl will not edit it until then',
  )
}

/** Reads one registries.conf file strictly: null when missing; RejectedFileError when not UTF-8; UserError for I/O. */
export async function readRegistriesConfFile(host: Host, file: string): Promise<string | null> {
  try {
    return await host.readFile(file)
  } catch (error) {
    if (error instanceof InvalidUtf8Error) throw new RejectedFileError(invalidUtf8Finding(file, error))
    throw ioUserError(file, error, 'read')
  }
}

export interface RegistriesConfRead {
  files: SourceFile[]
  /** Files the engines refuse outright (left out of `files`). */
  rejected: Finding[]
  /** Entries left out with a warning (a FIFO in a drop-in folder). */
  notes: string[]
}

/**
 * Reads the main file and every drop-in, in load order. Missing default files are skipped,
 * as the loader does. A file that is not UTF-8 is collected in `rejected`.
 */
export async function scanRegistriesConf(host: Host, locations: RegistriesConfLocations): Promise<RegistriesConfRead> {
  const out: RegistriesConfRead = {files: [], rejected: [], notes: []}
  const read = async (file: string, dropIn: boolean) => {
    try {
      const text = await readRegistriesConfFile(host, file)
      if (text !== null) out.files.push({path: file, text, dropIn})
      return text
    } catch (error) {
      if (!(error instanceof RejectedFileError)) throw error
      out.rejected.push(error.finding)
      return ''
    }
  }
  const main = await read(locations.main, false)
  if (main === null && locations.mainExplicit) throw ioUserError(locations.main, Object.assign(new Error('no such file'), {code: 'ENOENT'}), 'read')
  for (const dir of locations.dropInDirs) {
    const scan = await scanDropIns(host, dir)
    out.notes.push(...scan.skipped.map((s) => `warning: ${s.path}: ${s.reason}`))
    for (const file of scan.files) await read(file, true)
  }
  return out
}

/** The files for commands that use the configuration: a file the engines refuse stops them (exit 1). */
export async function readRegistriesConf(host: Host, locations: RegistriesConfLocations): Promise<SourceFile[]> {
  const read = await scanRegistriesConf(host, locations)
  if (read.rejected[0]) throw new RejectedFileError(read.rejected[0])
  return read.files
}
