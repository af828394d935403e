#!/usr/bin/env bash
# Installs the system packages, builds dffeval, and runs the main job (the
# smoke suite with its default method) on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
./build/eval/dffeval --suite smoke --jobs "$(nproc)"
