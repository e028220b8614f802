#!/usr/bin/env bash
# `vital run` side by side with DuckDB running the same scoring as one SQL
# query (bench/duckdb/score.sql) over the same JSON Lines file, and with the
# floor program (bench/floor: the same rules hand-written in Rust), after
# checking that all give the same results (the floor's byte for byte). Then
# evaluation alone, allocations per record, peak memory at 1M accounts, and
# `vital compile --target duckdb`'s query and Parquet input (issue 14).
# A benchmark: it measures and prints; it fails only when the results
# disagree, or a step cannot run.
#
#   bash bench/compare.sh                 # 200k accounts, 5 timed runs each
#   RUNS=10 bash bench/compare.sh
#   SKIP_1M=1 SKIP_ALLOCS=1 SKIP_EVAL=1 bash bench/compare.sh
#   SKIP_SQL=1 bash bench/compare.sh       # without vital compile's SQL and Parquet
#   SKIP_FLOOR=1 bash bench/compare.sh      # without the floor program (bench/floor)
#   FLOOR=path/to/vital-floor bash bench/compare.sh   # SKIP_BUILD=1 skips its build too, if it exists
#   SKIP_BUILD=1 VITAL=path/to/vital bash bench/compare.sh   # a binary built before
#   PROFILE=dist bash bench/compare.sh       # another cargo profile (default release)
#
# Data: bench/gen.py N --events 1-6 --history 0.05 (~100 MB for 200k accounts,
# 5% of them with a second, earlier snapshot), cached in ${TMPDIR:-/tmp}.
# Rules: bench/rules (4 scores, 10 adjustments, 4 triggers).
# Everything is written under $OUT (default ${TMPDIR:-/tmp}/vital-compare):
# the result files, hyperfine's JSON and the report (report.md).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
RUNS=${RUNS:-5}
TMP=${TMPDIR:-/tmp}
OUT=${OUT:-$TMP/vital-compare}
GEN_ARGS=(--events 1-6 --history 0.05)
mkdir -p "$OUT"
report="$OUT/report.md"
: > "$report"
say() { printf '%s\n' "$*" | tee -a "$report"; }
fail() { printf '\n!!!!!!!! FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
install_tool() {  # COMMAND DEBIAN_PACKAGE [CRATE]
  command -v "$1" >/dev/null && return 0
  echo "== installing $2"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } || true
  fi
  if ! command -v "$1" >/dev/null && [ -n "${3:-}" ]; then cargo install --locked -q "$3"; fi
  command -v "$1" >/dev/null || fail "$1 is missing (Debian package $2)"
}
install_tool hyperfine hyperfine hyperfine
[ -x /usr/bin/time ] || install_tool /usr/bin/time time
VENV=bench/.venv
if ! "$VENV/bin/pip" freeze 2>/dev/null | grep -qxF -f bench/duckdb/requirements.txt ||
   [ "$("$VENV/bin/pip" freeze | grep -cxF -f bench/duckdb/requirements.txt)" != "$(grep -c . bench/duckdb/requirements.txt)" ]; then
  echo "== creating $VENV with $(tr '\n' ' ' < bench/duckdb/requirements.txt)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r bench/duckdb/requirements.txt
fi
PY="$VENV/bin/python"

PROFILE=${PROFILE:-release}
VITAL=${VITAL:-target/$PROFILE/vital}
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "== cargo build --profile $PROFILE -p vital-cli"
  cargo build --profile "$PROFILE" -q -p vital-cli
fi
# the floor program: its own cargo project (not in the workspace), own target dir
FLOOR=${FLOOR:-target/floor/release/vital-floor}
if [ -z "${SKIP_FLOOR:-}" ] && ! { [ -n "${SKIP_BUILD:-}" ] && [ -x "$FLOOR" ]; }; then
  echo "== cargo build --release bench/floor"
  CARGO_TARGET_DIR=target/floor cargo build --release -q --manifest-path bench/floor/Cargo.toml ||
    fail "building bench/floor"
fi
"$VITAL" test bench/rules > "$OUT/test.txt" || { cat "$OUT/test.txt"; fail "vital test bench/rules"; }

