// Throw-away certificates made with the openssl CLI: a CA and server certificates
// with subjectAltNames (Go ignores the CN), optionally already expired. `openssl ca`
// is used for signing because it is the only 3.0 command that takes explicit
// validity dates, which an expired certificate needs.
import {mkdirSync, writeFileSync} from 'node:fs'
import {isIP} from 'node:net'
import {join} from 'node:path'
import {execa} from 'execa'
import {requireTool} from './require-tools.js'

export interface TestCa {
  dir: string
  certFile: string
  keyFile: string
}

export interface ServerCertOptions {
  /** DNS subjectAltNames, e.g. ["mirror.test", "localhost"]. */
  dnsNames?: string[]
  /** IP subjectAltNames, e.g. ["127.0.0.1"]. */
  ipAddresses?: string[]
  /** Make a certificate whose validity ended yesterday. */
  expired?: boolean
  /** File name stem inside the CA dir (default "server" or "expired"). */
  name?: string
}

export interface ServerCert {
  certFile: string
  keyFile: string
  /** The CA that signed it (what a client must trust). */
  caFile: string
  notBefore: Date
  notAfter: Date
}

// openssl config files expand $vars and treat some characters specially: the paths we
// write into them must be plain.
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/
const DNS_RE = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

async function openssl(args: string[], cwd: string): Promise<void> {
  const res = await execa(requireTool('openssl'), args, {
    cwd,
    reject: false,
    stdin: 'ignore',
    extendEnv: false,
    env: {PATH: '/usr/bin:/bin'},
  })
  if (res.exitCode !== 0) throw new Error(`openssl ${args[0]} failed (${res.exitCode}): ${res.stderr}`)
}

/** openssl ca's date format (GeneralizedTime, UTC). */
function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** A new self-signed CA in `dir` (created if needed; must be a plain absolute path). */
export async function createTestCa(dir: string, commonName = 'mirrorctl e2e test CA'): Promise<TestCa> {
  if (!SAFE_PATH.test(dir)) throw new Error(`CA dir must be a plain absolute path: ${JSON.stringify(dir)}`)
  if (!/^[A-Za-z0-9 ._-]+$/.test(commonName)) throw new Error(`bad CA common name ${JSON.stringify(commonName)}`)
  mkdirSync(join(dir, 'newcerts'), {recursive: true})
  writeFileSync(join(dir, 'index.txt'), '')
  writeFileSync(join(dir, 'serial'), '1000\n')
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = test_ca',
      '[ test_ca ]',
      `database = ${dir}/index.txt`,
      `new_certs_dir = ${dir}/newcerts`,
      `serial = ${dir}/serial`,
      `certificate = ${dir}/ca.crt`,
      `private_key = ${dir}/ca.key`,
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'copy_extensions = none',
      '[ policy_any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  )
  await openssl(
    ['req', '-x509', ...KEY_ARGS, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${commonName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  )
  return {dir, certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key')}
}

/** A server certificate signed by `ca` for the given names (at least one). */
export async function issueServerCert(ca: TestCa, opts: ServerCertOptions): Promise<ServerCert> {
  const dns = opts.dnsNames ?? []
  const ips = opts.ipAddresses ?? []
  if (dns.length + ips.length === 0) throw new Error('issueServerCert: give at least one DNS name or IP')
  for (const n of dns) if (!DNS_RE.test(n)) throw new Error(`bad DNS name ${JSON.stringify(n)}`)
  for (const ip of ips) if (isIP(ip) === 0) throw new Error(`bad IP ${JSON.stringify(ip)}`)
  const stem = opts.name ?? (opts.expired ? 'expired' : 'server')
  if (!/^[A-Za-z0-9_-]+$/.test(stem)) throw new Error(`bad cert name ${JSON.stringify(stem)}`)

  const now = Date.now()
  const day = 24 * 3600 * 1000
  const notBefore = new Date(opts.expired ? now - 10 * day : now - 3600 * 1000)
  const notAfter = new Date(opts.expired ? now - day : now + 2 * day)
  const san = [...dns.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',')
  const extFile = `${stem}.ext`
  writeFileSync(
    join(ca.dir, extFile),
    [
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${san}`,
      '',
    ].join('\n'),
  )
  const cn = dns[0] ?? ips[0]!
  await openssl(['req', '-new', ...KEY_ARGS, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', `/CN=${cn}`], ca.dir)
  await openssl(
    ['ca', '-batch', '-config', 'ca.cnf', '-notext', '-in', `${stem}.csr`, '-out', `${stem}.crt`, '-extfile', extFile,
      '-startdate', asn1Time(notBefore), '-enddate', asn1Time(notAfter)],
    ca.dir,
  )
  return {certFile: join(ca.dir, `${stem}.crt`), keyFile: join(ca.dir, `${stem}.key`), caFile: ca.certFile, notBefore, notAfter}
}
