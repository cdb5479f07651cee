/**
 * PROBE_SCRIPT: one fixed POSIX sh program that makes HTTP requests from a host with the
 * host's own curl (else GNU wget), one round trip for all of them. mirrorctl decides the
 * route by Go's rules (src/net/proxy.ts) and passes it explicitly: a proxy goes to the tool
 * in its environment (so a password never shows in the host's process list), a direct
 * request gets `--noproxy '*'`; every proxy variable of the login is unset first and
 * ~/.curlrc / wgetrc are not read, so curl's own NO_PROXY rules never decide anything.
 *
 * Every value arrives on stdin as a base64 field and reaches the tool as one argv word:
 * nothing is ever parsed as shell. The TypeScript side validates values before encoding
 * them (probeRequestProblem); the script checks the URL scheme again.
 *
 *   request: "mirrorctl-probe 1", then per request one line:
 *            "http ID GET|HEAD SECONDS k|- B64URL B64PROXY|- B64CAFILES|- BEARER-ID|- B64ACCEPT|-"
 *            "docker-mirrors ID SECONDS"
 *   answer:  "mirrorctl-probe-result 1 curl|wget|none", then per request
 *            "ans ID ran|no-tool|refused|no-token EXIT B64HEADERS|- B64STDERR|-"
 *            "dock ID absent|ran EXIT B64OUTPUT|-", and "done".
 *
 * BEARER-ID names an earlier request whose JSON body holds a token ({"token": ...}), sent as
 * "Authorization: Bearer" (a header file for curl): the Docker Hub token dance in one trip.
 */

