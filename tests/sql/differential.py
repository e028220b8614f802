#!/usr/bin/env python3
"""Differential test: `vital run --all` against `vital compile` run in DuckDB.

For every bundled example (examples/*/: rules and snapshots.jsonl), every
hand-written case (tests/sql/cases/*/: rejected records and near misses),
and every file of the evaluator's semantics corpus (tests/eval/semantics/*.vital, whose
`test` blocks become snapshots through `vital compile --test-snapshots`), the
snapshots are loaded into the `snapshots` and `events` tables the way
docs/sql.md shows (DuckDB's JSON reader, columns from `vital compile
--layout`), the compiled query is run, and its rows are compared record by
record with `vital run --all --format jsonl`: health, status,
computed_status, every score, triggered, and which records are rejected.
Any difference is printed and the exit status is 1.

A randomized part (`--random N`, default 300) generates rule sets and
snapshots within the grammar, evaluates them both ways, and prints the
first failing case minimised (rules and snapshots dropped while it still
fails). Before all that, a self-check: a query whose health is truncated
instead of rounded must be caught.

Run inside a virtual environment with the `duckdb` package:

    python3 -m venv target/sql-venv
    target/sql-venv/bin/pip install duckdb==2.0.0 'psycopg[binary]==3.2.3'
    target/sql-venv/bin/python tests/sql/differential.py --vital target/release/vital \
        [--postgres postgresql://…]   # psycopg only for this

With `--postgres URL` every comparison (and the randomized part) runs on
that PostgreSQL server too; the script replaces the tables `snapshots`,
`events` and `vital_raw` in its database.

With `--spark` every comparison, and `--spark-random N` of the generated
rule sets, also run on Spark SQL in local mode (the `pyspark` package and a
Java runtime; one session for all): the tables are loaded as in DuckDB and
handed to Spark as temporary views, and the compiled query runs unchanged.

With `--syntax` (the `sqlglot` package) every rule set compared, generated
ones included, is also compiled for Snowflake and BigQuery (and for Spark
when it does not run) and the SQL parsed by sqlglot in that dialect; a
parse error is a failure. A refusal (`vital::sql-unsupported`) is counted,
not a failure. These dialects are tested for syntax only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]


def sh(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------- loading


def load_sql(layout: list[tuple[str, str, str]], files: list[Path]) -> list[str]:
    """The statements that create and fill `snapshots` and `events` from
    JSON Lines files: the loading docs/sql.md documents."""
    snaps = [(c, t) for (tb, c, t) in layout if tb == "snapshots"]
    evs = [(c, t) for (tb, c, t) in layout if tb == "events"]
    src = "read_ndjson_objects([" + ", ".join(f"'{f}'" for f in files) + "])"

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    cols = []
    for c, t in snaps:
        if c == "account":
            cols.append("json ->> 'account' AS account")
        elif c == "as_of":
            cols.append("TRY_CAST(json ->> 'as_of' AS DATE) AS as_of")
        elif c.startswith("override_"):
            key = c[len("override_"):]
            cols.append(f"TRY_CAST(json -> 'override' ->> {lit(key)} AS {t}) AS {q(c)}")
        else:
            cols.append(f"TRY_CAST(json -> 'signals' ->> {lit(c)} AS {t}) AS {q(c)}")
    ecols = []
    for c, t in evs:
        if c in ("account", "as_of"):
            ecols.append(f"{c}")
        elif c == "type":
            ecols.append("e ->> 'type' AS \"type\"")
        elif c == "at":
            ecols.append("TRY_CAST(e ->> 'at' AS DATE) AS \"at\"")
        elif "." in c:
            # a field two events declare with different types: `event.field`
            ev, f = c.split(".", 1)
            ecols.append(
                f"CASE WHEN e ->> 'type' = {lit(ev)} THEN TRY_CAST(e ->> {lit(f)} AS {t}) END AS {q(c)}"
            )
        else:
            ecols.append(f"TRY_CAST(e ->> {lit(c)} AS {t}) AS {q(c)}")
    return [
        "DROP TABLE IF EXISTS snapshots",
        "DROP TABLE IF EXISTS events",
        f"CREATE TABLE snapshots AS SELECT {', '.join(cols)} FROM {src}",
        "CREATE TABLE events AS SELECT "
        + ", ".join(ecols)
        + " FROM (SELECT json ->> 'account' AS account, TRY_CAST(json ->> 'as_of' AS DATE) AS as_of,"
        + f" unnest(CAST(COALESCE(json -> 'events', '[]') AS JSON[])) AS e FROM {src})",
    ]


def load_sql_postgres(layout: list[tuple[str, str, str]]) -> list[str]:
    """The same for PostgreSQL, from a staging table `vital_raw(line jsonb)`
    holding one JSON Lines record per row (`COPY vital_raw FROM STDIN`)."""
    snaps = [(c, t) for (tb, c, t) in layout if tb == "snapshots"]
    evs = [(c, t) for (tb, c, t) in layout if tb == "events"]

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def typed(x: str, t: str) -> str:
        # JSON Lines may write an int as 31.0
        return f"CAST(CAST({x} AS NUMERIC) AS BIGINT)" if t == "BIGINT" else f"CAST({x} AS {t})"

    cols = []
    for c, t in snaps:
        if c == "account":
            cols.append("r.line ->> 'account' AS account")
        elif c == "as_of":
            cols.append("CAST(r.line ->> 'as_of' AS DATE) AS as_of")
        elif c.startswith("override_"):
            key = c[len("override_"):]
            path = "r.line -> 'override' ->> " + lit(key)
            cols.append(f"{typed(path, t)} AS {q(c)}")
        else:
            path = "r.line -> 'signals' ->> " + lit(c)
            cols.append(f"{typed(path, t)} AS {q(c)}")
    ecols = []
    for c, t in evs:
        if c == "account":
            ecols.append("r.line ->> 'account' AS account")
        elif c == "as_of":
            ecols.append("CAST(r.line ->> 'as_of' AS DATE) AS as_of")
        elif c == "type":
            ecols.append("e ->> 'type' AS \"type\"")
        elif c == "at":
            ecols.append("CAST(e ->> 'at' AS DATE) AS \"at\"")
        elif "." in c:
            ev, f = c.split(".", 1)
            path = "e ->> " + lit(f)
            ecols.append(f"CASE WHEN e ->> 'type' = {lit(ev)} THEN {typed(path, t)} END AS {q(c)}")
        else:
            path = "e ->> " + lit(c)
            ecols.append(f"{typed(path, t)} AS {q(c)}")
    return [
        "DROP TABLE IF EXISTS snapshots",
        "DROP TABLE IF EXISTS events",
        f"CREATE TABLE snapshots AS SELECT {', '.join(cols)} FROM vital_raw r",
        "CREATE TABLE events AS SELECT " + ", ".join(ecols)
        + " FROM vital_raw r, jsonb_array_elements(COALESCE(r.line -> 'events', '[]'::jsonb)) AS e",
        # the query looks events up by snapshot
        "CREATE INDEX ON events (account, as_of)",
        "ANALYZE snapshots",
        "ANALYZE events",
    ]


class DuckDb:
    target = "duckdb"

    def __init__(self):
        self.con = duckdb.connect()

    def run(self, layout, files: list[Path], query: str):
        for stmt in load_sql(layout, files):
            self.con.execute(stmt)
        cur = self.con.execute(query)
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()


class Postgres:
    target = "postgres"

    def __init__(self, url: str):
        import psycopg

        self.con = psycopg.connect(url, autocommit=True)

    def run(self, layout, files: list[Path], query: str):
        with self.con.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS vital_raw")
            cur.execute("CREATE TABLE vital_raw (line jsonb)")
            with cur.copy("COPY vital_raw (line) FROM STDIN") as copy:
                for f in files:
                    for line in f.read_text().splitlines():
                        if line.strip():
                            copy.write_row((line,))
            for stmt in load_sql_postgres(layout):
                cur.execute(stmt)
            cur.execute(query)
            names = [d.name for d in cur.description]
            return names, cur.fetchall()


class Spark:
    """Spark SQL in local mode, one session for every case. The tables are
    loaded by DuckDB as docs/sql.md shows and handed over as temporary
    views; the compiled query runs unchanged."""

    target = "spark"

    def __init__(self):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("vital-differential")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.duck = duckdb.connect()

    def run(self, layout, files: list[Path], query: str):
        duck_types = {"STRING": "VARCHAR"}
        duck_layout = [(tb, c, duck_types.get(t, t)) for (tb, c, t) in layout]
        for stmt in load_sql(duck_layout, files):
            self.duck.execute(stmt)
        for table in ("snapshots", "events"):
            cols = [(c, t) for (tb, c, t) in layout if tb == table]
            names = ", ".join('"' + c.replace('"', '""') + '"' for c, _ in cols)
            rows = self.duck.execute(f"SELECT {names} FROM {table}").fetchall()
            schema = ", ".join("`" + c.replace("`", "``") + "` " + t for c, t in cols)
            self.spark.createDataFrame(rows, schema).createOrReplaceTempView(table)
        df = self.spark.sql(query)
        return df.columns, [tuple(r) for r in df.collect()]


# ---------------------------------------------------------------- syntax


SYNTAX: dict[str, int] = {"compiled": 0}


def syntax_check(vital: str, name: str, rules: Path, cwd: Path, targets: list[str]) -> list[str]:
    """Compile for each target and parse the SQL with sqlglot in its
    dialect: the parse errors (a refusal naming the construct is fine)."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    out = []
    for t in targets:
        comp = sh([vital, "compile", "--target", t, str(rules)], cwd=cwd)
        if comp.returncode != 0:
            if "vital::sql-unsupported" in comp.stderr:
                SYNTAX[t] = SYNTAX.get(t, 0) + 1
                continue
            out.append(f"{name} [{t}]: vital compile failed:\n{comp.stderr}")
            continue
        try:
            parsed = sqlglot.parse(comp.stdout, read=t, error_level=ErrorLevel.RAISE)
        except Exception as e:  # sqlglot's ParseError or TokenError
            out.append(f"{name} [{t}]: sqlglot cannot parse the SQL: {str(e)[:1500]}")
            continue
        if len([p for p in parsed if p is not None]) != 1:
            out.append(f"{name} [{t}]: sqlglot read {len(parsed)} statements")
            continue
        SYNTAX["compiled"] += 1
    return out


