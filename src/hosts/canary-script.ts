/**
 * The fixed script apply --canary runs on a host (as root with --become). The request on
 * stdin: a magic line, the engine families to try ("podman", "docker"), and the image
 * reference, which the script checks against the reference grammar's characters before any
 * client sees it; it is never part of the script's text.
 *
 * Per family one answer block:
 *   run <family> <client>        the client used (skopeo, podman, docker)
 *   log <line>                   a line of the client's debug output that names a pull source
 *                                (docker: dockerd's journal, or /var/log/docker.log where journald has no docker.service)
 *   mirrors <json>               docker only: `docker info`'s registry mirrors, in order
 *   containerd-store             docker only: dockerd keeps images in containerd (its pulls log no endpoint)
 *   exit <code>                  the pull's exit code
 * or, when nothing could run: `skip <family> <why>`.
 */
export const CANARY_SCRIPT = `set -u
PATH="\${PATH:-/usr/bin:/bin}:/usr/local/bin:/usr/local/sbin:/usr/sbin:/sbin"
IFS= read -r magic || magic=
if [ "$magic" != "mirrorctl-canary 1" ]; then echo "mirrorctl-canary: unexpected request" >&2; exit 3; fi
IFS= read -r families || families=
IFS= read -r image || image=
case $image in ''|-*|*[!a-zA-Z0-9._:/@-]*) echo "mirrorctl-canary: bad image reference" >&2; exit 3 ;; esac
tmp=$(mktemp -d 2>/dev/null) || { echo "mirrorctl-canary: mktemp failed" >&2; exit 3; }
trap 'rm -rf "$tmp"' EXIT
echo "mirrorctl-canary-result 1"
# Only the lines naming pull sources, their failures and the final error; bounded in length.
sources() { grep -E 'Trying to (access|pull) |Accessing .* failed|Attempting next endpoint|Not continuing with pull|level=(error|fatal)' "$1" | cut -c1-800 | head -n 50 | sed 's/^/log /'; }
for family in $families; do
  case $family in
  podman)
    if command -v skopeo >/dev/null 2>&1; then
      echo "run podman skopeo"
      skopeo --debug inspect --no-tags --format '{{.Digest}}' "docker://$image" >"$tmp/out" 2>"$tmp/err"; rc=$?
    elif command -v podman >/dev/null 2>&1; then
      echo "run podman podman"
      podman --log-level=debug pull --quiet "$image" >"$tmp/out" 2>"$tmp/err"; rc=$?
    else
      echo "skip podman neither skopeo nor podman is installed"; continue
    fi
    sources "$tmp/err"
    echo "exit $rc"
    ;;
  docker)
    if ! command -v docker >/dev/null 2>&1; then echo "skip docker the docker client is not installed"; continue; fi
    if ! mirrors=$(docker info --format '{{json .RegistryConfig.Mirrors}}' 2>/dev/null); then echo "skip docker dockerd is not running"; continue; fi
    # dockerd's log: journald's docker.service, else the file sysvinit and OpenRC write (read from its size before the pull).
    cursor= size= dlog=/var/log/docker.log
    if command -v journalctl >/dev/null 2>&1; then cursor=$(journalctl -u docker.service -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p'); fi
    if [ -z "$cursor" ] && [ -f "$dlog" ]; then size=$(wc -c <"$dlog" | tr -d ' '); fi
    # Without its log a pull proves nothing: an info-level log only shows fallbacks, and no lines is not "no fallback".
    if [ -z "$cursor$size" ]; then echo "skip docker dockerd's log is in neither journald (docker.service) nor $dlog: a pull could not show which source served"; continue; fi
    echo "run docker docker"
    echo "mirrors $(printf '%s' "$mirrors" | tr -d '\\n' | cut -c1-2000)"
    case $(docker info --format '{{json .DriverStatus}}' 2>/dev/null) in *io.containerd.snapshotter*) echo "containerd-store" ;; esac
    docker pull --quiet "$image" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ -n "$cursor" ]; then journalctl -u docker.service --after-cursor "$cursor" -o cat --no-pager >"$tmp/log" 2>/dev/null
    else tail -c +"$((size + 1))" "$dlog" >"$tmp/log" 2>/dev/null; fi
    sources "$tmp/log"
    sources "$tmp/err"
    echo "exit $rc"
    ;;
  *) echo "skip $family no canary for this engine" ;;
  esac
done
echo "end"
`

export type CanaryFamily = 'podman' | 'docker'

/** stdin for CANARY_SCRIPT. The image must already be validated (parseCanaryImage). */
export function canaryRequest(families: readonly CanaryFamily[], image: string): string {
  return `mirrorctl-canary 1\n${families.join(' ')}\n${image}\n`
}

/** One family's answer, as the script reported it. */
export type CanaryAnswer =
  | {family: string; ran: false; reason: string}
  | {family: string; ran: true; client: string; exitCode: number; log: string[]; mirrors: string | null; containerdStore?: boolean}

export class CanaryFormatError extends Error {}

/** Reads the script's answer (after anything a login shell printed first). */
export function parseCanaryOutput(stdout: string): CanaryAnswer[] {
  const at = stdout.lastIndexOf('mirrorctl-canary-result 1\n')
  if (at === -1) throw new CanaryFormatError('the canary script gave no answer')
  const lines = stdout.slice(at).split('\n').slice(1)
  const out: CanaryAnswer[] = []
  let current: Extract<CanaryAnswer, {ran: true}> | null = null
  let ended = false
  for (const line of lines) {
    const [word, ...rest] = line.split(' ')
    const tail = rest.join(' ')
    if (word === 'skip') {
      const [family, ...why] = rest
      out.push({family: family ?? '', ran: false, reason: why.join(' ')})
    } else if (word === 'run') {
      current = {family: rest[0] ?? '', ran: true, client: rest[1] ?? '', exitCode: -1, log: [], mirrors: null}
      out.push(current)
    } else if (word === 'log' && current) current.log.push(tail)
    else if (word === 'mirrors' && current) current.mirrors = tail
    else if (word === 'containerd-store' && current) current.containerdStore = true
    else if (word === 'exit' && current) current.exitCode = Number(tail)
    else if (word === 'end') {
      ended = true
      break
    }
  }
  if (!ended) throw new CanaryFormatError('the canary script was cut off before its end')
  return out
}