export const PROBE_SCRIPT = `set -u
LC_ALL=C
export LC_ALL
PATH="\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
IFS= read -r magic || magic=
if [ "$magic" != "mirrorctl-probe 1" ]; then echo "mirrorctl-probe: unexpected request" >&2; exit 3; fi
umask 077
w=$(mktemp -d "\${TMPDIR:-/tmp}/mirrorctl-probe.XXXXXX") || { echo "mirrorctl-probe: cannot create a work folder" >&2; exit 3; }
trap 'rm -rf -- "$w"' EXIT
trap 'exit 130' HUP INT TERM
if command -v curl >/dev/null 2>&1; then tool=curl
elif command -v wget >/dev/null 2>&1 && wget --version 2>/dev/null | grep -q 'GNU Wget'; then tool=wget
else tool=none; fi
echo "mirrorctl-probe-result 1 $tool"
enc() { if [ -s "$1" ]; then head -c "$2" -- "$1" | base64 | tr -d '\\n'; else printf -- -; fi; }
dec() { if [ "$1" = - ]; then v=; else v=$(printf '%s' "$1" | base64 -d 2>/dev/null) || v=; fi; }
b64ok() { case $1 in -) return 0 ;; ''|*[!A-Za-z0-9+/=]*) return 1 ;; esac; return 0; }
cabundle() {
  : > "$w/ca.pem"
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/ca-bundle.pem /etc/pki/tls/cacert.pem /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem /etc/ssl/cert.pem; do
    if [ -r "$f" ]; then cat -- "$f" >> "$w/ca.pem"; echo >> "$w/ca.pem"; break; fi
  done
  printf '%s\\n' "$1" | while IFS= read -r f; do [ -r "$f" ] && { cat -- "$f"; echo; }; done >> "$w/ca.pem"
}
probe() {
  id=$1 method=$2 secs=$3 flags=$4
  case $method in GET|HEAD) ;; *) echo "ans $id refused - - -"; return ;; esac
  case $secs in ''|*[!0-9]*) echo "ans $id refused - - -"; return ;; esac
  case $flags in k|-) ;; *) echo "ans $id refused - - -"; return ;; esac
  case $8 in -|[0-9]*) ;; *) echo "ans $id refused - - -"; return ;; esac
  for f in "$5" "$6" "$7" "$9"; do b64ok "$f" || { echo "ans $id refused - - -"; return; }; done
  dec "$5"; u=$v
  dec "$6"; p=$v
  dec "$7"; cas=$v
  dec "$9"; acc=$v
  case $u in http://*|https://*) ;; *) echo "ans $id refused - - -"; return ;; esac
  if [ "$tool" = none ]; then echo "ans $id no-tool - - -"; return; fi
  tok=
  if [ "$8" != - ]; then
    tok=$(sed -n 's/.*"\\(access_\\)\\{0,1\\}token"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\2/p' "$w/b.$8" 2>/dev/null | head -n 1)
    case $tok in ''|*[!A-Za-z0-9._~+/=-]*) echo "ans $id no-token - - -"; return ;; esac
    printf 'Authorization: Bearer %s\\n' "$tok" > "$w/auth"
  fi
  [ -n "$cas" ] && cabundle "$cas"
  : > "$w/h"; : > "$w/e"; : > "$w/b.$id"
  if [ "$tool" = curl ]; then
    set -- -q --globoff --silent --show-error --location --max-redirs 5 --max-time "$secs" --connect-timeout "$secs" --max-filesize 1048576 -D "$w/h" -o "$w/b.$id"
    [ "$method" = HEAD ] && set -- "$@" --head
    [ "$flags" = k ] && set -- "$@" --insecure
    [ -n "$cas" ] && set -- "$@" --cacert "$w/ca.pem"
    [ -n "$acc" ] && set -- "$@" -H "Accept: $acc"
    [ -n "$tok" ] && set -- "$@" -H "@$w/auth"
    if [ -n "$p" ]; then
      http_proxy=$p https_proxy=$p curl "$@" --url "$u" 2> "$w/e"; rc=$?
    else
      curl "$@" --noproxy '*' --url "$u" 2> "$w/e"; rc=$?
    fi
  else
    set -- --no-config -nv -S --max-redirect=5 --tries=1 --timeout="$secs" -O "$w/b.$id"
    [ "$method" = HEAD ] && set -- "$@" --method=HEAD
    [ "$flags" = k ] && set -- "$@" --no-check-certificate
    [ -n "$cas" ] && set -- "$@" --ca-certificate="$w/ca.pem"
    [ -n "$acc" ] && set -- "$@" --header="Accept: $acc"
    [ -n "$tok" ] && set -- "$@" --header="Authorization: Bearer $tok"
    if [ -n "$p" ]; then
      http_proxy=$p https_proxy=$p wget "$@" -e use_proxy=on -- "$u" 2> "$w/e"; rc=$?
    else
      wget "$@" --no-proxy -- "$u" 2> "$w/e"; rc=$?
    fi
    cp -- "$w/e" "$w/h"
  fi
  echo "ans $id ran $rc $(enc "$w/h" 65536) $(enc "$w/e" 4000)"
}
docker_mirrors() {
  id=$1 secs=$2
  case $secs in ''|*[!0-9]*) secs=20 ;; esac
  if ! command -v docker >/dev/null 2>&1; then echo "dock $id absent - -"; return; fi
  if command -v timeout >/dev/null 2>&1; then
    timeout "$secs" docker info --format '{{json .RegistryConfig.Mirrors}}' > "$w/d" 2>&1; rc=$?
  else
    docker info --format '{{json .RegistryConfig.Mirrors}}' > "$w/d" 2>&1; rc=$?
  fi
  echo "dock $id ran $rc $(enc "$w/d" 8000)"
}
while IFS=' ' read -r kind id a b c d e f g h; do
  case $id in ''|*[!0-9]*) echo "bad request line"; continue ;; esac
  case $kind in
    http) probe "$id" "$a" "$b" "$c" "$d" "\${e:-}" "\${f:-}" "\${g:-}" "\${h:-}" ;;
    docker-mirrors) docker_mirrors "$id" "$a" ;;
    *) echo "ans $id refused - - -" ;;
  esac
done
echo done
`

/** One HTTP request made on the host. */
export interface HttpProbeRequest {
  kind: 'http'
  method: 'GET' | 'HEAD'
  url: string
  /** The proxy Go decided on (credentials included), or null for a direct request. */
  proxy: string | null
  /** Unverified TLS (an insecure registry). */
  insecure: boolean
  /** CA files on the host trusted on top of the system bundle (certs.d, hosts.toml ca). */
  caFiles: readonly string[]
  timeoutSeconds: number
  accept?: string
  /** Index of an earlier request whose JSON body holds the token to send as Bearer. */
  bearerFrom?: number
}

/** `docker info --format '{{json .RegistryConfig.Mirrors}}'` on the host. */
export interface DockerMirrorsRequest {
  kind: 'docker-mirrors'
  timeoutSeconds: number
}

export type ProbeRequest = HttpProbeRequest | DockerMirrorsRequest

export type ProbeTool = 'curl' | 'wget'