# ---------------------------------------------------------------- one case


def num(x) -> Decimal | None:
    if x is None:
        return None
    return Decimal(str(x)).normalize()


STATS = {"records": 0, "rejected": 0}
# seconds spent per engine (and in the syntax checks)
TIMES: dict[str, float] = {}


def timed(key: str, f, *args, **kw):
    t = time.monotonic()
    try:
        return f(*args, **kw)
    finally:
        TIMES[key] = TIMES.get(key, 0.0) + time.monotonic() - t


def run_case(
    vital: str, name: str, rules: Path, files: list[Path], cwd: Path, engine, mutate=None
) -> list[str]:
    """The differences between `vital run --all` and the SQL on one rule set
    and its snapshots (an empty list when they agree). `mutate` edits the
    SQL first (the self-check that a wrong query is caught)."""
    lay = sh([vital, "compile", "--target", engine.target, "--layout", str(rules)], cwd=cwd)
    if lay.returncode != 0:
        raise Failure(f"{name}: vital compile --layout failed:\n{lay.stderr}")
    layout = [tuple(line.split(",", 2)) for line in lay.stdout.splitlines() if line]
    comp = sh([vital, "compile", "--target", engine.target, str(rules)], cwd=cwd)
    if comp.returncode != 0:
        raise Failure(f"{name}: vital compile failed:\n{comp.stderr}")
    with tempfile.TemporaryDirectory() as tmp:
        rejects = Path(tmp) / "rejects.jsonl"
        run = sh(
            [vital, "run", "--rules", str(rules), "--all", "--format", "jsonl",
             "--rejects", str(rejects)] + [str(f) for f in files],
            cwd=cwd,
        )
        if run.returncode not in (0, 1) or (run.returncode == 1 and not rejects.exists()):
            raise Failure(f"{name}: vital run failed:\n{run.stderr}")
        expected = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        rejected_by_run = set()
        if rejects.exists():
            for line in rejects.read_text().splitlines():
                r = json.loads(line)
                try:
                    rec = json.loads(r.get("record") or "{}")
                except ValueError:
                    rec = {}
                rejected_by_run.add((r.get("account") or rec.get("account"), rec.get("as_of")))
    query = mutate(comp.stdout) if mutate else comp.stdout
    names, fetched = engine.run(layout, [f if f.is_absolute() else cwd / f for f in files], query)
    rows = [dict(zip(names, r)) for r in fetched]
    scores = [n for n in names if n not in (
        "account", "as_of", "health", "status", "computed_status", "triggered", "rejected")]
    diffs: list[str] = []
    got: dict[tuple, dict] = {}
    rejected_by_sql = set()
    for r in rows:
        key = (r["account"], r["as_of"].isoformat() if r["as_of"] else None)
        if r["rejected"] is not None:
            rejected_by_sql.add(key)
        else:
            got[key] = r
    for key in sorted(rejected_by_run - rejected_by_sql, key=str):
        diffs.append(f"{name}: {key[0]} {key[1]}: rejected by vital run, not by the SQL")
    for key in sorted(rejected_by_sql - rejected_by_run, key=str):
        diffs.append(f"{name}: {key[0]} {key[1]}: rejected by the SQL, not by vital run")
    seen = set()
    for e in expected:
        key = (e["account"], e["as_of"])
        seen.add(key)
        g = got.get(key)
        if g is None:
            diffs.append(f"{name}: {key[0]} {key[1]}: no SQL result")
            continue
        want = {
            "health": num(e["health"]),
            "status": e["status"],
            "computed_status": e["computed_status"],
            "triggered": e["triggered"],
        }
        have = {
            "health": num(g["health"]),
            "status": g["status"],
            "computed_status": g["computed_status"],
            "triggered": list(g["triggered"] or []),
        }
        for s in scores:
            want[s] = num(e["scores"].get(s))
            have[s] = num(g[s])
        for k in want:
            if want[k] != have[k]:
                diffs.append(
                    f"{name}: {key[0]} {key[1]}: {k}: vital run {want[k]!r}, SQL {have[k]!r}"
                )
    for key in sorted(set(got) - seen, key=str):
        diffs.append(f"{name}: {key[0]} {key[1]}: a SQL result that vital run does not report")
    if not expected and not got and not rejected_by_run:
        raise Failure(f"{name}: nothing was compared")
    STATS["records"] += len(expected)
    STATS["rejected"] += len(rejected_by_run)
    return diffs


