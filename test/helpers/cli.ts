import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'

export const REPO = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(REPO, 'bin/run.js')

/** Runs the built CLI as a user would; never throws on a non-zero exit. */
export async function cli(args: string[], options: {input?: string; env?: Record<string, string>; cwd?: string} = {}) {
  if (!existsSync(path.join(REPO, 'dist/commands'))) throw new Error('the CLI is not built: run `npm run build` first')
  const r = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    input: options.input ?? '',
    cwd: options.cwd ?? REPO,
    env: {NO_COLOR: '1', HOME: '/nonexistent-home', ...options.env},
    extendEnv: true,
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

export function tempDir(label: string): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(path.join(tmpdir(), `mirrorctl-${label}-`))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}