# ---------------------------------------------------------------- data
gen_hash=$(sha1sum bench/gen.py | cut -c1-8)
data_for() { echo "$TMP/vital-cmp-$1-$gen_hash.jsonl"; }
make_data() {
  local f; f=$(data_for "$1")
  if [ ! -s "$f" ]; then
    echo "== generating $1 accounts into $f"
    python3 bench/gen.py "$1" "${GEN_ARGS[@]}" > "$f.part" && mv "$f.part" "$f"
  fi
}
make_data "$N"
DATA=$(data_for "$N")
records=$(wc -l < "$DATA")
mb=$(awk -v b="$(stat -c %s "$DATA")" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$DATA" > /dev/null; cat "$DATA" > /dev/null  # page cache

# the duckdb shell (PyPI package duckdb-cli) runs the same query from a file
cli_sql() {  # DATA FILE: score.sql with the input set, its results as JSON Lines to stdout
  { echo "SET VARIABLE input = '${1//\'/\'\'}';"; echo "COPY ("
    sed 's/;[[:space:]]*$//' bench/duckdb/score.sql; echo ") TO '/dev/stdout' (FORMAT JSON);"; } > "$2"
}
cli_sql "$DATA" "$OUT/duckdb-cli.sql"
VITAL_CMD="$VITAL run --format jsonl --rules bench/rules $DATA > $OUT/vital.jsonl"
DUCK_CMD="$PY bench/duckdb/run.py $DATA > $OUT/duckdb.jsonl"
CLI_CMD="$VENV/bin/duckdb -f $OUT/duckdb-cli.sql > $OUT/duckdb-cli.jsonl"
FLOOR_CMD="$FLOOR $DATA > $OUT/floor.jsonl"

say "# vital run vs DuckDB, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo ' + uncommitted changes')"
say ""
say "binary: $VITAL"
say "$N accounts, $records records, $mb MB (bench/gen.py $N ${GEN_ARGS[*]}), rules bench/rules,"
say "$(nproc) cores, DuckDB $("$PY" -c 'import duckdb; print(duckdb.__version__)') (Python), $("$VENV/bin/duckdb" --version | cut -d' ' -f1) (shell); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${OVERWRITE:-}" ]; then
  say "output: each command overwrites its output file of the round before (OVERWRITE=1)"
else
  say "output: each command writes a new file (its output of the round before removed before it is timed)"
fi
say ""

# ---------------------------------------------------------------- same results
echo "== checking that vital and DuckDB agree"
bash -c "$VITAL_CMD" || fail "vital run exited $? (a rejected record?)"
bash -c "$DUCK_CMD" || fail "DuckDB (Python) run failed"
bash -c "$CLI_CMD" || fail "DuckDB (shell) run failed"
for d in duckdb duckdb-cli; do
  "$PY" bench/duckdb/check.py "$OUT/vital.jsonl" "$OUT/$d.jsonl" ||
    fail "vital and DuckDB ($d) DISAGREE on $DATA (see above); the timings would mean nothing"
done
say "results: $(wc -l < "$OUT/vital.jsonl") lines from each, equal (bench/duckdb/check.py)"
if [ -z "${SKIP_FLOOR:-}" ]; then
  echo "== checking that the floor program's output is vital's, byte for byte"
  bash -c "$FLOOR_CMD" || fail "the floor program exited $? (input it does not handle? see above)"
  cmp "$OUT/vital.jsonl" "$OUT/floor.jsonl" ||
    fail "the floor program's output ($OUT/floor.jsonl) differs from vital's ($OUT/vital.jsonl); the timings would mean nothing"
  say "floor program ($FLOOR): the same $(wc -l < "$OUT/floor.jsonl") lines, byte-identical to vital's (cmp)"
fi
say ""

