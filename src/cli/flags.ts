import {Flags} from '@oclif/core'

/** Where to find the files, shared by every command that reads engine configuration. */
export const locationFlags = {
  root: Flags.string({
    description: 'treat DIR as / when reading and writing files (an image tree, a chroot, a test folder)',
    helpValue: 'DIR',
  }),
  'registries-conf': Flags.string({
    description: 'main registries.conf to read instead of the default (like CONTAINERS_REGISTRIES_CONF)',
    helpValue: 'FILE',
  }),
  'registries-conf-dir': Flags.string({
    description: 'the only registries.conf.d drop-in folder to read',
    helpValue: 'DIR',
  }),
}
