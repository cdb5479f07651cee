/**
 * Size limit for every configuration file mirrorctl reads (registries.conf, drop-ins,
 * daemon.json, unit files, env files). Real files are a few KiB; anything past this is
 * refused with exit 2 before it is read whole, so `lint /dev/urandom` cannot eat memory.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024

/** The host lock every edit takes, local or over SSH (under --root when given). */
export const HOST_LOCK_PATH = '/run/lock/mirrorctl.lock'
