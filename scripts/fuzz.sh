#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) in
# build-fuzz/ and runs each for RUNS executions (default 1000000) or at most
# MAX_SECONDS (default 1800) each, from its seed corpus (the repository's own
# files and tests/fuzz/corpus/NAME). Prints executions, coverage and
# findings per target; a crashing input is left in build-fuzz/findings/NAME/
# (copy it into tests/fuzz/corpus/NAME/ once fixed: ctest replays it).
#
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh suite capture   the named ones
#   RUNS=100000 scripts/fuzz.sh     a shorter run
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-1000000}
MAX_SECONDS=${MAX_SECONDS:-1800}
ALL="suite scene_set demo method_settings capture partial_results"
TARGETS=${*:-$ALL}
declare -A SEEDS=([suite]=config/suites [scene_set]=scenes [demo]=assets/demos
                  [method_settings]=config/methods [capture]= [partial_results]=)

if ! command -v clang++ > /dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a > /dev/null 2>&1; then
  echo "scripts/fuzz.sh needs clang with libFuzzer: sudo apt-get install clang libclang-rt-14-dev" >&2
  exit 2
fi
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDFFEVAL_FUZZ=ON -DDFFEVAL_BUILD_TESTS=OFF -DDFFEVAL_BUILD_BENCHMARKS=OFF
fi
for t in $TARGETS; do cmake --build build-fuzz --target "fuzz_$t" -j"$(nproc)"; done

for t in $TARGETS; do
  work=build-fuzz/corpus/$t findings=build-fuzz/findings/$t
  mkdir -p "$work" "$findings"
  seeds=("$ROOT/tests/fuzz/corpus/$t")
  [ -n "${SEEDS[$t]}" ] && seeds+=("$ROOT/${SEEDS[$t]}")
  log=build-fuzz/fuzz-$t.log
  echo "== fuzz_$t: $RUNS runs or ${MAX_SECONDS} s (log $log)"
  set +e
  # Leaks are not findings here: the loaders' static caches live to exit.
  ASAN_OPTIONS=detect_leaks=0 build-fuzz/tests/fuzz/fuzz_"$t" -runs="$RUNS" \
    -max_total_time="$MAX_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "${seeds[@]}" > "$log" 2>&1
  rc=$?
  set -e
  done_line=$(grep -E '^#[0-9]+\s+DONE' "$log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  echo "   exit $rc, executions ${execs:-?}; ${done_line:-no DONE line}"
  ls "$findings" | sed 's/^/   finding: /'
done
