import path from 'node:path'
import type {Host} from '../hosts/host.js'
import {unreadable} from '../core/errors.js'
import type {SourceFile} from '../formats/registries-conf/config-set.js'

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

/** Drop-in file names the loader takes from a folder: regular *.conf entries, lexical order, no recursion. */
export async function listDropIns(host: Host, dir: string): Promise<string[]> {
  const names = await host.listDir(dir).catch((error: unknown) => {
    throw unreadable(dir, error)
  })
  const files: string[] = []
  for (const name of names ?? []) {
    if (!name.endsWith('.conf')) continue
    const info = await host.stat(path.join(dir, name))
    if (info?.kind === 'file') files.push(path.join(dir, name))
  }
  return files.sort()
}

/** Reads the main file and every drop-in, in load order. Missing default files are skipped, as the loader does. */
export async function readRegistriesConf(host: Host, locations: RegistriesConfLocations): Promise<SourceFile[]> {
  const files: SourceFile[] = []
  const read = async (file: string) => {
    try {
      return await host.readFile(file)
    } catch (error) {
      throw unreadable(file, error)
    }
  }
  const main = await read(locations.main)
  if (main === null && locations.mainExplicit) throw unreadable(locations.main, Object.assign(new Error('no such file'), {code: 'ENOENT'}))
  if (main !== null) files.push({path: locations.main, text: main, dropIn: false})
  for (const dir of locations.dropInDirs) {
    for (const file of await listDropIns(host, dir)) {
      const text = await read(file)
      if (text !== null) files.push({path: file, text, dropIn: true})
    }
  }
  return files
}
