#!/usr/bin/env bash
# The test command: installs missing system packages, checks that the fast
# notebooks (marked `<!-- notebook: fast -->`) still
# produce their stored outputs, then runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
bin="$(swift build --show-bin-path)/convsim"
fast=$(grep -l '<!-- notebook: fast -->' notebooks-md/*.md 2>/dev/null || true)
if [ -n "$fast" ]; then
  "$bin" notebook check $fast
fi
swift test --skip-build "$@"
