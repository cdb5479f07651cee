// Temporary directories for the e2e harness, removed on demand and, as a backstop,
// when the test process exits.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const live = new Set<string>()
let hooked = false

/** A new empty directory under the OS temp dir; `label` must be a plain word. */
export function makeTempDir(label: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(label)) throw new Error(`bad temp dir label ${JSON.stringify(label)}`)
  const dir = mkdtempSync(join(tmpdir(), `mirrorctl-e2e-${label}-`))
  live.add(dir)
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      if (keepArtifacts()) return
      for (const d of live) rmSync(d, {recursive: true, force: true})
    })
  }
  return dir
}

/** Removes a directory made by makeTempDir (no-op when already gone). */
export function removeTempDir(dir: string): void {
  rmSync(dir, {recursive: true, force: true})
  live.delete(dir)
}

/** MIRRORCTL_E2E_KEEP=1 keeps temp dirs and logs for post-mortem debugging. */
export function keepArtifacts(): boolean {
  return process.env.MIRRORCTL_E2E_KEEP === '1'
}
