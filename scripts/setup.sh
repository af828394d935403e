#!/usr/bin/env bash
# Installs the system packages, builds dffeval, installs it (PREFIX/bin/dffeval
# with its data in PREFIX/share/dffeval; PREFIX=/usr/local unless given), and
# runs the main job (the smoke suite with its default method) on its embedded
# defaults, by name, from the source tree (results in ./results).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
$SUDO cmake --install build --prefix "$PREFIX"
export PATH="$PREFIX/bin:$PATH"
dffeval --suite smoke --jobs "$(nproc)"
