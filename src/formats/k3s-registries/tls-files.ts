import {isMap, isScalar} from 'yaml'
import type {FindingAt} from '../../lint/rule.js'
import type {K3sRegistriesDoc} from './parse.js'
import {at} from './position.js'

/** A file containerd will read for a configs entry, as k3s writes it into hosts.toml. */
export interface K3sTlsFile {
  registry: string
  key: 'ca_file' | 'cert_file' | 'key_file'
  /** The path as written; "" for the certificate of a key_file given without cert_file. */
  path: string
  at: FindingAt
}

/**
 * The TLS files of every configs entry. k3s copies them into hosts.toml as `ca = [...]` and
 * `client = [[cert, key]]`; containerd reads them when it sets up a pull (an unreadable one
 * fails it), resolves a relative path against the hosts.toml folder, and with an empty key
 * reads the key from the certificate file.
 */
export function k3sTlsFiles(d: K3sRegistriesDoc): K3sTlsFile[] {
  const out: K3sTlsFile[] = []
  const configs = d.doc.get('configs', true)
  for (const item of isMap(configs) ? configs.items : []) {
    const registry = isScalar(item.key) ? String(item.key.value) : ''
    const tls = isMap(item.value) ? item.value.get('tls', true) : undefined
    if (!isMap(tls)) continue
    const text = (k: string): string => {
      const n = tls.get(k, true)
      return isScalar(n) && n.value !== null ? String(n.value) : ''
    }
    for (const key of ['ca_file', 'cert_file'] as const)
      if (text(key)) out.push({registry, key, path: text(key), at: at(d, ['configs', registry, 'tls', key])})
    if (text('key_file')) {
      if (!text('cert_file')) out.push({registry, key: 'key_file', path: '', at: at(d, ['configs', registry, 'tls', 'key_file'])})
      else out.push({registry, key: 'key_file', path: text('key_file'), at: at(d, ['configs', registry, 'tls', 'key_file'])})
    }
  }
  return out
}
