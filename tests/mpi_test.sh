#!/usr/bin/env bash
# `mpirun -n 2 dffeval --suite smoke --mpi`: rank 0 writes, rank 1 runs
# trials too, and the records equal a single-process run's, made here on the
# same machine: every record the same apart from timings, provenance and the
# source-model cache flag. (Not the committed baseline's records: LibTorch's
# OpenBLAS picks its kernels per CPU, so the SparseDFF grasps of another
# machine differ in their last digits; the baseline's outcomes are checked by
# the smoke regression test.)
# Usage: mpi_test.sh DFFEVAL.
set -euo pipefail
dffeval="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export DFFEVAL_DB=none
# CI runs as root; OpenMPI refuses that unless told.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -n 2 "$dffeval" --suite smoke --mpi --quiet --out "$tmp/mpi" \
  > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; exit 1; }
grep -q "rank 1: ran" "$tmp/run.log" || { echo "rank 1 said nothing"; cat "$tmp/run.log"; exit 1; }
"$dffeval" --suite smoke --jobs 2 --quiet --out "$tmp/one" > "$tmp/one.log" 2>&1 ||
  { cat "$tmp/one.log"; exit 1; }
python3 - "$tmp/mpi" "$tmp/one" <<'PY'
import json, sys
def records(d):
    out = {}
    for line in open(d + "/trials.jsonl"):
        r = json.loads(line)
        r.pop("timing_s", None)
        r.get("execution", {}).pop("wall_time_s", None)
        r.pop("provenance", None)
        r.get("method_metrics", {}).pop("source_from_disk_cache", None)
        out[r["id"]] = r
    return out
mpi, one = records(sys.argv[1]), records(sys.argv[2])
assert mpi.keys() == one.keys(), f"trial ids differ: {sorted(mpi.keys() ^ one.keys())}"
diff = [i for i in mpi if mpi[i] != one[i]]
assert not diff, f"{len(diff)} record(s) differ from one process's, first {diff[0]}"
s = json.load(open(sys.argv[1] + "/summary.json"))
per_rank = s["mpi"]["trials_per_rank"]
assert s["mpi"]["ranks"] == 2 and sum(per_rank) == len(mpi) and min(per_rank) > 0, s["mpi"]
print(f"mpirun -n 2: {len(mpi)} records equal one process's; trials per rank {per_rank}")
PY
