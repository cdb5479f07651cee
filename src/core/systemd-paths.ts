/**
 * Where the system manager looks for unit files and its own configuration (systemd.unit(5)
 * "Unit File Load Path", systemd-system.conf(5)), highest priority first. Shared by the
 * docker.service reader (engines/proxy/docker.ts) and the fleet gather's candidate list.
 */
export const SYSTEM_UNIT_DIRS: readonly string[] = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  // Distributions without merged /usr keep packaged units here.
  '/lib/systemd/system',
]

/** system.conf candidates (DefaultEnvironment=); each has a ".d" drop-in folder. */
export const SYSTEM_MANAGER_FILES: readonly string[] = ['/etc/systemd/system.conf', '/run/systemd/system.conf', '/usr/local/lib/systemd/system.conf', '/usr/lib/systemd/system.conf']
