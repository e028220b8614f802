#!/usr/bin/env python3
"""`vital compile --target duckdb` run in DuckDB over the benchmark's data
(bench/compare.sh, issue 14's benchmark): the compiled query unchanged, over
the `snapshots` and `events` tables of docs/sql.md.

    compiled.py prepare VITAL RULES DIR     # DIR/query.sql and DIR/layout.csv (not timed)
    compiled.py jsonl DIR FILE.jsonl        # load FILE into the tables (as docs/sql.md
                                            # loads JSON Lines), run the query: JSON Lines out
    compiled.py parquet DIR SNAP EVENTS     # the query over the two Parquet files
    compiled.py export DIR FILE.jsonl SNAP EVENTS   # write the tables as Parquet
                                            # (DuckDB's COPY … (FORMAT PARQUET), as a warehouse exports)
    compiled.py check VITAL.jsonl SQL.jsonl # the same records? (health, status, triggered;
                                            # `vital run --all`'s against the query's)

The loading SQL is tests/sql/differential.py's (`load_sql`), the one the
differential test checks. Results go to standard output as DuckDB's JSON
writer writes them. DuckDB uses every core, as vital does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sql"))
from differential import load_sql  # noqa: E402  (the documented loading)


def read_prepared(d: Path) -> tuple[list[tuple[str, str, str]], str]:
    layout = [tuple(l.split(",", 2)) for l in (d / "layout.csv").read_text().splitlines() if l]
    query = (d / "query.sql").read_text().strip().rstrip(";")
    return layout, query


def out(con: duckdb.DuckDBPyConnection, query: str) -> None:
    sys.stdout.flush()
    con.execute(f"COPY ({query}) TO '/dev/stdout' (FORMAT JSON)")


def main() -> None:
    a = sys.argv[1:]
    if a[:1] == ["prepare"] and len(a) == 4:
        vital, rules, d = a[1], a[2], Path(a[3])
        d.mkdir(parents=True, exist_ok=True)
        for args, name in ((["--layout"], "layout.csv"), ([], "query.sql")):
            r = subprocess.run([vital, "compile", "--target", "duckdb", *args, rules],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"vital compile failed:\n{r.stderr}")
            (d / name).write_text(r.stdout)
    elif a[:1] == ["jsonl"] and len(a) == 3:
        layout, query = read_prepared(Path(a[1]))
        con = duckdb.connect()
        for stmt in load_sql(layout, [Path(a[2]).resolve()]):
            con.execute(stmt)
        out(con, query)
    elif a[:1] == ["parquet"] and len(a) == 4:
        _, query = read_prepared(Path(a[1]))
        con = duckdb.connect()
        con.execute(f"CREATE VIEW snapshots AS SELECT * FROM read_parquet('{a[2]}')")
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{a[3]}')")
        out(con, query)
    elif a[:1] == ["export"] and len(a) == 5:
        layout, _ = read_prepared(Path(a[1]))
        con = duckdb.connect()
        for stmt in load_sql(layout, [Path(a[2]).resolve()]):
            con.execute(stmt)
        con.execute(f"COPY snapshots TO '{a[3]}' (FORMAT PARQUET)")
        con.execute(f"COPY events TO '{a[4]}' (FORMAT PARQUET)")
    elif a[:1] == ["check"] and len(a) == 3:
        check(Path(a[1]), Path(a[2]))
    else:
        sys.exit(__doc__)


def check(vital: Path, sql: Path) -> None:
    def key(r: dict) -> tuple[str, str]:
        return (r["account"], r["as_of"])

    v = {key(r): r for r in map(json.loads, vital.open())}
    s = {}
    for r in map(json.loads, sql.open()):
        if r.get("rejected") is None:
            s[key(r)] = r
    bad = []
    if v.keys() != s.keys():
        bad.append(f"records: {len(v)} from vital, {len(s)} accepted by the SQL; "
                   f"{len(v.keys() - s.keys())} only in vital, {len(s.keys() - v.keys())} only in the SQL")
    for k in sorted(v.keys() & s.keys()):
        a, b = v[k], s[k]
        h = lambda x: None if x is None else Decimal(str(x))  # noqa: E731
        trig = b["triggered"] if isinstance(b["triggered"], list) else [t for t in (b["triggered"] or "").split(";") if t]
        if h(a["health"]) != h(b["health"]) or a["status"] != b["status"] or a["triggered"] != trig:
            bad.append(f"{k}: vital {a['health']} {a['status']} {a['triggered']}, SQL {b['health']} {b['status']} {trig}")
        if len(bad) > 10:
            break
    if bad:
        print("\n".join(bad), file=sys.stderr)
        sys.exit(1)
    print(f"{len(v)} records agree (health, status, triggered)")


if __name__ == "__main__":
    main()
