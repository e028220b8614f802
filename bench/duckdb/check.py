#!/usr/bin/env python3
"""Check that two result files of the benchmark agree: `vital run --format
jsonl` and bench/duckdb/run.py. Numbers are compared as exact decimals
(88.0 == 88), everything else as JSON values, line by line (the same
accounts in the same order), on the fields account, as_of, health, status,
computed_status, scores (every score, in declaration order), triggered (in
order) and override.

    python3 bench/duckdb/check.py vital.jsonl duckdb.jsonl

Exit 0 and one line when they agree; otherwise the first differences on
standard error and exit 1.
"""
import json
import sys
from decimal import Decimal

FIELDS = ["account", "as_of", "health", "status", "computed_status", "scores", "triggered", "override"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line, parse_float=Decimal, parse_int=Decimal)
                for line in f if line.strip()]


def norm(v):
    if isinstance(v, dict):
        return [(k, norm(x)) for k, x in v.items()]  # key order counts
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, Decimal):
        return v.normalize()
    return v


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit("usage: check.py VITAL.jsonl DUCKDB.jsonl")
    a, b = load(sys.argv[1]), load(sys.argv[2])
    diffs = []
    if len(a) != len(b):
        diffs.append(f"{len(a)} results from {sys.argv[1]}, {len(b)} from {sys.argv[2]}")
    for i, (x, y) in enumerate(zip(a, b)):
        for f in FIELDS:
            if f not in x or f not in y:
                diffs.append(f"line {i + 1}: field {f!r} missing on one side")
            elif norm(x[f]) != norm(y[f]):
                diffs.append(f"line {i + 1} ({x.get('account')}): {f}: {json.dumps(x[f], default=str)}"
                             f" != {json.dumps(y[f], default=str)}")
    if diffs:
        print(f"MISMATCH: vital and DuckDB disagree ({len(diffs)} differences):", file=sys.stderr)
        for d in diffs[:20]:
            print("  " + d, file=sys.stderr)
        return 1
    if not a:
        print("MISMATCH: no results at all", file=sys.stderr)
        return 1
    print(f"ok: vital and DuckDB agree on all {len(a)} results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
