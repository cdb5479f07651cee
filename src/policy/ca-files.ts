import {X509Certificate} from 'node:crypto'
import {UserError} from '../core/errors.js'
import {ExitCode} from '../core/exit-codes.js'

/** The part of a MirrorTarget (mirror-policy.ts) a CA concerns; structural, so the two modules import nothing of each other. */
export interface CaMirror {
  host: string
  scheme: 'http' | 'https' | null
  insecure: boolean
  given: string
  ca?: CaBundle
}

/**
 * A private CA to trust for a TLS mirror: the certificates of a PEM file, re-encoded in
 * canonical PEM so that the same CA always gives the same text (same CA -> no change).
 * Only certificates travel to the hosts: a private key in the file is refused.
 */
export interface CaBundle {
  /** The file as the user named it, for messages. */
  file: string
  /** Canonical PEM of every certificate, in file order. */
  pem: string
  /** SHA-256 fingerprints, in file order (what "the same CA" means). */
  fingerprints: string[]
  /** Subject of the first certificate, one line, for the plan's actions. */
  subject: string
}

/** docker's and containers/image's per-host certificate folders (moby registry/config.go, containers/image docker/docker_client.go). */
export const DOCKER_CERTS_D = '/etc/docker/certs.d'
export const CONTAINERS_CERTS_D = '/etc/containers/certs.d'

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g
const HINT = 'give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----); convert a DER file with: openssl x509 -inform der -in FILE -out ca.pem'

function refuse(file: string, rule: string, message: string, hint = HINT): UserError {
  return new UserError(message, {exitCode: ExitCode.Usage, position: {file, line: null}, rule: `ca-file/${rule}`, hint})
}

/**
 * Reads a CA file's bytes as the engines would (Go's AppendCertsFromPEM takes every
 * CERTIFICATE block and skips text between blocks). Refused: no certificate at all, a
 * block that does not parse, and any other PEM block, a private key above all (it would
 * be copied to every host).
 */
export function parseCaBundle(bytes: Uint8Array | string, file: string): CaBundle {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1')
  const certs: X509Certificate[] = []
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!
    if (/PRIVATE KEY/.test(label))
      throw refuse(file, 'private-key', `holds a private key (${label}): a CA file must hold certificates only`, 'give the CA certificate alone; never copy a private key to the hosts')
    if (label !== 'CERTIFICATE') throw refuse(file, 'not-certificate', `holds a ${label} block: a CA file must hold certificates only`)
    try {
      certs.push(new X509Certificate(m[0]))
    } catch (error) {
      throw refuse(file, 'bad-certificate', `certificate ${certs.length + 1} does not parse (${(error as Error).message})`)
    }
  }
  if (!certs.length) throw refuse(file, 'not-pem', 'holds no PEM certificate')
  return {
    file,
    pem: certs.map((c) => c.toString().trimEnd() + '\n').join(''),
    fingerprints: certs.map((c) => c.fingerprint256),
    subject: certs[0]!.subject.replace(/\n/g, ', '),
  }
}

/** Whether a file's text holds exactly the bundle's certificates (any PEM formatting); false when it does not parse. */
export function holdsSameCertificates(text: string | null, bundle: CaBundle): boolean {
  if (text === null) return false
  try {
    const other = parseCaBundle(text, 'existing')
    return other.fingerprints.length === bundle.fingerprints.length && other.fingerprints.every((f, i) => f === bundle.fingerprints[i])
  } catch {
    return false
  }
}

/** A CA only makes sense for a mirror reached over verified TLS. */
export function refuseCaForInsecure(m: CaMirror, file: string): void {
  if (m.scheme === 'http' || m.insecure)
    throw refuse(file, 'insecure-mirror', `mirror "${m.given}" is ${m.scheme === 'http' ? 'plain HTTP' : 'insecure (TLS not verified)'}: a CA file is for verified TLS mirrors`, 'drop insecure / http:// for this mirror, or drop the CA file')
}

/**
 * The certs.d folder name both Docker and containers/image use for a mirror: the URL's
 * host[:port] exactly as written (moby: url.Host of the mirror; containers/image:
 * reference.Domain of the rewritten reference). A port only when the mirror has one;
 * IPv6 keeps its brackets: "[::1]:5000".
 */
export function certsDirName(m: Pick<CaMirror, 'host'>): string {
  return m.host
}

export function dockerCaPath(m: Pick<CaMirror, 'host'>): string {
  return `${DOCKER_CERTS_D}/${certsDirName(m)}/ca.crt`
}

export function containersCaPath(m: Pick<CaMirror, 'host'>): string {
  return `${CONTAINERS_CERTS_D}/${certsDirName(m)}/ca.crt`
}

/**
 * containerd: a file beside the registry's hosts.toml, named by the mirror, with a
 * `.pem` suffix on purpose: when hosts.toml fails to decode, containerd reads the folder
 * as Docker's certs.d layout and would trust every `*.crt` there for the upstream too.
 */
export function containerdCaPath(hostsTomlFolder: string, m: Pick<CaMirror, 'host'>): string {
  return `${hostsTomlFolder.replace(/\/+$/, '')}/mirrorctl-ca-${fileSafe(m.host)}.pem`
}

/** k3s/RKE2: beside registries.yaml, in a certs folder of its own. */
export function k3sCaPath(registriesYaml: string, m: Pick<CaMirror, 'host'>): string {
  return `${registriesYaml.replace(/\/[^/]*$/, '')}/certs/mirrorctl-ca-${fileSafe(m.host)}.pem`
}

/** Whether a path is a CA file mirrorctl installs (the engines read those on each pull: no reload). */
export function isCaFilePath(file: string): boolean {
  return /\/certs\.d\/[^/]+\/ca\.crt$/.test(file) || /\/mirrorctl-ca-[^/]+\.pem$/.test(file)
}

/** "[::1]:5000" -> "__1_5000": no brackets or colons in a file name mirrorctl makes up. */
function fileSafe(host: string): string {
  return host.replace(/[[\]]/g, '').replace(/:/g, '_')
}

/** The mirrors of a list that carry a CA, each host once; two different CAs for one host are refused. */
export function mirrorsWithCa<M extends CaMirror>(mirrors: readonly M[]): (M & {ca: CaBundle})[] {
  const out = new Map<string, M & {ca: CaBundle}>()
  for (const m of mirrors) {
    if (!m.ca) continue
    const seen = out.get(m.host)
    if (seen && seen.ca.pem !== m.ca.pem) throw refuse(m.ca.file, 'conflict', `mirror host ${m.host} is given two different CA files (${seen.ca.file} and ${m.ca.file})`, 'give one CA file per mirror host (a bundle may hold several certificates)')
    if (!seen) out.set(m.host, m as M & {ca: CaBundle})
  }
  return [...out.values()]
}
