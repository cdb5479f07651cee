/**
 * The environment systemd gives one service, for any unit name: the manager's
 * DefaultEnvironment=, the highest-priority unit file, its drop-ins (systemd order) and the
 * EnvironmentFile= files they name. dockerd, containerd and k3s all take their proxy from it.
 */
import path from 'node:path'
import type {Setting} from '../../net/proxy.js'
import {serviceEnvironment, type EnvironmentFileContent} from './environment-file.js'
import {expandGlob, type Reader} from './host-reader.js'
import {mergeUnitEnvironment, parseSystemdUnit, systemdDropInOrder, type ParsedUnit} from './systemd-unit.js'
import {SYSTEM_MANAGER_FILES, SYSTEM_UNIT_DIRS} from '../../core/systemd-paths.js'

const posix = path.posix

export interface SystemdScope {
  mode: 'rootful' | 'rootless'
  /** Unit folders, highest priority first (systemd.unit(5) "Unit File Load Path"). */
  unitDirs: string[]
  /** Where an administrator's drop-ins go. */
  adminDir: string
  /** Manager configuration with DefaultEnvironment=: main file candidates, drop-in folders (highest first). */
  managerFiles: string[]
  managerDropInDirs: string[]
  systemctl: string
}

/** The system manager's scope for this unit (a rootful service). */
export function systemScope(unit: string): SystemdScope {
  return {
    mode: 'rootful',
    unitDirs: [...SYSTEM_UNIT_DIRS],
    adminDir: `/etc/systemd/system/${unit}.d`,
    managerFiles: [...SYSTEM_MANAGER_FILES],
    managerDropInDirs: SYSTEM_MANAGER_FILES.map(f => `${f}.d`),
    systemctl: 'systemctl',
  }
}

export interface ServiceEnvironment {
  /** The unit file in force, null when none was found. */
  mainUnit: string | null
  /** Drop-ins in the order systemd applies them. */
  dropIns: string[]
  /** mainUnit (if any) then dropIns, and their texts in the same order. */
  unitFiles: string[]
  unitTexts: string[]
  /** EnvironmentFile= files that were read. */
  environmentFiles: Set<string>
  /** Every EnvironmentFile= the unit names (specifiers expanded), in the order systemd reads them, read or not. */
  environmentFileRefs: string[]
  /** The service's environment as systemd starts it. */
  env: Record<string, Setting>
}

/**
 * DefaultEnvironment= of system.conf/user.conf, read with the unit parser: the [Manager]
 * section becomes [Service] and the key becomes Environment= (same quoting rules), keeping
 * line numbers so sources still point at the right line.
 */
function managerDefaults(text: string, file: string): ParsedUnit {
  const lines = text.split(/(\r\n|\r|\n)/)
  for (let i = 0; i < lines.length; i += 2) {
    const line = lines[i]!
    if (/^[ \t]*\[Manager\][ \t]*$/.test(line)) lines[i] = '[Service]'
    else if (/^[ \t]*\[/.test(line)) lines[i] = '[X-Other]'
    else if (/^[ \t]*DefaultEnvironment[ \t]*=/.test(line)) lines[i] = line.replace('DefaultEnvironment', 'Environment')
    else if (/^[ \t]*(?:Environment|EnvironmentFile|UnsetEnvironment)[ \t]*=/.test(line)) lines[i] = '# not a manager setting'
  }
  const unit = parseSystemdUnit(lines.join(''), file)
  for (const w of unit.warnings) w.message = w.message.replace(/\bEnvironment=/g, 'DefaultEnvironment=')
  return unit
}

/** Read `unit`'s environment in `scope`; problems become the reader's notes. */
export async function readServiceEnvironment(reader: Reader, scope: SystemdScope, unit: string): Promise<ServiceEnvironment> {
  // The manager's DefaultEnvironment=: the first main file found, then its drop-ins.
  const managerUnits: ParsedUnit[] = []
  for (const file of scope.managerFiles) {
    if ((await reader.kind(file)) !== 'file') continue
    const text = await reader.read(file)
    if (text !== null) managerUnits.push(managerDefaults(text, file))
    break
  }
  for (const file of systemdDropInOrder(await reader.confFiles(scope.managerDropInDirs))) {
    if ((await reader.kind(file)) !== 'file') continue
    const text = await reader.read(file)
    if (text !== null) managerUnits.push(managerDefaults(text, file))
  }
  const defaults = mergeUnitEnvironment(managerUnits)

  // The highest-priority unit file, then every drop-in. A drop-in that is not a regular file
  // (a symlink to /dev/null) masks the ones of the same name with lower priority.
  let mainUnit: string | null = null
  for (const dir of scope.unitDirs) {
    const file = posix.join(dir, unit)
    const kind = await reader.kind(file)
    if (kind === 'file') {
      mainUnit = file
      break
    }
    if (kind === 'other') {
      reader.note(file, `${unit} is masked; systemd does not start it`)
      break
    }
  }
  // Unit-specific drop-ins first: with equal names they beat the type-wide service.d ones.
  const candidates = [
    ...(await reader.confFiles(scope.unitDirs.map(d => posix.join(d, `${unit}.d`)))),
    ...(await reader.confFiles(scope.unitDirs.map(d => posix.join(d, 'service.d')))),
  ]
  const dropIns: string[] = []
  for (const file of systemdDropInOrder(candidates)) if ((await reader.kind(file)) === 'file') dropIns.push(file)

  const unitFiles = [...(mainUnit ? [mainUnit] : []), ...dropIns]
  const unitTexts: string[] = []
  const units: ParsedUnit[] = []
  for (const file of unitFiles) {
    const text = (await reader.read(file)) ?? ''
    unitTexts.push(text)
    units.push(parseSystemdUnit(text, file, {unit}))
  }
  if (!mainUnit && dropIns.length > 0) reader.note(unit, 'no unit file found in the systemd unit folders; its drop-ins were read anyway')
  const merged = mergeUnitEnvironment(units)
  // DefaultEnvironment= comes first; the unit's own assignments and files override it.
  merged.env = {...defaults.env, ...merged.env}
  merged.warnings.unshift(...defaults.warnings)

  const files: EnvironmentFileContent[] = []
  const environmentFiles = new Set<string>()
  for (const ref of merged.environmentFiles) {
    const matches = await expandGlob(reader, ref.path)
    if (matches.length === 0) files.push({path: ref.path, optional: ref.optional, text: null})
    for (const file of matches) {
      const text = (await reader.kind(file)) === 'file' ? await reader.read(file) : null
      if (text !== null) environmentFiles.add(file)
      files.push({path: file, optional: ref.optional, text})
    }
  }
  const service = serviceEnvironment(merged, files)
  reader.warnings(service.warnings)
  return {mainUnit, dropIns, unitFiles, unitTexts, environmentFiles, environmentFileRefs: merged.environmentFiles.map(r => r.path), env: service.env}
}
