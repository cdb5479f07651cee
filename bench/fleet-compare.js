#!/usr/bin/env node
// The fleet comparison of issue 7: the same change applied to N real sshd hosts on loopback
// (test/harness/sshd-hosts.ts, default 50) by
//   1. mirrorctl apply --spec --inventory --yes (its default --concurrency);
//   2. a sequential ssh loop: one `ssh host 'sudo -n sh -c "cat > FILE"' < FILE` per host and
//      file, no ControlMaster (a full handshake each);
//   3. a parallel ssh loop: the same writes, xargs -P (mirrorctl's default concurrency), one
//      ControlMaster per host (ControlMaster=auto, ControlPersist=60) shared by its two writes;
//   4. Ansible (Debian's ansible; installed with apt-get when missing, loudly): a play copying
//      the same two files with backup: yes, become, pipelining on, Ansible's default
//      ControlPersist, host keys checked against the harness's known_hosts; forks 20 and 5.
// The change: a registry mirror for docker.io in /etc/containers/registries.conf.d/50-mirrorctl.conf
// (new file) and /etc/docker/daemon.json (edited). Every host is reset to the same starting
// state before each contender, and each contender's end state is checked on every host (both
// files byte-equal to mirrorctl's plan of them, computed beforehand with `apply --root`).
// Wall time per contender (median of --rounds rounds for mirrorctl and the parallel loop, taken
// in turns; --slow-rounds for the sequential loop and Ansible, which take minutes), and the
// targets: ansible(forks 20) / mirrorctl >= 5, mirrorctl / parallel-ssh-ControlMaster <= 1.5.
// Masters left by the loops and Ansible (ControlPersist) are ended after their timing;
// mirrorctl's own ending of its masters is inside its time.
//
//   npm run build && node bench/fleet-compare.js [--hosts 50] [--rounds 5] [--slow-rounds 1]
//                                               [--no-sequential] [--no-ansible] [--json] [--strict]
// (--no-ansible: mirrorctl and the loops only, for quick turns while working on speed; no
// Ansible ratio is printed then)
// Needs root (the harness's hosts are mount namespaces). Loopback only: Ansible gets an
// inventory of 127.0.0.1 ports and no Galaxy or network access.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {loadSshHarness, root} from './harness.js'

