/**
 * The proxy settings each engine uses on one host, read through a Host (so --root and SSH
 * work), and where a NO_PROXY change has to be written so that the engine actually sees it.
 * One module per engine under proxy/; the pure parsers and text edits sit beside them.
 * Notes and errors never quote values: proxy URLs carry passwords.
 */
import type {Host} from '../hosts/host.js'
import {dockerNoProxyTarget, inspectDocker} from './proxy/docker.js'
import {inspectPodman, podmanNoProxyTarget} from './proxy/podman.js'
import {containerdNoProxyTarget, inspectContainerd} from './proxy/containerd.js'
import {inspectK3s, inspectK3sService, k3sNoProxyTarget} from './proxy/k3s.js'
import type {EngineProxyConfig, EngineProxyOptions, NoProxyTarget, ProxyEngine, ReadableProxyEngine} from './proxy/types.js'

export type {EngineProxyConfig, EngineProxyOptions, NoProxyTarget, NoProxyTargetKind, ProxyEngine, ReadableProxyEngine} from './proxy/types.js'

/** The proxy configuration an engine on this host uses, with the files it came from. */
export async function loadEngineProxyConfig(host: Host, engine: ReadableProxyEngine, options: EngineProxyOptions = {}): Promise<EngineProxyConfig> {
  switch (engine) {
    case 'docker':
      return (await inspectDocker(host, options)).result
    case 'podman':
      return (await inspectPodman(host)).result
    case 'containerd':
      return inspectContainerd(host)
    case 'k3s':
      return inspectK3s(host)
  }
}

/** Where a NO_PROXY change must be written so that this engine actually uses it. */
export async function noProxyTarget(host: Host, engine: ReadableProxyEngine, options: EngineProxyOptions = {}): Promise<NoProxyTarget> {
  switch (engine) {
    case 'docker':
      return dockerNoProxyTarget(await inspectDocker(host, options))
    case 'podman':
      return podmanNoProxyTarget(host, await inspectPodman(host))
    case 'containerd':
      return containerdNoProxyTarget(host)
    case 'k3s':
      return k3sNoProxyTarget(await inspectK3sService(host))
  }
}

/**
 * dockerd's command line from docker.service and its drop-ins (with their environment
 * expanded), for options set both as a flag and in daemon.json; null without a unit.
 */
export async function dockerdCommandLine(host: Host, options: EngineProxyOptions = {}): Promise<{argv: string[]; unitPath: string} | null> {
  return (await inspectDocker(host, options)).command
}
