import {promises as fs} from 'node:fs'
import {UserError} from '../core/errors.js'
import {ioUserError} from '../core/io-errors.js'

/** --root must name an existing folder: a typo would otherwise read as an empty machine. */
export async function checkRoot(root: string | undefined): Promise<void> {
  if (root === undefined) return
  const info = await fs.stat(root).catch((error: unknown) => {
    throw ioUserError(root, error, 'read')
  })
  if (!info.isDirectory()) throw new UserError('--root must be a folder that stands in for /', {position: {file: root, line: null}})
}