export interface HttpProbeAnswer {
  kind: 'http'
  /**
   * ran: the tool ran (exitCode is its exit code); no-tool: neither curl nor GNU wget;
   * refused: the script refused the request; no-token: the Bearer source had no token;
   * no-answer: the host's answer ended early.
   */
  state: 'ran' | 'no-tool' | 'refused' | 'no-token' | 'no-answer'
  tool: ProbeTool | null
  exitCode: number | null
  /** Status of the final response (after redirects), null when none came. */
  status: number | null
  /** Headers of the final response, lower-case names. */
  headers: Record<string, string>
  /** The tool's error message (credentials masked), null when it succeeded. */
  error: string | null
}

export interface DockerMirrorsAnswer {
  kind: 'docker-mirrors'
  state: 'absent' | 'ran' | 'no-answer'
  exitCode: number | null
  output: string
}

export type ProbeAnswer = HttpProbeAnswer | DockerMirrorsAnswer

/** Runs a fixed script on the host with input on stdin (ssh, or /bin/sh here). */
export type ScriptRunner = (script: string, input: string) => Promise<{exitCode: number; stdout: string; stderr: string}>

/** Characters RFC 3986 allows in a URL: anything else (quotes, spaces, newlines, backticks) is refused. */
const URL_CHARS = /^[A-Za-z0-9._~:/?#[\]@!$&'()*+,;=%-]+$/
const MAX_URL = 2048

/** Why a request cannot be sent, or null. Values are untrusted (config files of the host). */
export function probeRequestProblem(r: ProbeRequest): string | null {
  if (r.kind === 'docker-mirrors') return Number.isInteger(r.timeoutSeconds) && r.timeoutSeconds > 0 ? null : 'bad timeout'
  if (!Number.isInteger(r.timeoutSeconds) || r.timeoutSeconds < 1 || r.timeoutSeconds > 600) return 'bad timeout'
  const url = urlProblem(r.url, ['http:', 'https:'], false)
  if (url) return `URL ${url}`
  if (r.proxy !== null) {
    const proxy = urlProblem(r.proxy, ['http:', 'https:', 'socks5:', 'socks5h:'], true)
    if (proxy) return `proxy ${proxy}`
  }
  for (const f of r.caFiles) if (!f.startsWith('/') || /[\x00-\x1f\x7f]/.test(f)) return 'a CA file is not an absolute path'
  if (r.accept !== undefined && !/^[\x20-\x7e]{1,500}$/.test(r.accept)) return 'bad Accept value'
  return null
}

function urlProblem(text: string, protocols: readonly string[], credentials: boolean): string | null {
  if (text.length > MAX_URL) return 'is too long'
  if (!URL_CHARS.test(text)) return 'has characters a URL cannot have'
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return 'does not parse'
  }
  if (!protocols.includes(u.protocol)) return `has the unsupported scheme ${u.protocol}`
  if (!credentials && (u.username || u.password)) return 'carries credentials'
  return null
}

const b64 = (s: string): string => (s === '' ? '-' : Buffer.from(s, 'utf8').toString('base64'))

/** The script's stdin. Throws for a request that probeRequestProblem refuses (callers check first). */
export function encodeProbeRequests(requests: readonly ProbeRequest[]): string {
  const lines = ['mirrorctl-probe 1']
  requests.forEach((r, id) => {
    const problem = probeRequestProblem(r)
    if (problem) throw new Error(`probe request ${id}: ${problem}`)
    if (r.kind === 'docker-mirrors') {
      lines.push(`docker-mirrors ${id} ${r.timeoutSeconds}`)
      return
    }
    if (r.bearerFrom !== undefined && !(Number.isInteger(r.bearerFrom) && r.bearerFrom >= 0 && r.bearerFrom < id)) throw new Error(`probe request ${id}: bearerFrom must name an earlier request`)
    lines.push(
      ['http', id, r.method, r.timeoutSeconds, r.insecure ? 'k' : '-', b64(r.url), b64(r.proxy ?? ''), b64(r.caFiles.join('\n')), r.bearerFrom ?? '-', b64(r.accept ?? '')].join(' '),
    )
  })
  return lines.join('\n') + '\n'
}

const unb64 = (s: string | undefined): string => (s === undefined || s === '-' ? '' : Buffer.from(s, 'base64').toString('utf8'))

