import {Flags} from '@oclif/core'
import {UserError} from '../core/errors.js'

/** Flags of every command that changes files. */
export const writeFlags = {
  'dry-run': Flags.boolean({description: 'print the unified diff of what would change and write nothing'}),
  'no-backup': Flags.boolean({description: 'do not keep the previous version under the backup folder'}),
  'drop-in': Flags.string({description: 'always write this drop-in file in registries.conf.d (a plain NAME.conf)', helpValue: 'NAME'}),
}

/**
 * --drop-in names one file inside registries.conf.d: containers/image loads only entries
 * ending in .conf there and never looks into sub-folders, so anything else would be
 * written and then silently ignored, or land outside the folder.
 */
export function checkDropInName(name: string): void {
  const fail = (why: string, hint: string) => {
    throw new UserError(`--drop-in ${JSON.stringify(name)}: ${why}`, {hint})
  }
  if (name === '' || name.trim() === '') fail('the name is empty', 'give a file name such as 50-mirrors.conf')
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0'))
    fail('must be a plain file name inside registries.conf.d, without folders', 'give a file name such as 50-mirrors.conf')
  if (!name.endsWith('.conf') || name === '.conf')
    fail('podman, skopeo and CRI-O only read *.conf files in registries.conf.d, so this file would be ignored', `use ${/\.conf$/.test(name) ? '50-mirrors.conf' : `${name}.conf`}`)
  if (/[\x00-\x1f\x7f]/.test(name)) fail('control characters are not allowed in the name', 'give a file name such as 50-mirrors.conf')
}