const argv = process.argv.slice(2)
const num = (name, fallback) => {
  const i = argv.indexOf(name)
  if (i === -1) return fallback
  const n = Number(argv[i + 1])
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive whole number`)
  return n
}
const count = num('--hosts', 50)
const rounds = num('--rounds', 5)
const slowRounds = num('--slow-rounds', 1)
const json = argv.includes('--json')
const strict = argv.includes('--strict')
const sequential = !argv.includes('--no-sequential')
const withAnsible = !argv.includes('--no-ansible')
const TARGET = {ansibleOverMirrorctl: 5, mirrorctlOverParallelSsh: 1.5}

if (process.getuid?.() !== 0) {
  console.error('fleet-compare: needs root (each sshd test host is a mount namespace)')
  process.exit(2)
}
const bin = path.join(root, 'bin/run.js')
const {targetFlags} = await import(path.join(root, 'dist/fleet/flags.js'))
const concurrency = targetFlags.concurrency.default

const DROP_IN = '/etc/containers/registries.conf.d/50-mirrorctl.conf'
const DAEMON_JSON = '/etc/docker/daemon.json'
const START_DAEMON_JSON = '{\n  "log-driver": "json-file",\n  "registry-mirrors": ["https://old.example.com"]\n}\n'
const SPEC = '[[mirror]]\nsource = "docker.io"\nmirrors = ["127.0.0.1:5000"]\ninsecure = true\nengines = ["docker", "podman"]\n'

const log = (line) => (json ? process.stderr : process.stdout).write(line + '\n')

function ensureAnsible() {
  if (spawnSync('ansible-playbook', ['--version'], {stdio: 'ignore'}).status === 0) return
  log('fleet-compare: ansible-playbook is missing: INSTALLING Debian\'s "ansible" package (apt-get install -y ansible) ...')
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], {stdio: ['ignore', 'inherit', 'inherit'], env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}})
  if (r.status !== 0) throw new Error('apt-get install ansible failed; install it yourself (apt-get install ansible) and run again')
}

/** Runs argv[0] with the rest; resolves with wall milliseconds and the outcome. */
function timed(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe'], ...options})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ms: Number(process.hrtime.bigint() - start) / 1e6, code: code ?? signal, stdout, stderr}))
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

if (withAnsible) ensureAnsible()
const work = mkdtempSync(path.join(tmpdir(), 'mirrorctl-bench-compare-'))
const {startSshHosts, writeBecomeInventory} = await loadSshHarness(work)

// The planned end state, by mirrorctl's own --root path (the same code writes both).
const specFile = path.join(work, 'spec.toml')
writeFileSync(specFile, SPEC)
const tree = path.join(work, 'tree')
mkdirSync(path.join(tree, 'etc/docker'), {recursive: true})
writeFileSync(path.join(tree, DAEMON_JSON), START_DAEMON_JSON)
const planned = spawnSync(process.execPath, [bin, 'apply', '--spec', specFile, '--root', tree, '--yes', '--json'], {encoding: 'utf8'})
if (planned.status !== 0) throw new Error(`mirrorctl apply --root failed: ${planned.stderr}`)
const files = path.join(work, 'files')
mkdirSync(files)
const expected = {[DROP_IN]: readFileSync(path.join(tree, DROP_IN), 'utf8'), [DAEMON_JSON]: readFileSync(path.join(tree, DAEMON_JSON), 'utf8')}
writeFileSync(path.join(files, '50-mirrorctl.conf'), expected[DROP_IN])
writeFileSync(path.join(files, 'daemon.json'), expected[DAEMON_JSON])

log(`fleet-compare: starting ${count} sshd hosts on 127.0.0.1 ...`)
const hosts = await startSshHosts(count, {namePrefix: 'c'})
const names = hosts.hosts.map((h) => h.name)
const inventory = path.join(work, 'hosts.ini')
writeBecomeInventory(inventory, 'bench', names)

function reset() {
  for (const h of hosts.hosts) {
    h.writeFile(DAEMON_JSON, START_DAEMON_JSON)
    h.removeFile(DROP_IN)
    // Ansible's backups (daemon.json.NNN.DATE~) and mirrorctl's backups and lock.
    for (const f of readdirSync(h.path('/etc/docker'))) if (f !== 'daemon.json') h.removeFile(`/etc/docker/${f}`)
    rmSync(h.path('/var/lib/mirrorctl/backups'), {recursive: true, force: true})
  }
}

/** Every host holds both planned files; returns the hosts that do not. */
function wrongHosts() {
  return hosts.hosts.filter((h) => h.readFile(DROP_IN) !== expected[DROP_IN] || h.readFile(DAEMON_JSON) !== expected[DAEMON_JSON]).map((h) => h.name)
}

// The loops: one ssh per host and file, the content on stdin, written as root by sudo -n.
const LOOP_WRITE = `write() { ssh "$@" -- "$host" "sudo -n sh -c 'mkdir -p /etc/containers/registries.conf.d && cat > ${DROP_IN}'" < "$FILES/50-mirrorctl.conf" &&
  ssh "$@" -- "$host" "sudo -n sh -c 'cat > ${DAEMON_JSON}'" < "$FILES/daemon.json"; }`
const SEQUENTIAL_LOOP = `set -eu
${LOOP_WRITE}
for host in $HOSTS; do write -F "$SSH_CONFIG" -o BatchMode=yes -o ControlMaster=no -o ControlPath=none; done`
const PARALLEL_LOOP = `set -eu
printf '%s\\n' $HOSTS | xargs -P "$PARALLEL" -I{} bash -c '${LOOP_WRITE.replace(/'/g, `'\\''`)}
host=$1; write -F "$SSH_CONFIG" -o BatchMode=yes -o ControlMaster=auto -o ControlPath="$CONTROL_DIR/%C" -o ControlPersist=60' write {}`

/** Ends the masters ControlPersist left behind (not timed). */
function endMasters(dir) {
  for (const socket of readdirSync(dir)) spawnSync('ssh', ['-o', `ControlPath=${path.join(dir, socket)}`, '-O', 'exit', 'mirrorctl-bench'], {stdio: 'ignore'})
  rmSync(dir, {recursive: true, force: true})
}

const loopEnv = (extra) => ({...process.env, HOSTS: names.join(' '), FILES: files, SSH_CONFIG: hosts.sshConfig, ...extra})

