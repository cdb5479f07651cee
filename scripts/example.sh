#!/usr/bin/env bash
# The main job on a bundled example: a distribution-style registries.conf with drop-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
fx=fixtures/registries-conf
conf=(--registries-conf "$fx/fedora-default.conf" --registries-conf-dir "$fx/fedora.d")
run() { printf '\n$ mirrorctl %s\n' "$*"; node bin/run.js "$@"; }
run lint "$fx/fedora-default.conf" "$fx/fedora.d"
run lint "$fx/many-mistakes.conf" || true
run resolve "${conf[@]}" nginx docker.io/library/alpine:3.20 quay.io/podman/hello
run mirror list "${conf[@]}"
run mirror add docker.io 127.0.0.1:5000 --insecure --dry-run "${conf[@]}"
run lint fixtures/daemon-json/typo-key.json --docker-version 24.0.7 || true
run proxy explain https://registry-cache.corp.internal:5000/v2/ --env HTTPS_PROXY=http://proxy.corp.example:3128 --env NO_PROXY=localhost
# The fleet's declarative path on this machine's stand-in: a copy of a distribution tree as --root.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp -a fixtures/fleet/starts/mixed/. "$tree/"
run plan --spec fixtures/fleet/fleet-spec.toml --root "$tree" || true
run apply --spec fixtures/fleet/fleet-spec.toml --root "$tree" --yes
run plan --spec fixtures/fleet/fleet-spec.toml --root "$tree" --detailed-exitcode