# ---------------------------------------------------------------- wall time
# The machine's speed drifts (a run after a minute of load is slower than
# one after a pause), so the commands are measured in rounds, one run of
# each per round in a rotating order: each round is one hyperfine call
# with --runs 1 (wall time), then one GNU time run of each (CPU, peak
# memory). Medians over the rounds; a drift then slows all alike.
# Each command writes a new file, as a nightly job writing a dated file
# does: its output of the round before is removed before it is timed
# (hyperfine --prepare), because truncating a 40 MB file on this ext4 disk
# costs the command that opens it 25-30 ms of wall time (bench/README.md,
# "A new file each run, and sync first"); a sync first lets no writeback of an earlier
# command run during it. OVERWRITE=1 times them overwriting it instead.
fresh() {  # COMMAND (ending in `> FILE`): what runs before it is timed (rm FILE; sync)
  if [ -n "${OVERWRITE:-}" ]; then echo sync; else printf 'rm -f -- %q; sync\n' "${1##*> }"; fi
}
check_out() {  # COMMAND: fail unless it ends in `> FILE`, FILE without spaces
  local file=${1##*> }
  case "$1" in *"> $file") ;; *) fail "a timed command must end in '> FILE': $1" ;; esac
  case "$file" in ''|*' '*) fail "an output path without spaces, please: '$file'" ;; esac
}
rounds() {  # TAG NAME COMMAND [NAME COMMAND]...: $OUT/TAG-hyperfine-R.json, $OUT/time-NAME.txt
  local tag=$1; shift
  local names=() cmds=()
  while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  local k=${#names[@]} r j i
  for c in "${cmds[@]}"; do check_out "$c"; done
  echo "== $RUNS rounds of hyperfine --runs 1 and GNU time: ${names[*]}"
  for c in "${cmds[@]}"; do bash -c "$c"; done   # warm-up
  rm -f "$OUT/$tag"-hyperfine-*.json
  for n in "${names[@]}"; do rm -f "$OUT/time-$n.txt"; done
  for r in $(seq "$RUNS"); do
    local args=() prep=()
    for j in $(seq 0 $((k - 1))); do
      i=$(( (j + r) % k ))
      args+=(-n "${names[$i]}" "${cmds[$i]}")
      prep+=(--prepare "$(fresh "${cmds[$i]}")")
    done
    hyperfine --runs 1 --style none "${prep[@]}" --export-json "$OUT/$tag-hyperfine-$r.json" "${args[@]}" > /dev/null
    for j in $(seq 0 $((k - 1))); do
      i=$(( (j + r) % k ))
      bash -c "$(fresh "${cmds[$i]}")"
      /usr/bin/time -f "%e %U %S %M" -a -o "$OUT/time-${names[$i]}.txt" bash -c "${cmds[$i]}"
    done
  done
}
floor_args=()
[ -z "${SKIP_FLOOR:-}" ] && floor_args=(floor "$FLOOR_CMD")
rm -f "$OUT/time-floor.txt"
rounds main vital "$VITAL_CMD" duckdb-cli "$CLI_CMD" duckdb "$DUCK_CMD" "${floor_args[@]}"

"$PY" - "$OUT" "$N" "$mb" <<'PYEOF' | tee -a "$report"
import json, statistics, sys
out, n, mb = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
import glob, os
walls = {}
for f in sorted(glob.glob(f"{out}/main-hyperfine-*.json")):
    for r in json.load(open(f))["results"]:
        walls.setdefault(r["command"], []).extend(r["times"])
hf = {c: dict(median=statistics.median(t), min=min(t), max=max(t)) for c, t in walls.items()}
rows = {}
names = ["vital", "duckdb-cli", "duckdb"]
if os.path.exists(f"{out}/time-floor.txt") and "floor" in hf:
    names.append("floor")
for name in names:
    t = [list(map(float, l.split())) for l in open(f"{out}/time-{name}.txt") if l.strip()]
    rows[name] = dict(
        wall=hf[name]["median"], lo=hf[name]["min"], hi=hf[name]["max"],
        cpu=statistics.median(u + s for _, u, s, _ in t),
        rss=statistics.median(k for *_, k in t) / 1024)
label = {"vital": "`vital run --format jsonl --rules bench/rules FILE > out`",
         "duckdb-cli": "DuckDB shell: `duckdb -f score.sql > out` (score.sql in a COPY)",
         "duckdb": "DuckDB Python: `python bench/duckdb/run.py FILE > out`",
         "floor": "floor program (bench/floor): `vital-floor FILE > out`"}
print("| what | wall, median (min–max) | MB/s | CPU (user+sys), median | peak RSS, median |")
print("|---|---|---|---|---|")
for k, r in rows.items():
    print(f"| {label[k]} | {r['wall']:.3f} s ({r['lo']:.3f}–{r['hi']:.3f}) | {mb / r['wall']:.0f} "
          f"| {r['cpu']:.2f} s | {r['rss']:.0f} MB |")
v = rows["vital"]
print()
for k, what in (("duckdb-cli", "DuckDB shell"), ("duckdb", "DuckDB Python")):
    d = rows[k]
    print(f"**ratio vital / {what}: wall {v['wall'] / d['wall']:.2f}, CPU {v['cpu'] / d['cpu']:.2f}, "
          f"peak memory {v['rss'] / d['rss']:.2f}** (target: wall <= 0.33)  ")
if "floor" in rows:
    f, d = rows["floor"], rows["duckdb-cli"]
    print(f"ratio floor / DuckDB shell: wall {f['wall'] / d['wall']:.2f}, CPU {f['cpu'] / d['cpu']:.2f}, "
          f"peak memory {f['rss'] / d['rss']:.2f}  ")
    print(f"ratio vital / floor: wall {v['wall'] / f['wall']:.2f}, CPU {v['cpu'] / f['cpu']:.2f}, "
          f"peak memory {v['rss'] / f['rss']:.2f} (how far vital is from the floor)  ")
print()
PYEOF

# ---------------------------------------------------------------- evaluation alone
if [ -z "${SKIP_EVAL:-}" ]; then
  echo "== cargo bench -p vital-eval --bench throughput"
  if cargo bench -q -p vital-eval --bench throughput -- bench/rules "$DATA" > "$OUT/throughput.txt" 2> "$OUT/throughput.err"; then
    say "cargo bench -p vital-eval --bench throughput -- bench/rules FILE (the fast path as vital run uses it, the compiled nodes alone, the expression walker; 1 thread = per core):"
    say '```'
    grep -v '^$' "$OUT/throughput.txt" | tee -a "$report"
    say '```'
  else
    say "evaluation alone: the throughput bench did not build or run (see $OUT/throughput.err)"
  fi
  say ""
fi

# ---------------------------------------------------------------- allocations
if [ -z "${SKIP_ALLOCS:-}" ]; then
  install_tool valgrind valgrind
  echo "== allocations per record (callgrind)"
  say "python3 bench/allocs.py FILE: $(VITAL="$VITAL" python3 bench/allocs.py "$DATA" bench/rules)"
  say ""
fi

# ---------------------------------------------------------------- 1M accounts
if [ -z "${SKIP_1M:-}" ]; then
  make_data 1000000
  D1=$(data_for 1000000)
  cat "$D1" > /dev/null
  mem() { /usr/bin/time -f "%e %M" bash -c "$1" 2>&1 >/dev/null | tail -n 1; }
  echo "== 1M accounts"
  r=$(mem "$VITAL run --format jsonl --rules bench/rules $D1 > /dev/null")
  say "1M accounts ($(awk -v b="$(stat -c %s "$D1")" 'BEGIN { printf "%.0f", b / 1e6 }') MB), one run each, output to /dev/null:"
  say "- vital run: ${r% *} s, peak RSS $(( ${r#* } / 1024 )) MB (target < 80 MB)"
  cli_sql "$D1" "$OUT/duckdb-cli-1m.sql"
  r=$(mem "$VENV/bin/duckdb -f $OUT/duckdb-cli-1m.sql > /dev/null")
  say "- DuckDB shell: ${r% *} s, peak RSS $(( ${r#* } / 1024 )) MB"
  if [ -z "${SKIP_FLOOR:-}" ]; then
    r=$(mem "$FLOOR $D1 > /dev/null")
    say "- floor program: ${r% *} s, peak RSS $(( ${r#* } / 1024 )) MB"
  fi
  say ""
fi

# ---------------------------------------------------------------- compiled SQL and Parquet
# issue 14: the same workload as `vital run --all` on JSON Lines, as `vital
# run --all` on Parquet (the two tables of docs/sql.md, written by DuckDB
# from the same file), and as `vital compile --target duckdb`'s query run
# unchanged in DuckDB over tables loaded from the JSON Lines file (as
# docs/sql.md loads it) and over the Parquet files. Results checked equal.
if [ -z "${SKIP_SQL:-}" ]; then
  echo "== vital compile --target duckdb, and the data as Parquet"
  SQLD="$OUT/sql"
  "$PY" bench/duckdb/compiled.py prepare "$VITAL" bench/rules "$SQLD"
  SP="$SQLD/snapshots.parquet" EP="$SQLD/events.parquet"
  "$PY" bench/duckdb/compiled.py export "$SQLD" "$DATA" "$SP" "$EP"
  cat "$SP" "$EP" > /dev/null
  V_ALL="$VITAL run --all --format jsonl --rules bench/rules $DATA > $OUT/vital-all.jsonl"
  V_PQ="$VITAL run --all --format jsonl --rules bench/rules $SP $EP > $OUT/vital-parquet.jsonl"
  S_JL="$PY bench/duckdb/compiled.py jsonl $SQLD $DATA > $OUT/sql-jsonl.jsonl"
  S_PQ="$PY bench/duckdb/compiled.py parquet $SQLD $SP $EP > $OUT/sql-parquet.jsonl"
  for c in "$V_ALL" "$V_PQ" "$S_JL" "$S_PQ"; do bash -c "$c" || fail "$c"; done
  cmp <(sort "$OUT/vital-all.jsonl") <(sort "$OUT/vital-parquet.jsonl") ||
    fail "vital run on Parquet differs from vital run on JSON Lines"
  for f in sql-jsonl sql-parquet; do
    "$PY" bench/duckdb/compiled.py check "$OUT/vital-all.jsonl" "$OUT/$f.jsonl" ||
      fail "vital run and the compiled SQL ($f) DISAGREE"
  done
  say "compiled SQL and Parquet: vital run --all on JSON Lines and on Parquet give the same $(wc -l < "$OUT/vital-all.jsonl") lines; the compiled query agrees with them on both inputs (bench/duckdb/compiled.py check)"
  say "(Parquet: $(du -k "$SP" | cut -f1) kB + $(du -k "$EP" | cut -f1) kB, written by DuckDB's COPY … (FORMAT PARQUET))"
  rounds sql vital-jsonl "$V_ALL" vital-parquet "$V_PQ" sql-jsonl "$S_JL" sql-parquet "$S_PQ"
  "$PY" - "$OUT" <<'PYEOF' | tee -a "$report"
import glob, json, statistics, sys
out = sys.argv[1]
walls = {}
for f in sorted(glob.glob(f"{out}/sql-hyperfine-*.json")):
    for r in json.load(open(f))["results"]:
        walls.setdefault(r["command"], []).extend(r["times"])
hf = {c: dict(median=statistics.median(t), min=min(t), max=max(t)) for c, t in walls.items()}
label = {"vital-jsonl": "`vital run --all` on JSON Lines",
         "vital-parquet": "`vital run --all` on Parquet (snapshots + events)",
         "sql-jsonl": "`vital compile --target duckdb` in DuckDB, tables loaded from the JSON Lines file",
         "sql-parquet": "`vital compile --target duckdb` in DuckDB, over the Parquet files"}
print("| what | wall, median (min–max) | CPU (user+sys), median | peak RSS, median |")
print("|---|---|---|---|")
for k, what in label.items():
    t = [list(map(float, l.split())) for l in open(f"{out}/time-{k}.txt") if l.strip()]
    r = hf[k]
    print(f"| {what} | {r['median']:.3f} s ({r['min']:.3f}–{r['max']:.3f}) "
          f"| {statistics.median(u + s for _, u, s, _ in t):.2f} s "
          f"| {statistics.median(m for *_, m in t) / 1024:.0f} MB |")
print()
PYEOF
fi

say "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== report: $report"
