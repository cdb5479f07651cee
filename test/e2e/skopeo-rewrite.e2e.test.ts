// mirrorctl's resolve against the real consumer: skopeo (containers/image) loads the same
// registries.conf and builds its pull sources for the same image. Every image is on a loopback
// registry that is not listening, and skopeo runs in the sandbox whose resolver is 127.0.0.1,
// so nothing leaves the machine: a rewrite error shows before any connection is tried.
// Not compared here: IPv6 hosts ([::1]:5000), which containers/image 5.23 (skopeo 1.9) refuses
// and later releases accept; lint warns about them (registries-conf/ipv6-location).
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cli} from '../helpers/cli.js'
import {runIsolated} from '../harness/isolated.js'
import {requireTools} from '../harness/require-tools.js'
import {keepArtifacts, makeTempDir, removeTempDir} from '../harness/temp.js'

let work: string
beforeAll(() => {
  requireTools(['skopeo', 'unshare', 'setpriv', 'mount'])
  work = makeTempDir('skopeo-rewrite')
})
afterAll(() => {
  if (work && !keepArtifacts()) removeTempDir(work)
})

const cases: [name: string, conf: string, image: string][] = [
  ['prefix localhost matches localhost:5000/...', '[[registry]]\nprefix = "localhost"\nlocation = "127.0.0.1:1/x"\n', 'localhost:5000/alpine'],
  ['prefix localhost, a name it was meant for', '[[registry]]\nprefix = "localhost"\nlocation = "127.0.0.1:1/x"\n', 'localhost/alpine'],
  ['mirror index.docker.io', '[[registry]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "index.docker.io"\n', '127.0.0.1:1/ubuntu'],
  ['mirror docker.io for an image without namespace', '[[registry]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "docker.io"\n', '127.0.0.1:1/ubuntu'],
  ['IPv4-mapped IPv6 mirror', '[[registry]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "[::ffff:127.0.0.1]:5000"\n', '127.0.0.1:1/a/ubuntu'],
  ['mirror making the name longer than 255', `[[registry]]\nlocation = "127.0.0.1:1"\n[[registry.mirror]]\nlocation = "127.0.0.1:1/${'a'.repeat(245)}"\n`, '127.0.0.1:1/abc/ubuntu'],
  ['empty V1 list beside [[registry]]', '[registries.search]\nregistries = []\n\n[[registry]]\nlocation = "127.0.0.1:1"\n', '127.0.0.1:1/x'],
  ['non-empty V1 list beside V2 keys', 'unqualified-search-registries = ["127.0.0.1:1"]\n[registries.search]\nregistries = ["127.0.0.1:2"]\n', '127.0.0.1:1/x'],
]

/** The consumer's own words in one of our messages: up to the detail we add (`: "..."`, ` ("...")`, `: this file ...`). */
const goPart = (message: string) => message.replace(/(: "| \("|: this ).*$/s, '')

describe('resolve fails exactly where skopeo fails to build its pull sources', {timeout: 120_000}, () => {
  it.each(cases)('%s', async (name, conf, image) => {
    const file = join(work, `${name.replace(/\W+/g, '-')}.conf`)
    writeFileSync(file, conf)
    const ours = await cli(['resolve', '--registries-conf', file, '--registries-conf-dir', join(work, 'none'), '--json', image])
    const theirs = await runIsolated(['skopeo', '--registries-conf', file, 'inspect', '--retry-times', '0', `docker://${image}`])
    expect(theirs.exitCode).not.toBe(0) // nothing listens on the loopback registries
    const out = JSON.parse(ours.stdout) as {results?: {error?: string}[]; error?: {message: string}}
    if (out.error) {
      // the loader refuses the file: skopeo says the same
      expect(theirs.stderr).toContain(goPart(out.error.message))
      expect(ours.exitCode).toBe(1)
      return
    }
    const error = out.results![0]!.error
    if (error) {
      expect(error).toMatch(/^rewriting reference: /)
      expect(theirs.stderr).toContain(goPart(error))
      expect(ours.exitCode).toBe(1)
    } else {
      expect(theirs.stderr).not.toMatch(/rewriting reference|registries configuration/)
      expect(ours.exitCode).toBe(0)
    }
  })
})
