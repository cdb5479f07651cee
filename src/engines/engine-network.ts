/**
 * The network setup an engine's pulls use on a host: its proxy configuration (read by
 * engine-proxy.ts) with --env overrides on top, and the CAs it trusts for one registry
 * (the system bundle plus certs.d/<host[:port]>/*.crt).
 */

import path from 'node:path'
import tls from 'node:tls'
import type {Host} from '../hosts/host.js'
import {configFromSourcedEnv, labelEnv, type ProxyConfig, type SourcedEnv} from '../net/proxy.js'
import {loadEngineProxyConfig, type ProxyEngine, type ReadableProxyEngine} from './engine-proxy.js'

export type EngineName = ProxyEngine

export interface EngineProxy {
  config: ProxyConfig
  /** The files that were read (for the report). */
  files: string[]
  /** Problems with those files, for the user (values never quoted). */
  notes: string[]
}

/** --env overrides, labelled so reports say where a value came from. */
export function overrideEnv(overrides: Readonly<Record<string, string>>): SourcedEnv {
  return labelEnv(overrides, (name) => `--env ${name}`)
}

/**
 * The proxy configuration of engine on host, with overrides (--env NAME=VALUE) replacing the
 * variables the engine process would end up with.
 */
export async function engineProxyConfig(host: Host, engine: ReadableProxyEngine, overrides: Readonly<Record<string, string>> = {}): Promise<EngineProxy> {
  const loaded = await loadEngineProxyConfig(host, engine)
  return {config: configFromSourcedEnv({...loaded.env, ...overrideEnv(overrides)}), files: loaded.sources, notes: loaded.notes}
}

/** The invoking environment with overrides on top (for commands that are the client themselves). */
export function processProxyConfig(env: Readonly<Record<string, string | undefined>>, overrides: Readonly<Record<string, string>> = {}): ProxyConfig {
  return configFromSourcedEnv({...labelEnv(env), ...overrideEnv(overrides)})
}

/** Where each engine looks for per-registry certificates, in its order (the first existing folder wins for c/image). */
function certDirs(host: Host, engine: EngineName): string[] {
  if (engine === 'docker') return ['/etc/docker/certs.d']
  const home = host.env.HOME
  const user = home && path.isAbsolute(home) ? [path.join(home, '.config/containers/certs.d')] : []
  return [...user, '/etc/containers/certs.d', '/etc/docker/certs.d']
}

export interface RegistryCas {
  /** The certs.d folder used, or null when the host has none for this registry. */
  dir: string | null
  /** The *.crt files in it. */
  files: string[]
  pems: string[]
}

/**
 * The extra CAs `engine` trusts for registry hostPort ("mirror.test:5000", as written in the
 * config): *.crt files in <certs.d>/<hostPort>/. c/image uses the first folder that exists;
 * dockerd has only one.
 */
export async function registryCas(host: Host, engine: EngineName, hostPort: string): Promise<RegistryCas> {
  for (const base of certDirs(host, engine)) {
    const dir = path.join(base, hostPort)
    const names = await host.listDir(dir).catch(() => null)
    if (names === null) continue
    const files = names.filter((n) => n.endsWith('.crt')).sort().map((n) => path.join(dir, n))
    const pems: string[] = []
    for (const f of files) {
      const text = await host.readFile(f).catch(() => null)
      if (text) pems.push(text)
    }
    return {dir, files, pems}
  }
  return {dir: null, files: [], pems: []}
}

/** Go's list of Linux CA bundles (crypto/x509 root_linux.go), first readable one wins. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
]

/**
 * The roots a Go program on host trusts: the system bundle (so a company CA installed with
 * update-ca-certificates counts, as it does for dockerd and podman), else Node's bundled roots.
 */
export async function systemRoots(host: Host): Promise<{file: string | null; pems: string[]}> {
  for (const file of SYSTEM_BUNDLES) {
    const text = await host.readFile(file).catch(() => null)
    if (text && text.includes('BEGIN CERTIFICATE')) return {file, pems: [text]}
  }
  return {file: null, pems: [...tls.rootCertificates]}
}
