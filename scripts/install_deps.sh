#!/usr/bin/env bash
# Installs every Debian 12 package that dffeval's build, tests and benchmarks
# need. Run as root (or with sudo) on a fresh machine; safe to run again.
# chromium: the HTML report's test opens the report in headless Chromium.
# OpenMPI: `mpirun -n P dffeval --mpi` (optional at build time, tested here).
# ffmpeg: `dffeval --record` encodes each trial's video with the program.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  build-essential cmake git pkg-config ca-certificates python3 \
  libmujoco-dev libqhull-dev \
  libeigen3-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev \
  libstb-dev liblodepng-dev libnanoflann-dev libtbb-dev libsqlite3-dev \
  libtorch-dev libopenblas0-pthread \
  libopen3d-dev \
  libegl-dev libegl-mesa0 libgl-dev libosmesa6-dev libgl1-mesa-dri \
  libgtest-dev libgmock-dev libbenchmark-dev \
  clang-format \
  chromium fonts-dejavu-core \
  libopenmpi-dev openmpi-bin \
  ffmpeg