const contenders = [
  {
    name: `mirrorctl apply (--concurrency ${concurrency}, its default)`,
    key: 'mirrorctl',
    run: () => timed(process.execPath, [bin, 'apply', '--spec', specFile, '--inventory', inventory, '--ssh-config', hosts.sshConfig, '--yes', '--json'], {env: {...process.env, NO_COLOR: '1'}}),
  },
  ...(sequential ? [{name: 'ssh loop, sequential, no ControlMaster', key: 'sshSequential', slow: true, run: () => timed('bash', ['-c', SEQUENTIAL_LOOP], {env: loopEnv({})})}] : []),
  {
    name: `ssh loop, xargs -P ${concurrency}, ControlMaster`,
    key: 'sshParallel',
    run: async () => {
      const dir = mkdtempSync('/tmp/mirrorctl-bench-cm-')
      try {
        return await timed('bash', ['-c', PARALLEL_LOOP], {env: loopEnv({PARALLEL: String(concurrency), CONTROL_DIR: dir})})
      } finally {
        endMasters(dir)
      }
    },
  },
  ...(withAnsible ? [20, 5] : []).map((forks) => ({
    name: `ansible-playbook, forks ${forks}`,
    key: `ansibleForks${forks}`,
    slow: true,
    run: async () => {
      const home = mkdtempSync(path.join(work, 'ansible-'))
      const cp = mkdtempSync('/tmp/mirrorctl-bench-acp-')
      try {
        return await timed('ansible-playbook', ['-i', inventory, '-e', `files_dir=${files}`, path.join(root, 'bench/ansible/playbook.yml')], {
          env: {
            ...process.env,
            ANSIBLE_CONFIG: path.join(root, 'bench/ansible/ansible.cfg'),
            ANSIBLE_HOME: home,
            ANSIBLE_LOCAL_TEMP: path.join(home, 'tmp'),
            ANSIBLE_FORKS: String(forks),
            ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
            // Ansible's own default ssh_args (ControlMaster=auto, ControlPersist=60s) plus the harness's ssh config.
            ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -F ${hosts.sshConfig}`,
            ANSIBLE_NOCOLOR: '1',
          },
        })
      } finally {
        endMasters(cp)
        rmSync(home, {recursive: true, force: true})
      }
    },
  })),
]

const results = new Map(contenders.map((c) => [c.key, {name: c.name, ms: [], logins: []}]))
const logins = () => hosts.hosts.reduce((n, h) => n + h.logins(), 0)
try {
  const totalRounds = Math.max(rounds, slowRounds)
  for (let round = 1; round <= totalRounds; round++) {
    for (const c of contenders) {
      if (round > (c.slow ? slowRounds : rounds)) continue
      reset()
      const before = logins()
      const r = await c.run()
      const wrong = wrongHosts()
      if (r.code !== 0 || wrong.length) {
        throw new Error(`${c.name} (round ${round}): exit ${r.code}, end state wrong on ${wrong.length} host(s) ${wrong.slice(0, 5).join(' ')}\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`)
      }
      results.get(c.key).ms.push(r.ms)
      results.get(c.key).logins.push(logins() - before)
      log(`  round ${round}: ${c.name.padEnd(46)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  (${logins() - before} ssh logins; ${count} hosts verified)`)
    }
  }
} finally {
  await hosts.stop()
  rmSync(work, {recursive: true, force: true})
}

const med = Object.fromEntries([...results].map(([k, v]) => [k, median(v.ms)]))
const ansibleRatio = med.ansibleForks20 / med.mirrorctl
// The machine's speed drifts between minutes, and each round runs the two back to back: the
// ratio is also taken per round. The verdict uses the larger of the two medians.
const pairedRatios = results.get('mirrorctl').ms.map((m, i) => m / results.get('sshParallel').ms[i])
const pairedRatio = median(pairedRatios)
const parallelRatio = Math.max(med.mirrorctl / med.sshParallel, pairedRatio)
const ok = {ansible: !withAnsible || ansibleRatio >= TARGET.ansibleOverMirrorctl, parallel: parallelRatio <= TARGET.mirrorctlOverParallelSsh}
const verdict = (b) => (b ? 'PASS' : 'MISS')
if (json) {
  console.log(JSON.stringify({hosts: count, concurrency, rounds, slowRounds, targets: TARGET, contenders: Object.fromEntries([...results].map(([k, v]) => [k, {...v, medianMs: med[k]}])), ratios: {ansibleForks20OverMirrorctl: withAnsible ? ansibleRatio : null, mirrorctlOverParallelSsh: parallelRatio, mirrorctlOverParallelSshOfMedians: med.mirrorctl / med.sshParallel, mirrorctlOverParallelSshPerRound: pairedRatios}, pass: ok}, null, 2))
} else {
  console.log(`\nfleet-compare: the same change on ${count} sshd hosts on loopback (${process.env.HOSTNAME ?? 'this machine'}, ${(await import('node:os')).cpus().length} cores); median wall time`)
  for (const [k, v] of results) console.log(`  ${v.name.padEnd(46)} ${(med[k] / 1000).toFixed(2).padStart(7)} s  (${v.ms.length} run${v.ms.length > 1 ? 's' : ''}: ${v.ms.map((m) => (m / 1000).toFixed(2)).join(', ')})`)
  if (withAnsible) console.log(`  ansible (forks 20) / mirrorctl                 ${ansibleRatio.toFixed(2).padStart(7)}x  target >= ${TARGET.ansibleOverMirrorctl}x   ${verdict(ok.ansible)}`)
  console.log(`  mirrorctl / parallel ssh loop (ControlMaster)  ${parallelRatio.toFixed(2).padStart(7)}x  target <= ${TARGET.mirrorctlOverParallelSsh}x ${verdict(ok.parallel)}`)
  console.log(`    (the larger of: ratio of the medians ${(med.mirrorctl / med.sshParallel).toFixed(2)}x; median of the per-round ratios ${pairedRatio.toFixed(2)}x, rounds: ${pairedRatios.map((r) => r.toFixed(2)).join(', ')})`)
}
if (strict && !(ok.ansible && ok.parallel)) process.exitCode = 1
