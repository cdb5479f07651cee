import path from 'node:path'
import type {Host} from '../hosts/host.js'
import {evaluateConfigSet, type ConfigSet} from '../formats/registries-conf/config-set.js'
import {locateRegistriesConf, RejectedFileError, scanRegistriesConf, type RegistriesConfLocations, type RegistriesConfOptions} from './registries-conf-files.js'

/** podman, buildah, skopeo and CRI-O: the registries.conf set as they would load it on `host`. */
export interface LoadedRegistriesConf {
  locations: RegistriesConfLocations
  set: ConfigSet
  /** The drop-in folder new drop-ins go to (the first one the engines read). */
  writableDropInDir: string
  /** Warnings about entries left out (a FIFO in a drop-in folder). */
  notes: string[]
}

export async function loadRegistriesConf(host: Host, options: RegistriesConfOptions = {}): Promise<LoadedRegistriesConf> {
  const locations = await locateRegistriesConf(host, options)
  const read = await scanRegistriesConf(host, locations)
  if (read.rejected[0]) throw new RejectedFileError(read.rejected[0])
  const set = evaluateConfigSet(read.files)
  // A user file means only the user drop-in folder is read; otherwise the system one comes first.
  const writableDropInDir = locations.dropInDirs[0] ?? path.join(path.dirname(locations.main), 'registries.conf.d')
  return {locations, set, writableDropInDir, notes: read.notes}
}
