import {Flags} from '@oclif/core'

/** Flags of every command that changes files. */
export const writeFlags = {
  'dry-run': Flags.boolean({description: 'print the unified diff of what would change and write nothing'}),
  'no-backup': Flags.boolean({description: 'do not keep the previous version under the backup folder'}),
  'drop-in': Flags.string({description: 'always write this drop-in file in registries.conf.d', helpValue: 'NAME'}),
}
