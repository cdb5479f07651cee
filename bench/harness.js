// The e2e harness (TypeScript) compiled to a temp folder for the plain-node benchmarks.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

export const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/** Compiles test/harness/sshd-hosts.ts (and only what it imports) below `work`; returns its module. */
export async function loadSshHarness(work) {
  const out = path.join(work, 'harness')
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--outDir', out, '--rootDir', path.join(root, 'test/harness'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', path.join(root, 'test/harness/sshd-hosts.ts')], {stdio: 'inherit'})
  return import(pathToFileURL(path.join(out, 'sshd-hosts.js')).href)
}
