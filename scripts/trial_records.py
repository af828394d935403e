"""Reads a run folder's trials.jsonl (one JSON record per trial) for the
analysis scripts beside this file, so that each does not parse it its own way.
"""
import json
import pathlib
from collections import defaultdict


def read_trials(run_dir):
    """The records of RUN_DIR/trials.jsonl, in file order; names the file on a bad line."""
    path = pathlib.Path(run_dir) / "trials.jsonl"
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not a JSON record: {e}")
    return records


def group_trials(run_dir, key, keep=lambda r: True):
    """Records of RUN_DIR that pass KEEP, grouped by KEY(record), groups in file order."""
    groups = defaultdict(list)
    for r in read_trials(run_dir):
        if keep(r):
            groups[key(r)].append(r)
    return groups
