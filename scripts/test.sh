#!/usr/bin/env bash
# Builds (if needed) and runs every test with ctest; prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/CMakeCache.txt ]; then cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo; fi
cmake --build build -j"$(nproc)"
cd build && ctest --output-on-failure -j"$(nproc)"
