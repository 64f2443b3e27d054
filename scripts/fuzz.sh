#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader with libFuzzer (swift build --sanitize=fuzzer).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET …]   (default 60 s; all targets)
# Each target starts from its seed corpus (Fuzz/corpus/TARGET) and the new inputs it finds
# are kept in Fuzz/.work/TARGET (not committed). A crash, a hang over 20 s or more than
# 4 GB of memory stops the run and leaves the reproducer in Fuzz/.work/crash-*; copy it
# into Tests/Regressions and fix it. Prints the number of runs per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(npy inputs safetensors png jpeg certificate notebook json checkpoint stats onnx)
bash scripts/install-deps.sh
# A build left from an older layout of the main package (moved source files) is not picked up
# incrementally: start that build afresh.
swift build -c release --sanitize=fuzzer --package-path Fuzz --product ConvSimFuzz >&2 || {
  rm -rf Fuzz/.build
  swift build -c release --sanitize=fuzzer --package-path Fuzz --product ConvSimFuzz >&2
}
bin="$(swift build -c release --sanitize=fuzzer --package-path Fuzz --show-bin-path)/ConvSimFuzz"
mkdir -p Fuzz/.work
status=0
for t in "${targets[@]}"; do
  mkdir -p "Fuzz/.work/$t"
  log="Fuzz/.work/$t.log"
  if FUZZ_TARGET="$t" "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
       -artifact_prefix="Fuzz/.work/crash-$t-" "Fuzz/.work/$t" "Fuzz/corpus/$t" > "$log" 2>&1; then
    runs=$(grep -m1 "stat::number_of_executed_units" "$log" | awk '{print $2}')
    echo "fuzz $t: ${runs:-?} runs in ${seconds} s, nothing found"
  else
    status=1
    echo "fuzz $t: FOUND A PROBLEM — see $log and Fuzz/.work/crash-$t-*"
  fi
done
exit $status
