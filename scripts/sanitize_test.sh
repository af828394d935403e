#!/usr/bin/env bash
# Builds the tests with AddressSanitizer + UBSan (DFFEVAL_SANITIZE=ON, in
# build-asan/) and runs them; any memory error, leak-free exit aside, or
# undefined behaviour fails the test that hit it.
#
#   scripts/sanitize_test.sh        the subset that .ci/run affords (see below)
#   scripts/sanitize_test.sh all    the whole suite (about an hour on 2 cores)
#
# The CI subset (.ci/run): the strict YAML reader and settings schema
# (common's tests), and the replay of every fuzz corpus except the method
# settings' (suite, scene set, demo, capture, resume file): what reads user
# files, built without LibTorch (the method settings name the whole
# pipeline, the hand tests its LibTorch reference). The rest, hand included,
# runs in `all`.
set -euo pipefail
cd "$(dirname "$0")/.."
SCOPE=${1:-ci}
JOBS=$(nproc)
if [ ! -f build-asan/CMakeCache.txt ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDFFEVAL_SANITIZE=ON \
    -DDFFEVAL_BUILD_BENCHMARKS=OFF
fi
# Undefined behaviour stops the test (UBSan only reports by default); leaks
# are not checked: LibTorch and MuJoCo keep allocations to exit by design.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=0
if [ "$SCOPE" = all ]; then
  cmake --build build-asan -j"$JOBS"
  cd build-asan && ctest --output-on-failure -j"$JOBS"
else
  cmake --build build-asan -j"$JOBS" --target common_tests corpus_suite corpus_scene_set \
    corpus_demo corpus_capture corpus_partial_results
  cd build-asan && ctest --output-on-failure -j"$JOBS" -L '^(common|fuzz)$' -LE pipeline
fi
