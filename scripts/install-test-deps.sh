#!/usr/bin/env bash
# Installs the real components the e2e tests start on loopback (registry, proxy,
# skopeo, sshd, sudo for the ssh test hosts, openssl, unshare/setpriv, curl, wget, tmux for the setup wizard's terminal, dockerd for the docker canary, busybox and strace for the host scripts' tests). Idempotent: when every binary is
# already present it does nothing and touches no package registry.
set -euo pipefail

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

# binary -> Debian package that ships it
declare -A PKG_OF=(
  [skopeo]=skopeo
  [docker-registry]=docker-registry
  [tinyproxy]=tinyproxy
  [openssl]=openssl
  [unshare]=util-linux
  [setpriv]=util-linux
  [mount]=mount
  [curl]=curl
  [wget]=wget
  [containerd]=containerd
  [ctr]=containerd
  [sshd]=openssh-server
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [sudo]=sudo
  [tmux]=tmux
  [dockerd]=docker.io
  [docker]=docker.io
  # the host scripts are also tested under busybox ash and applets; strace counts their processes
  [busybox]=busybox
  [strace]=strace
  [chattr]=e2fsprogs
)

# sshd lives in /usr/sbin, which is not on every PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

missing_bins() {
  local bin
  for bin in "${!PKG_OF[@]}"; do
    command -v "$bin" >/dev/null 2>&1 || printf '%s\n' "$bin"
  done
}

mapfile -t missing < <(missing_bins | sort)
if ((${#missing[@]} == 0)); then
  log "all test dependencies present; nothing to do"
  exit 0
fi

log "missing: ${missing[*]}"
# Only the packages that ship a missing binary: naming installed ones would upgrade them.
mapfile -t PACKAGES < <(for bin in "${missing[@]}"; do printf '%s\n' "${PKG_OF[$bin]}"; done | sort -u)
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    log "not root and no sudo; as root run: apt-get install ${PACKAGES[*]}"
    exit 1
  fi
else
  SUDO=()
fi

log "apt-get update"
"${SUDO[@]}" apt-get update >&2
log "apt-get install ${PACKAGES[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2

mapfile -t still < <(missing_bins | sort)
if ((${#still[@]} > 0)); then
  for bin in "${still[@]}"; do log "still missing after install: $bin (package ${PKG_OF[$bin]})"; done
  exit 1
fi
log "done"
