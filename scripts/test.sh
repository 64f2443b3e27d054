#!/usr/bin/env bash
# The test command: installs missing system packages, checks that the README's
# examples and the fast notebooks (marked `<!-- notebook: fast -->`) still
# produce their stored outputs, then runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Every theory citation resolves inside the repository; nothing points outside it.
bash scripts/check_anchors.sh
swift build --build-tests
bin="$(swift build --show-bin-path)/convsim"
fast=$(grep -l '<!-- notebook: fast -->' notebooks-md/*.md 2>/dev/null || true)
rm -rf /tmp/convsim-nb* /tmp/convsim-readme*   # the examples' scratch folders: start from nothing
"$bin" notebook check README.md $fast
# Both certificate checkers on every certificate the README and the notebooks wrote (the test suite runs them
# on its own certificates and on a tamper corpus).
certs=$(ls /tmp/convsim-nb*/certificates/*.json /tmp/convsim-readme/certificates/*.json 2>/dev/null || true)
if [ -n "$certs" ]; then
  "$bin" replay --quiet $certs
  python3 scripts/check_certificate.py --quiet $certs > /dev/null
  echo "both certificate checkers accept the $(echo $certs | wc -w) certificate(s) of the README and the notebooks"
fi
# Every command's JSON and data exports match their documentation (Documentation/JSON.md).
rm -rf /tmp/convsim-jsondoc && mkdir -p /tmp/convsim-jsondoc
python3 scripts/check_json_doc.py "$bin"
# Every file that once broke the CLI (Tests/Regressions): a clear message, never a trap.
bash scripts/check_regressions.sh "$bin"
swift test --skip-build "$@"
