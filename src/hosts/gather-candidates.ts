/**
 * The paths the engine modules read on a host (src/engines/*.ts), asked for in the first
 * gather so that planning usually completes in one round trip. This list is only an
 * optimisation: whatever an engine reads beyond it is recorded by SnapshotHost and gathered
 * in one more round trip (gatherUntilComplete), so a missing entry costs time, never truth.
 *
 * No versions: `dockerd --version` (or containerd's, podman's) starts a Go binary on the host,
 * tens of ms of its CPU, while planning needs one only for some files (dockerVersionMatters,
 * src/formats/daemon-json/version-matters.ts); a plan that needs one asks, and that costs one
 * more round trip on those hosts only.
 */
import {SYSTEM_MANAGER_FILES, SYSTEM_UNIT_DIRS} from '../core/systemd-paths.js'
import {DEFAULT_DROP_IN} from '../core/paths.js'
import {backupSlotName, SYSTEM_BACKUP_FOLDER} from './backup.js'
import type {GatherRequest} from './snapshot.js'

const read = (path: string): GatherRequest => ({path, mode: 'read'})
const list = (path: string): GatherRequest => ({path, mode: 'list'})
const stat = (path: string): GatherRequest => ({path, mode: 'stat'})

/** First-gather requests: registries.conf, containers.conf, daemon.json, docker.service and their folders. */
export function candidateRequests(): readonly GatherRequest[] {
  // One frozen list for the whole run: GATHER_SCRIPT holds it, and a request names it by identity with one line (encodeGatherRequest).
  candidates ??= Object.freeze(buildCandidates().map((r) => Object.freeze(r)))
  return candidates
}

let candidates: readonly GatherRequest[] | undefined

function buildCandidates(): GatherRequest[] {
  return [
    // containers-registries.conf(5): system file and drop-ins, the user's file and drop-ins
    read('/etc/containers/registries.conf'),
    list('/etc/containers/registries.conf.d'),
    read('~/.config/containers/registries.conf'),
    list('~/.config/containers/registries.conf.d'),
    // containers.conf(5) (podman's proxy environment)
    read('/usr/share/containers/containers.conf'),
    read('/etc/containers/containers.conf'),
    list('/etc/containers/containers.conf.d'),
    read('/etc/containers/containers.rootless.conf'),
    list('/etc/containers/containers.rootless.conf.d'),
    read('~/.config/containers/containers.conf'),
    list('~/.config/containers/containers.conf.d'),
    // dockerd: daemon.json (system and rootless), its unit, drop-ins, environment files
    read('/etc/docker/daemon.json'),
    read('~/.config/docker/daemon.json'),
    stat('~/.config/systemd/user/docker.service'),
    ...SYSTEM_UNIT_DIRS.flatMap((dir) => [read(`${dir}/docker.service`), list(`${dir}/docker.service.d`), list(`${dir}/service.d`)]),
    ...SYSTEM_MANAGER_FILES.map(read),
    ...SYSTEM_MANAGER_FILES.map((f) => list(`${f}.d`)),
    read('/etc/default/docker'),
    read('/etc/sysconfig/docker'),
    // containerd (config.toml, the default hosts folder) and k3s/RKE2 registries.yaml
    read('/etc/containerd/config.toml'),
    list('/etc/containerd/certs.d'),
    ...['docker.io', '_default'].map((r) => list(`/etc/containerd/certs.d/${r}`)),
    ...['k3s', 'rke2'].flatMap((d) => [stat(`/etc/rancher/${d}`), read(`/etc/rancher/${d}/registries.yaml`)]),
    ...SYSTEM_UNIT_DIRS.flatMap((dir) => [read(`${dir}/containerd.service`), list(`${dir}/containerd.service.d`)]),
    // rollback: the backup slots, and the versions kept of the files mirrorctl usually writes
    list(SYSTEM_BACKUP_FOLDER),
    ...['/etc/containers/registries.conf', `/etc/containers/registries.conf.d/${DEFAULT_DROP_IN}`, '/etc/docker/daemon.json'].map((f) => list(`${SYSTEM_BACKUP_FOLDER}/${backupSlotName(f)}`)),
    // engine detection looks for the binaries (stat only: their bytes never travel)
    ...['/usr/bin/dockerd', '/usr/local/bin/dockerd', '/usr/sbin/dockerd', '/usr/bin/podman', '/usr/local/bin/podman', '/usr/bin/skopeo', '/usr/bin/buildah', '/usr/bin/crio', '/usr/bin/containerd', '/usr/local/bin/containerd', '/usr/local/bin/k3s'].map(stat),
  ]
}
