#!/usr/bin/env python3
"""Score a JSON Lines snapshot file with DuckDB: bench/duckdb/score.sql, the
SQL twin of bench/rules. Writes the results as JSON Lines to standard output
(DuckDB's own JSON writer, `COPY ... (FORMAT JSON)`), in the fields of
`vital run --format jsonl`.

    bench/.venv/bin/python bench/duckdb/run.py FILE > results.jsonl

Prints nothing else to standard output. DuckDB uses every core, as vital does.
"""
import os
import stat
import sys
import tempfile

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: run.py FILE.jsonl > results.jsonl")
    path = os.path.abspath(sys.argv[1])
    with open(os.path.join(HERE, "score.sql")) as f:
        query = f.read().strip().rstrip(";")
    con = duckdb.connect()
    con.execute("SET VARIABLE input = ?", [path])
    # DuckDB opens the target itself: /dev/stdout is a fresh file description
    # with its own offset 0, right for a pipe or a freshly truncated file
    # (`> out`); otherwise (`>> out`, a file already written to) go through
    # a temporary file.
    sys.stdout.flush()
    st = os.fstat(1)
    direct = not stat.S_ISREG(st.st_mode) or (st.st_size == 0 and os.lseek(1, 0, os.SEEK_CUR) == 0)
    if direct:
        con.execute(f"COPY ({query}) TO '/dev/stdout' (FORMAT JSON)")
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "out.jsonl")
        con.execute(f"COPY ({query}) TO '{tmp}' (FORMAT JSON)")
        with open(tmp, "rb") as f:
            while chunk := f.read(1 << 20):
                sys.stdout.buffer.write(chunk)


if __name__ == "__main__":
    main()