# ---------------------------------------------------------------- the corpus


def optional_everything(text: str) -> str:
    """Signals and event fields made optional: a `test` block may leave any
    signal out, which `vital run` would reject as a snapshot."""
    def sig(m):
        return m.group(0) if m.group(2).rstrip().endswith("?") else f"{m.group(1)}{m.group(2).rstrip()}?"

    text = re.sub(r"^(signal\s+\w+\s*:\s*)([^#\n]*?)(?=\s*(#|$))", sig, text, flags=re.M)

    def event(m):
        body = m.group(2)
        parts, depth, cur = [], 0, ""
        for ch in body:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        out = []
        for p in parts:
            s = p.strip()
            if s and not s.endswith("?"):
                p = p.rstrip() + "?"
            out.append(p)
        return m.group(1) + ",".join(out) + m.group(3)

    return re.sub(r"^(event\s+\w+\s*\{)([^}]*)(\})", event, text, flags=re.M | re.S)


def corpus_cases(vital: str, tmp: Path):
    """The semantics corpus, and the checker's valid fixtures that have
    `test` blocks."""
    files = sorted((ROOT / "tests/eval/semantics").glob("*.vital"))
    files += sorted((ROOT / "tests/fixtures/valid").glob("*.vital"))
    for f in files:
        for variant, text in (("", f.read_text()), (" (all optional)", optional_everything(f.read_text()))):
            d = tmp / (f.parent.name + "-" + f.stem + ("-opt" if variant else ""))
            d.mkdir()
            rules = d / "rules.vital"
            rules.write_text(text)
            if variant and sh([vital, "check", str(rules)]).returncode != 0:
                # the line-based rewrite does not fit this file's layout
                print(f"{f.relative_to(ROOT)}{variant}: skipped (the rewrite does not check)")
                continue
            snaps = sh([vital, "compile", "--target", "duckdb", "--test-snapshots", str(rules)])
            if snaps.returncode != 0:
                raise Failure(f"{f.name}{variant}: --test-snapshots failed:\n{snaps.stderr}")
            if not snaps.stdout.strip():
                continue
            (d / "snapshots.jsonl").write_text(snaps.stdout)
            yield f"{f.relative_to(ROOT)}{variant}", rules, [d / "snapshots.jsonl"], d