/** Headers of the last response in curl's -D dump (CONNECT and redirect answers come first). */
export function parseCurlHeaders(dump: string): {status: number | null; headers: Record<string, string>} {
  const blocks = dump.split(/\r?\n\r?\n/).filter((b) => /^HTTP\/[\d.]+ \d{3}/.test(b.trimStart()))
  return headerBlock(blocks.at(-1)?.trimStart().split(/\r?\n/) ?? [])
}

/** GNU wget -S prints each response's lines indented on stderr: the last status line starts the final one. */
export function parseWgetHeaders(stderr: string): {status: number | null; headers: Record<string, string>} {
  const lines = stderr.split(/\r?\n/).filter((l) => l.startsWith('  ')).map((l) => l.slice(2))
  const start = lines.map((l, i) => (/^HTTP\/[\d.]+ \d{3}/.test(l) ? i : -1)).filter((i) => i >= 0).at(-1)
  return start === undefined ? {status: null, headers: {}} : headerBlock(lines.slice(start))
}

function headerBlock(lines: readonly string[]): {status: number | null; headers: Record<string, string>} {
  const m = /^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')
  if (!m) return {status: null, headers: {}}
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return {status: Number(m[1]), headers}
}

/** Mask user:password@ in any text that came back from the host. */
function maskCredentials(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)?([^\s:/?#@"'<>]+):[^\s/?#"'<>]*@/g, '$1$2:***@')
}

/** The tool's own error line: curl's "curl: (7) Failed to connect ...", wget's last message. */
function toolError(tool: ProbeTool | null, stderr: string): string | null {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)
  const pick = tool === 'wget' ? lines.filter((l) => !/^(HTTP\/|[A-Za-z-]+:\s)/.test(l)).at(-1) : lines.at(-1)
  return pick ? maskCredentials(pick).slice(0, 300) : null
}

/**
 * Reads the script's stdout into one answer per request (an answer missing from a cut-off
 * output is "no-answer"). Throws when the output is not the script's at all.
 */
export function decodeProbeOutput(stdout: string, requests: readonly ProbeRequest[]): ProbeAnswer[] {
  const headers = [...stdout.matchAll(/^mirrorctl-probe-result 1 (curl|wget|none)$/gm)]
  const header = headers.at(-1)
  if (!header) throw new Error('the host did not run the probe script (no result header)')
  const tool = header[1] === 'none' ? null : (header[1] as ProbeTool)
  const byId = new Map<number, string[]>()
  for (const line of stdout.slice(header.index! + header[0].length).split('\n')) {
    const f = line.split(' ')
    if ((f[0] === 'ans' || f[0] === 'dock') && /^\d+$/.test(f[1] ?? '')) byId.set(Number(f[1]), f)
  }
  return requests.map((r, id) => {
    const f = byId.get(id)
    if (r.kind === 'docker-mirrors') {
      if (!f || f[0] !== 'dock') return {kind: 'docker-mirrors', state: 'no-answer', exitCode: null, output: ''}
      return {kind: 'docker-mirrors', state: f[2] === 'absent' ? 'absent' : 'ran', exitCode: /^\d+$/.test(f[3] ?? '') ? Number(f[3]) : null, output: maskCredentials(unb64(f[4]))}
    }
    const none = {kind: 'http' as const, tool, exitCode: null, status: null, headers: {}, error: null}
    if (!f || f[0] !== 'ans') return {...none, state: 'no-answer'}
    const state = f[2]
    if (state === 'no-tool' || state === 'refused' || state === 'no-token') return {...none, state}
    const exitCode = Number(f[3])
    const dump = unb64(f[4])
    const parsed = tool === 'wget' ? parseWgetHeaders(dump) : parseCurlHeaders(dump)
    return {kind: 'http', state: 'ran', tool, exitCode, ...parsed, error: exitCode === 0 ? null : toolError(tool, unb64(f[5]))}
  })
}

/** Sends all requests in one run of the script; a host that cannot run it at all throws. */
export async function runProbeScript(run: ScriptRunner, requests: readonly ProbeRequest[]): Promise<ProbeAnswer[]> {
  if (!requests.length) return []
  const r = await run(PROBE_SCRIPT, encodeProbeRequests(requests))
  if (r.exitCode !== 0 && !/^mirrorctl-probe-result 1 /m.test(r.stdout)) {
    throw new Error(`the probe script failed on the host: ${maskCredentials(r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`)}`)
  }
  return decodeProbeOutput(r.stdout, requests)
}
