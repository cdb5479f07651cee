import {readFile} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {unreadable, UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {maskUrlCredentials} from '../net/proxy.js'

/** Flags of commands that talk to registries the way an engine would. */
export const networkFlags = {
  env: Flags.string({
    description: 'set an environment variable for the proxy decision, on top of what the engine reads (repeatable), e.g. --env HTTPS_PROXY=http://proxy:3128',
    helpValue: 'NAME=VALUE',
    multiple: true,
    // One value per --env, so a MIRROR or URL argument after it is not taken as another value.
    multipleNonGreedy: true,
  }),
  timeout: Flags.string({description: 'seconds to wait for each network step', default: '5', helpValue: 'SECONDS'}),
  'ca-file': Flags.string({description: 'also trust the CA certificates in this PEM file', helpValue: 'FILE'}),
}

export const engineFlag = Flags.string({
  description: 'whose proxy settings and trusted CAs to use: docker (docker.service environment, daemon.json) or podman (environment, containers.conf)',
  options: ['docker', 'podman'],
})

/** --env NAME=VALUE list -> record; a bad entry is a usage error. */
export function parseEnvFlags(entries: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=')
    const name = eq < 0 ? entry : entry.slice(0, eq)
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      // Never echo a value: without "=" the whole entry may be a proxy URL with a password.
      const shown = eq < 0 ? maskUrlCredentials(entry) : `${name}=…`
      throw new UserError(`--env expects NAME=VALUE (NAME= for an empty value), got ${JSON.stringify(shown)}`, {
        exitCode: ExitCode.Usage,
        hint: 'for example --env HTTPS_PROXY=http://proxy.example.com:3128 --env NO_PROXY=.internal,localhost',
      })
    }
    out[name] = entry.slice(eq + 1)
  }
  return out
}

/** --timeout in milliseconds; must be a positive number of seconds. */
export function parseTimeout(value: string): number {
  const seconds = Number(value)
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0) || seconds > 600) {
    throw new UserError(`--timeout ${JSON.stringify(value)} is not a number of seconds between 0 and 600`, {exitCode: ExitCode.Usage})
  }
  return Math.round(seconds * 1000)
}

/** The certificates of --ca-file (PEM), or a clear error. */
export async function readCaFile(file: string): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw unreadable(file, error)
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UserError('contains no PEM certificate (-----BEGIN CERTIFICATE-----)', {exitCode: ExitCode.Usage, position: {file, line: null}})
  }
  return text
}
