#!/usr/bin/env bash
# Everything the tests need, then every test: system packages for the e2e components
# (apt-get, as root, only when missing), a build of the CLI the e2e tests run, and vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
npm run build
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
