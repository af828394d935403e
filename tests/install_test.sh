#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then dffeval by name from an
# unrelated folder: it must find its data in PREFIX/share/dffeval (not the
# source tree: DFFEVAL_ROOT is unset and the check below looks) and write its
# results under the working directory.
set -euo pipefail
build="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log"
test -x "$tmp/prefix/bin/dffeval"
test -f "$tmp/prefix/share/dffeval/assets/shadow_hand.xml"
mkdir "$tmp/work"
cd "$tmp/work"
unset DFFEVAL_ROOT DFFEVAL_RESULTS
export PATH="$tmp/prefix/bin:$PATH" DFFEVAL_DB=none
dffeval list > list.txt
grep -q "smoke" list.txt
# Only the installed copy of the suites has this one.
cp "$tmp/prefix/share/dffeval/config/suites/smoke.yaml" \
   "$tmp/prefix/share/dffeval/config/suites/installed_only.yaml"
sed -i 's/^name: smoke/name: installed_only/' \
   "$tmp/prefix/share/dffeval/config/suites/installed_only.yaml"
dffeval --suite installed_only --method heuristic --trials 1 --quiet > run.txt 2>&1 ||
  { cat run.txt; exit 1; }
test -f "$tmp/work/results/installed_only-heuristic/summary.json" ||
  { echo "no results under the working directory"; cat run.txt; exit 1; }
echo "installed dffeval: data from $tmp/prefix/share/dffeval, results in $tmp/work/results"
