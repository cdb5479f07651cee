import {readFile} from 'node:fs/promises'
import {UserError, unreadable} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'
import {MAX_CONFIG_BYTES} from '../core/limits.js'
import {mirrorsWithCa, parseCaBundle, refuseCaForInsecure, type CaBundle} from '../policy/ca-files.js'
import type {MirrorTarget} from '../policy/mirror-policy.js'
import type {Spec} from '../policy/spec.js'

/** Reads and validates a CA file on the control machine (before any host is contacted). */
export async function readCaFile(file: string): Promise<CaBundle> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    throw unreadable(file, error)
  }
  if (bytes.length > MAX_CONFIG_BYTES)
    throw new UserError(`larger than ${MAX_CONFIG_BYTES} bytes: not a CA file`, {exitCode: ExitCode.Usage, position: {file, line: null}, rule: 'ca-file/not-pem', hint: 'give the PEM file of the CA certificate'})
  return parseCaBundle(bytes, file)
}

/** `mirror add --ca-file`: every new mirror gets the CA; each must be a verified TLS mirror. */
export async function withCaFlag(mirrors: MirrorTarget[], caFile: string | undefined): Promise<MirrorTarget[]> {
  if (caFile === undefined) return mirrors
  if (!mirrors.length) throw new UserError('--ca-file needs a MIRROR to install the CA for', {hint: 'for example: mirrorctl mirror add docker.io mirror.example.com:5000 --ca-file corp-ca.pem'})
  const ca = await readCaFile(caFile)
  for (const m of mirrors) refuseCaForInsecure(m, caFile)
  return mirrors.map((m) => ({...m, ca}))
}

/**
 * Reads the spec's ca-file entries and `apply/plan --ca-file` and attaches each CA to its
 * mirrors: an entry's own ca-file wins; the flag goes to every other verified TLS mirror.
 * One host given two different CAs is refused.
 */
export async function attachSpecCaFiles(spec: Spec, caFlag: string | undefined): Promise<Spec> {
  const flagCa = caFlag === undefined ? null : await readCaFile(caFlag)
  const read = new Map<string, CaBundle>()
  const entries = []
  for (const e of spec.entries) {
    let ca = flagCa
    if (e.caFile !== undefined) {
      ca = read.get(e.caFile) ?? (await readCaFile(e.caFile))
      read.set(e.caFile, ca)
    }
    entries.push(ca ? {...e, mirrors: e.mirrors.map((m) => (m.insecure ? m : {...m, ca}))} : e)
  }
  const out = {...spec, entries}
  if (flagCa && !entries.some((e) => e.mirrors.some((m) => m.ca === flagCa)))
    throw new UserError(`--ca-file ${caFlag}: no verified TLS mirror in ${spec.file} to install it for`, {hint: 'the CA is for mirrors without insecure = true or http://; entries with their own ca-file keep it'})
  mirrorsWithCa(entries.flatMap((e) => e.mirrors))
  return out
}