# ---------------------------------------------------------------- randomized


class Gen:
    """Random rule sets and snapshots within the grammar."""

    def __init__(self, rnd: random.Random):
        self.r = rnd

    def case(self) -> tuple[str, list[dict]]:
        r = self.r
        nsig = r.randint(2, 5)
        sigs = []
        for i in range(nsig):
            ty = r.choice(["int", "number", "percent", "money", "bool", "enum(lo, mid, hi)", "date", "text"])
            sigs.append((f"s{i}", ty, r.random() < 0.5))
        self.sigs = sigs
        nums = [s for s in sigs if s[1] in ("int", "number", "percent", "money")]
        lines = [f"signal {n}: {t}{'?' if o else ''}" for n, t, o in sigs]
        lines.append("event ping { size: number?, kind: enum(a, b) }")
        lines.append("event pong")
        nscores = r.randint(1, 3)
        for k in range(nscores):
            w = r.choice(["1", "2", "3", "0.5", "25", "1.25"])
            base = "" if r.random() < 0.3 else f" = {self.num_expr(nums, 2)}"
            lines.append(f"score sc{k} weight {w}{base}")
        for k in range(r.randint(0, 5)):
            sc = f"sc{r.randrange(nscores)}"
            verb = r.choice([("add", "to"), ("subtract", "from")])
            cond = "" if r.random() < 0.3 else f"when {self.cond(nums, 2)} "
            lines.append(f"rule \"a{k}\" {cond}{verb[0]} {self.num_expr(nums, 2)} {verb[1]} {sc}")
        lines.append("status {\n  top when health >= " + str(r.randint(40, 80)) +
                     "\n  mid when health >= " + str(r.randint(10, 50)) + "\n  low otherwise\n}")
        for k in range(r.randint(0, 4)):
            pb = r.choice(["p1", "p2", "p3"])
            c = r.choice([
                f"health < {r.randint(0, 100)}",
                f"status == {r.choice(['top', 'mid', 'low'])}",
                f"sc{r.randrange(nscores)} >= {r.randint(0, 100)}",
                f"change(health, 30 days) <= {-r.randint(0, 20)}",
                f"change(sc{r.randrange(nscores)}, 1 month) < 0",
                f"previous(sc{r.randrange(nscores)}, 0 days) is missing",
                f"previous(health, 2 weeks) > health",
                self.cond(nums, 1),
            ])
            lines.append(f"rule \"t{k}\" when {c} trigger \"{pb}\"")
        rules = "\n".join(lines) + "\n"
        snaps = []
        for a in range(r.randint(1, 4)):
            dates = sorted(r.sample(["2026-08-01", "2026-08-31", "2026-09-01", "2026-09-30",
                                     "2026-10-01", "2026-10-31", "2026-11-01"], r.randint(1, 3)))
            for d in dates:
                snaps.append(self.snapshot(f"acct{a}", d))
        return rules, snaps

    def value(self, ty):
        r = self.r
        if ty == "int":
            return r.randint(-5, 120)
        if ty in ("number", "money"):
            return float(Decimal(r.randint(-2000, 20000)) / Decimal(100)) if r.random() < 0.5 else r.randint(0, 100)
        if ty == "percent":
            return r.choice([0, 12.5, 33.3, 50, 72, 99.95, 100, 120])
        if ty == "bool":
            return r.random() < 0.5
        if ty.startswith("enum"):
            return r.choice(["lo", "mid", "hi", "lo", "bad"] if r.random() < 0.1 else ["lo", "mid", "hi"])
        if ty == "date":
            return r.choice(["2026-07-15", "2026-10-01", "2026-12-25", "2027-02-28"])
        return r.choice(["dana", "lee", "", "Zoë"])

    def snapshot(self, account, as_of):
        r = self.r
        signals = {}
        for n, t, o in self.sigs:
            if r.random() < (0.25 if o else 0.03):
                continue
            signals[n] = self.value(t)
        events = []
        for _ in range(r.randint(0, 4)):
            if r.random() < 0.7:
                ev = {"type": "ping", "at": r.choice(["2026-06-01", "2026-08-15", "2026-09-01", "2026-10-20", "2026-10-31", "2026-12-01"]),
                      "kind": r.choice(["a", "b"])}
                if r.random() < 0.7:
                    ev["size"] = r.choice([1, 2.5, 10, 0.25])
            else:
                ev = {"type": "pong", "at": r.choice(["2026-09-15", "2026-10-30"])}
            events.append(ev)
        rec = {"account": account, "as_of": as_of, "signals": signals, "events": events}
        if r.random() < 0.15:
            rec["override"] = {"status": r.choice(["top", "mid", "low", "low", "zzz"]),
                               "until": r.choice([None, "2026-09-15", "2026-12-31"])}
        return rec

    def window(self):
        return self.r.choice(["30 days", "2 weeks", "1 month", "1 year", "0 days", "90 days"])

    def atom(self, nums):
        r = self.r
        choices = [lambda: str(r.choice([0, 1, 2, 5, 10, 2.5, 33, 100]))]
        if nums:
            choices.append(lambda: self.numeric_signal(nums))
        choices.append(lambda: f"count(ping within {self.window()})")
        choices.append(lambda: "(days_since(first(ping within 1 year)) ?? 0)")
        choices.append(lambda: "count(ping where kind == a)")
        choices.append(lambda: "(sum(ping.size within 90 days) ?? 0)")
        return r.choice(choices)()

    def numeric_signal(self, nums):
        n, t, _ = self.r.choice(nums)
        if t == "percent":
            return f"({n} / 1%)"
        return n

    def num_expr(self, nums, depth):
        r = self.r
        if depth == 0 or r.random() < 0.35:
            return self.atom(nums)
        k = r.randrange(8)
        a = self.num_expr(nums, depth - 1)
        b = self.num_expr(nums, depth - 1)
        if k == 0:
            return f"({a} {r.choice(['+', '-', '*', '/'])} {b})"
        if k == 1:
            return f"min({a}, {b})"
        if k == 2:
            return f"max({a}, {b}, {r.randint(0, 50)})"
        if k == 3:
            return f"linear({a}, {r.randint(-10, 40)}, {r.randint(20, 90)})"
        if k == 4:
            return f"clamp({a}, 0, {r.randint(10, 100)})"
        if k == 5:
            return r.choice([f"round({a} / 3)", f"abs({a} - {b})", f"-({a})", f"({a} * 1.5 - {b} / 8)"])
        if k == 6:
            return f"band {a} {{\n  < {r.randint(0, 30)} => {r.randint(0, 100)}\n  >= {r.randint(30, 80)} => {b}\n  otherwise => {r.randint(0, 100)}\n}}"
        if nums:
            n, t, _ = r.choice(nums)
            return f"(change({n}, 30 days) ?? {'0%' if t == 'percent' else '0'}) / {'1%' if t == 'percent' else '1'}"
        return a

    def cond(self, nums, depth):
        r = self.r
        if depth == 0 or r.random() < 0.4:
            k = r.randrange(7)
            if k == 0:
                if nums and r.random() < 0.3:
                    n, t, _ = r.choice(nums)
                    if t == "percent":
                        return f"{n} {r.choice(['<', '>=', '=='])} {r.choice(['12.5%', '50%', '100%'])}"
                    return f"{n} {r.choice(['in', 'not in'])} (0, 2.5, 50, 100)"
                return f"{self.num_expr(nums, 1)} {r.choice(['<', '<=', '>', '>=', '==', '!='])} {r.randint(0, 60)}"
            others = [s for s in self.sigs if s[1] in ("bool", "enum(lo, mid, hi)", "date", "text")]
            if k == 1 and others:
                n, t, _ = r.choice(others)
                if t == "bool":
                    return n
                if t.startswith("enum"):
                    return r.choice([f"{n} == mid", f"{n} in (lo, hi)", f"{n} not in (mid)", f"{n} >= mid"])
                if t == "date":
                    return r.choice([f"days_until({n}) < 60", f"{n} - 1 month < 2026-10-01", f"{n} > 2026-11-01 + 2 weeks"])
                return r.choice([f"{n} == \"dana\"", f"{n} < \"m\"", f"{n} is missing"])
            if k == 2:
                return f"ping where size > 1 within {self.window()}"
            if k == 3 and nums:
                return f"{r.choice(nums)[0]} is {'not ' if r.random() < 0.5 else ''}missing"
            if k == 4:
                return f"days_since(last(ping)) {r.choice(['<', '>'])} {r.randint(0, 120)}"
            if k == 5 and nums:
                n, t, _ = r.choice(nums)
                d = r.choice(["0 days", "30 days", "2 weeks", "1 month", "1 year"])
                return f"previous({n}, {d}) {'is missing' if r.random() < 0.3 else '< ' + n}"
            return f"{self.num_expr(nums, 1)} > {self.num_expr(nums, 1)}"
        k = r.randrange(3)
        a, b = self.cond(nums, depth - 1), self.cond(nums, depth - 1)
        if k == 0:
            return f"({a} and {b})"
        if k == 1:
            return f"({a} or {b})"
        return f"not ({a})"


