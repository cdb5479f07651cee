import {Flags} from '@oclif/core'

/** Target flags of every fleet command. Without --hosts/--inventory the command acts on this machine. */
export const targetFlags = {
  hosts: Flags.string({description: 'comma-separated hosts to act on over SSH (names from ssh config work as they are)', helpValue: 'A,B,C', helpGroup: 'TARGETS'}),
  inventory: Flags.string({char: 'i', description: 'Ansible-style INI or YAML inventory of the hosts to act on', helpValue: 'FILE', helpGroup: 'TARGETS'}),
  limit: Flags.string({char: 'l', description: 'Ansible host pattern: names, groups, globs, a:b union, a:&b intersection, a:!b exclusion', helpValue: 'PATTERN', helpGroup: 'TARGETS'}),
  'ssh-config': Flags.string({char: 'F', description: 'ssh client config file to use instead of ~/.ssh/config', helpValue: 'FILE', helpGroup: 'TARGETS'}),
  user: Flags.string({char: 'u', description: 'login user on every host (wins over ansible_user)', helpValue: 'NAME', helpGroup: 'TARGETS'}),
  become: Flags.boolean({description: 'run on the hosts through sudo -n (for non-root logins)', helpGroup: 'TARGETS'}),
  'accept-new-host-keys': Flags.boolean({description: "trust a host key on first contact (StrictHostKeyChecking=accept-new); a changed key is still refused", helpGroup: 'TARGETS'}),
  concurrency: Flags.integer({description: 'hosts worked on at once', default: 10, min: 1, max: 1000, helpGroup: 'TARGETS'}),
  timeout: Flags.integer({description: 'seconds allowed per host (connect, gather, plan, write)', default: 120, min: 1, helpGroup: 'TARGETS'}),
}

export const rootFlag = {
  root: Flags.string({description: "act on the files under DIR instead of this machine's / (an image tree, a chroot)", helpValue: 'DIR'}),
}

/** plan and apply: the spec and the fleet targets (or this machine, under --root). */
export const specFlags = {
  spec: Flags.string({description: 'the TOML spec: which mirrors serve which sources', helpValue: 'FILE', required: true}),
  ...targetFlags,
  ...rootFlag,
}

/** apply's rollout controls: batches, a failure limit, a canary host first. */
export const rolloutFlags = {
  serial: Flags.integer({description: 'apply to N hosts at a time; the next batch starts only while failures are within --max-fail (default 0)', helpValue: 'N', min: 1, helpGroup: 'ROLLOUT'}),
  'max-fail': Flags.string({description: 'failed hosts tolerated (N) or their share of all hosts (P%); past it no new host is started and the rest are reported as skipped', helpValue: 'N|P%', helpGroup: 'ROLLOUT'}),
  'canary-host': Flags.boolean({description: 'apply to one host first, as a batch of its own', helpGroup: 'ROLLOUT'}),
}

/** apply's daemon reload after the write. */
export const reloadFlags = {
  reload: Flags.boolean({description: 'after a host is written, reload each engine whose file changed (systemctl reload docker/crio); a change only a restart applies is reported as needs-restart', helpGroup: 'RELOAD'}),
  'allow-restart': Flags.boolean({description: 'with --reload: restart the daemon where a reload does not apply the change (non-reloadable daemon.json keys, a NO_PROXY drop-in, containerd config_path, k3s registries.yaml)', dependsOn: ['reload'], helpGroup: 'RELOAD'}),
}

/** apply --canary: a real pull on each written host, proving which source served it. */
export const canaryFlags = {
  canary: Flags.string({
    description: "after a host is written (and reloaded), pull IMAGE there (skopeo or podman; docker where dockerd runs) and pass only if a mirror of the spec served it; the fallback serving it, or the pull failing, rolls the host back",
    helpValue: 'IMAGE',
    helpGroup: 'VERIFY',
  }),
}

/** apply's and rollback's verification after the write. */
export const verifyFlags = {
  verify: Flags.boolean({
    description:
      "after a host is written (and reloaded), verify from the host itself: the files re-read, docker info lists the mirrors where dockerd runs, and every mirror the written configs name answers GET /v2/ along the route its engine takes there (the host's curl or wget, the proxy decided by Go's rules); a failure rolls the host back",
    helpGroup: 'VERIFY',
  }),
  'verify-timeout': Flags.integer({description: 'seconds for each request --verify makes from a host', default: 10, min: 1, max: 600, helpValue: 'SECONDS', helpGroup: 'VERIFY'}),
}

const {timeout: _perHost, ...targetsButTimeout} = targetFlags

/** check and ratelimit: the target flags; their --timeout stays per request, the per-host limit is --host-timeout. */
export const probeTargetFlags = {
  ...targetsButTimeout,
  'host-timeout': Flags.integer({description: 'seconds allowed per host with --hosts/--inventory (connect, gather, requests)', default: 120, min: 1, helpValue: 'SECONDS', helpGroup: 'TARGETS'}),
}

/** plan, apply and mirror add: a private CA for the TLS mirrors, installed where each engine looks for it. */
export const caFlags = {
  'ca-file': Flags.string({
    description:
      'PEM file of the CA that signed the mirrors\' TLS certificates, installed for each mirror host: /etc/docker/certs.d/HOST[:PORT]/ca.crt (docker), /etc/containers/certs.d/HOST[:PORT]/ca.crt (podman, skopeo, buildah, CRI-O), a file named by the mirror\'s ca key in hosts.toml (containerd), configs.HOST.tls.ca_file in registries.yaml (k3s). Certificates only (a private key is refused). With a spec: for every TLS mirror without its own ca-file',
    helpValue: 'FILE',
  }),
}