def minimise(rules: str, snaps: list[dict], fails) -> tuple[str, list[dict]]:
    """Drop rule lines and snapshots while the case still fails."""
    changed = True
    while changed:
        changed = False
        lines = rules.splitlines()
        for i in range(len(lines)):
            if not lines[i].startswith("rule "):
                continue
            # the rule and its continuation lines (a band's arms)
            j = i + 1
            while j < len(lines) and not re.match(r"(rule|status|score|signal|event) ", lines[j]):
                j += 1
            cand = "\n".join(lines[:i] + lines[j:]) + "\n"
            if fails(cand, snaps):
                rules, changed = cand, True
                break
        for i in range(len(snaps)):
            cand = snaps[:i] + snaps[i + 1:]
            if cand and fails(rules, cand):
                snaps, changed = cand, True
                break
    return rules, snaps


def random_cases(vital: str, n: int, seed: int, tmp: Path, con, syntax: list[str] = ()) -> list[str]:
    rnd = random.Random(seed)
    gen = Gen(rnd)
    tried = 0
    compared = 0

    def attempt(rules: str, snaps: list[dict]) -> list[str] | None:
        d = Path(tempfile.mkdtemp(dir=tmp))
        (d / "rules.vital").write_text(rules)
        (d / "snapshots.jsonl").write_text("".join(json.dumps(s) + "\n" for s in snaps))
        chk = sh([vital, "check", str(d / "rules.vital")])
        if chk.returncode != 0:
            shutil.rmtree(d)
            return None
        comp = sh([vital, "compile", "--target", "duckdb", str(d / "rules.vital")])
        if "vital::sql-out-of-range" in comp.stderr:
            # a constant beyond DECIMAL(38,10) (`1 / 3`): refused, rightly
            shutil.rmtree(d)
            return None
        try:
            found = timed("syntax", syntax_check, vital, "random", d / "rules.vital", d, list(syntax))
            return found + timed(con.target, run_case, vital, "random", d / "rules.vital",
                                 [d / "snapshots.jsonl"], d, con)
        except Failure as e:
            return [str(e)]
        except Exception as e:  # the database refused the query
            return [f"{con.target}: {type(e).__name__}: {e}"]
        finally:
            shutil.rmtree(d, ignore_errors=True)

    while compared < n and tried < n * 10:
        tried += 1
        rules, snaps = gen.case()
        diffs = attempt(rules, snaps)
        if diffs is None:
            continue
        compared += 1
        if diffs:
            def fails(r, s):
                x = attempt(r, s)
                return bool(x)
            rules, snaps = minimise(rules, snaps, fails)
            diffs = attempt(rules, snaps) or diffs
            msg = ["random case (seed %d, case %d) differs, minimised:" % (seed, compared),
                   "--- rules.vital", rules.rstrip(), "--- snapshots.jsonl"]
            msg += [json.dumps(s) for s in snaps]
            msg += diffs[:20]
            return ["\n".join(msg)]
    if compared < n:
        return [f"random: only {compared} of {n} generated rule sets checked clean"]
    print(f"random ({con.target}): {compared} generated rule sets agree ({tried - compared} discarded: refused by vital check, or constants beyond DECIMAL(38,10))")
    return []


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vital", default=str(ROOT / "target/release/vital"))
    ap.add_argument("--only", help="run the cases whose name contains this")
    ap.add_argument("--random", type=int, default=300, help="randomized cases (0: none)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--case", nargs="+", action="append", metavar="PATH",
                    help="also compare this rule set (first path) on these JSON Lines files")
    ap.add_argument("--postgres", metavar="URL",
                    help="also compare on this PostgreSQL server (needs the psycopg package)")
    ap.add_argument("--spark", action="store_true",
                    help="also compare on Spark SQL in local mode (needs pyspark and a Java runtime)")
    ap.add_argument("--spark-random", type=int, default=40, metavar="N",
                    help="with --spark: how many generated rule sets also run on Spark")
    ap.add_argument("--syntax", action="store_true",
                    help="also parse the SQL for snowflake and bigquery (and spark without --spark) with sqlglot")
    args = ap.parse_args()
    vital = str(Path(args.vital).resolve())
    duck = DuckDb()
    engines = [duck]
    if args.postgres:
        engines.append(Postgres(args.postgres))
    if args.spark:
        engines.append(timed("spark", Spark))
    syntax = []
    if args.syntax:
        syntax = ["snowflake", "bigquery"] + ([] if args.spark else ["spark"])
    diffs: list[str] = []
    cases = 0
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        examples = [
            (f"examples/{d.name}", d / "rules", [Path("snapshots.jsonl")], d)
            for d in sorted((ROOT / "examples").iterdir())
            if (d / "rules").is_dir() and (d / "snapshots.jsonl").exists()
        ]
        # the comparison must catch a wrong query: health truncated instead
        # of rounded half away from zero
        for engine in engines:
            name, rules, files, cwd = examples[0]
            wrong = run_case(vital, name, rules, files, cwd, engine, mutate=lambda q: q.replace(
                "(2 * s.vital_health_num + s.vital_health_den)", "(2 * s.vital_health_num)"))
            if not wrong:
                print(f"self-check FAILED ({engine.target}): a query that truncates health was not caught",
                      file=sys.stderr)
                return 1
            print(f"self-check ({engine.target}): a query that truncates health differs in {len(wrong)} values")
        if syntax:
            # the parse must be able to fail: DuckDB's SQL (`//`, list
            # comprehensions) is not BigQuery's
            import sqlglot
            from sqlglot.errors import ErrorLevel

            name, rules, files, cwd = examples[0]
            duck_sql = sh([vital, "compile", "--target", "duckdb", str(rules)], cwd=cwd).stdout
            try:
                sqlglot.parse(duck_sql, read="bigquery", error_level=ErrorLevel.RAISE)
                print("self-check FAILED (syntax): DuckDB's SQL parsed as BigQuery's", file=sys.stderr)
                return 1
            except Exception:
                print("self-check (syntax): DuckDB's SQL is refused by sqlglot's BigQuery parser")
        STATS["records"] = STATS["rejected"] = 0
        # hand-written cases: rules.vital and snapshots.jsonl
        handwritten = [
            (f"tests/sql/cases/{d.name}", d / "rules.vital", [Path("snapshots.jsonl")], d)
            for d in sorted((ROOT / "tests/sql/cases").iterdir())
            if (d / "rules.vital").exists()
        ]
        # the golden test's rule set and snapshots (tests/golden.rs)
        handwritten.append(("tests/golden", ROOT / "tests/golden/rules.vital",
                            [Path("snapshots.jsonl")], ROOT / "tests/golden"))
        # --case RULES FILE...: any rule set on any snapshot files
        given = [
            (f"--case {c[0]}", Path(c[0]).resolve(), [Path(f).resolve() for f in c[1:]], Path.cwd())
            for c in args.case or []
        ]
        for name, rules, files, cwd in given + examples + handwritten + list(corpus_cases(vital, tmp)):
            if args.only and args.only not in name and not name.startswith("--case"):
                continue
            if syntax:
                found = timed("syntax", syntax_check, vital, name, rules, cwd, syntax)
                print(f"{name} [syntax: {', '.join(syntax)}]: {'ok' if not found else f'{len(found)} failures'}")
                diffs += found
            for engine in engines:
                try:
                    found = timed(engine.target, run_case, vital, name, rules, files, cwd, engine)
                except Exception as e:  # a failing query is a difference
                    found = [f"{name}: {e}"]
                cases += 1
                status = "ok" if not found else f"{len(found)} differences"
                print(f"{name} [{engine.target}]: {status}")
                diffs += found
        if args.random:
            seed = args.seed if args.seed is not None else random.randrange(1 << 30)
            for engine in engines:
                n = min(args.random, args.spark_random) if engine.target == "spark" else args.random
                print(f"random: seed {seed} ({engine.target})")
                # the syntax checks ride along with DuckDB's run
                diffs += random_cases(vital, n, seed, tmp, engine,
                                      syntax if engine is duck else [])
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in TIMES.items()))
    for d in diffs[:200]:
        print(d)
    if diffs:
        print(f"FAILED: {len(diffs)} differences", file=sys.stderr)
        return 1
    print(f"all {cases} comparisons agree: {STATS['records']} results and {STATS['rejected']} rejected records")
    if syntax:
        refused = ", ".join(f"{SYNTAX.get(t, 0)} for {t}" for t in syntax)
        print(f"syntax ({', '.join(syntax)}): {SYNTAX['compiled']} queries parsed by sqlglot; "
              f"refused by vital compile (vital::sql-unsupported): {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
