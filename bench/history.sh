#!/usr/bin/env bash
# The history store benchmark (issue 11, "Performance"): a SQLite store
# holding N accounts x NIGHTS nightly snapshots (~12 events each, drifting
# night after night), then the next night's `vital run --history` over all
# N accounts: its wall time, and how much the store file grew. A benchmark:
# it measures and prints; it fails only when a step cannot run.
#
#   bash bench/history.sh                    # 100k accounts, 90 nights, 3 timed runs
#   N=10000 NIGHTS=20 bash bench/history.sh  # a quick try
#   RUNS=5 bash bench/history.sh
#   SKIP_BUILD=1 VITAL=path/to/vital KEY=old bash bench/history.sh  # another binary
#   PROFILE=dist bash bench/history.sh       # another cargo profile (default release)
#
# How the store is built: `vital run --rules bench/rules --history STORE`
# itself, once per night, over nights 0..NIGHTS-1 (2026-08-03 on) of
# bench/history_gen.py (see there for how accounts drift; ~2 s per night to
# generate 100k accounts, written at most two nights ahead and removed once
# recorded). So the store is exactly what nightly runs write; building it
# takes NIGHTS runs (about 5 minutes for 100k x 90 on 2 cores). It is
# cached in ${TMPDIR:-/tmp}/vital-history-N-NIGHTS-KEY/store.db with the
# next night's file (next.jsonl); KEY defaults to a hash of the generator,
# the rules and the code that writes the store (crates/vital-store,
# run/history.rs), so a change there builds a new store (the old one
# stays: remove it by hand).
#
# What is timed: `vital run --rules bench/rules --history WORK --format jsonl
# next.jsonl > results.jsonl`, the night after the last stored one, on a
# fresh copy of the store each time (hyperfine --prepare), so every run is
# the "next night", never a rerun. The rules read history 30 days back
# (`change`/`previous` of signals and of health, so the snapshots 30 and
# 60 days back are loaded and scored), record every snapshot, result and
# start, and list stale accounts. Growth: the file's size after that run,
# its WAL checkpointed (PRAGMA wal_checkpoint(TRUNCATE)), minus its size
# before; with sqlite3's dbstat, per table.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
NIGHTS=${NIGHTS:-90}
RUNS=${RUNS:-3}
TMP=${TMPDIR:-/tmp}
PROFILE=${PROFILE:-release}
VITAL=${VITAL:-target/$PROFILE/vital}
fail() { printf '\n!!!!!!!! FAILED: %s\n' "$*" >&2; exit 1; }
command -v hyperfine >/dev/null || fail "hyperfine is missing (apt-get install hyperfine, or cargo install --locked hyperfine)"

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "== cargo build --profile $PROFILE -p vital-cli"
  cargo build --profile "$PROFILE" -q -p vital-cli
fi
VITAL=$(realpath "$VITAL")
KEY=${KEY:-$(cat bench/history_gen.py bench/rules/*.vital crates/vital-store/src/*.rs \
  crates/vital-cli/src/commands/run/history.rs | sha1sum | cut -c1-10)}
DIR="$TMP/vital-history-$N-$NIGHTS-$KEY"
OUT=${OUT:-$DIR/out}
checkpoint() { python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()' "$1"; }
size() { stat -c %s "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# ---------------------------------------------------------------- the store
if [ ! -s "$DIR/store.db" ] || [ ! -s "$DIR/next.jsonl" ]; then
  echo "== building $DIR/store.db: $N accounts x $NIGHTS nights through vital run"
  rm -rf "$DIR"
  mkdir -p "$DIR/nights"
  python3 bench/history_gen.py "$N" "$DIR/nights" --last "$NIGHTS" --keep 2 &
  gen=$!
  trap 'kill $gen 2>/dev/null || true' EXIT
  wait_for() { while [ ! -e "$1" ]; do kill -0 "$gen" 2>/dev/null || [ -e "$1" ] || fail "the generator stopped"; sleep 0.1; done; }
  began=$(date +%s)
  for night in $(seq 0 $((NIGHTS - 1))); do
    f=$(printf '%s/nights/night-%03d.jsonl' "$DIR" "$night")
    wait_for "$f"
    "$VITAL" run --rules bench/rules --history "$DIR/build.db" --format jsonl "$f" \
      > /dev/null 2>> "$DIR/build.log" || fail "vital run of night $night (see $DIR/build.log)"
    rm -f "$f"
    if (( night % 10 == 9 )); then
      echo "   night $((night + 1))/$NIGHTS recorded ($(( $(date +%s) - began )) s, store $(mb "$(size "$DIR/build.db")") MB)"
    fi
  done
  f=$(printf '%s/nights/night-%03d.jsonl' "$DIR" "$NIGHTS")
  wait_for "$f"
  wait "$gen"
  trap - EXIT
  mv "$f" "$DIR/next.jsonl"
  checkpoint "$DIR/build.db"
  mv "$DIR/build.db" "$DIR/store.db"
  rm -f "$DIR/build.db-wal" "$DIR/build.db-shm"
  echo "   built in $(( $(date +%s) - began )) s"
fi
mkdir -p "$OUT"
WORK="$OUT/work.db"
STORE="$DIR/store.db"
cat "$STORE" "$DIR/next.jsonl" > /dev/null # page cache

# ---------------------------------------------------------------- the next night
CMD="$VITAL run --rules bench/rules --history $WORK --format jsonl $DIR/next.jsonl > $OUT/results.jsonl"
echo "== hyperfine, $RUNS runs: the next night on a fresh copy of the store"
hyperfine --runs "$RUNS" --style basic --export-json "$OUT/hyperfine.json" \
  --prepare "cp $STORE $WORK && rm -f $WORK-wal $WORK-shm" \
  -n "next night" "$CMD 2> $OUT/stderr.txt" | tee "$OUT/hyperfine.txt"
cat "$OUT/stderr.txt"
before=$(size "$STORE")
checkpoint "$WORK"
after=$(size "$WORK")
summary() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f s (min %.2f, max %.2f; user %.2f s, system %.2f s)" % (r["median"], r["min"], r["max"], r["user"], r["system"]))' "$1"; }
median=$(summary "$OUT/hyperfine.json")

# ---------------------------------------------------------------- a rerun of it
# The same night again on a store that holds it (a corrected export rerun,
# a backfill): every snapshot, result and start of the night is replaced
# (docs/history.md, "Reruns replace"). Its time should be of the order of
# the first run's: it once was quadratic in the accounts.
RERUN="$OUT/rerun.db"
echo "== hyperfine, $RUNS runs: the same night again (a rerun)"
hyperfine --runs "$RUNS" --style basic --export-json "$OUT/hyperfine-rerun.json" \
  --prepare "cp $WORK $RERUN && rm -f $RERUN-wal $RERUN-shm" \
  -n "rerun" "${CMD//$WORK/$RERUN} 2> $OUT/stderr-rerun.txt" | tee "$OUT/hyperfine-rerun.txt"
rerun=$(summary "$OUT/hyperfine-rerun.json")

report="$OUT/report.md"
{
  echo "# vital run --history, the next night: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo ' + uncommitted changes')"
  echo
  echo "binary: $VITAL; $(nproc) cores; load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "store: $N accounts x $NIGHTS nights (bench/history_gen.py, recorded night by night by vital run), $(mb "$before") MB"
  echo "next night: $(wc -l < "$DIR/next.jsonl") snapshots, $(mb "$(size "$DIR/next.jsonl")") MB of JSON Lines"
  echo
  echo "- wall time, median of $RUNS: **$median**"
  echo "- the same night rerun (replacing it), median of $RUNS: **$rerun**"
  echo "- store growth for the night (after a WAL checkpoint): **$((after - before)) bytes ($(mb $((after - before))) MB)**, $(mb "$before") -> $(mb "$after") MB"
  if command -v sqlite3 >/dev/null && sqlite3 "$WORK" "SELECT 1 FROM dbstat LIMIT 1" >/dev/null 2>&1; then
    echo
    echo "| table or index | growth, bytes |"
    echo "|---|---|"
    q="SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY name"
    join -t'|' <(sqlite3 "$STORE" "$q") <(sqlite3 "$WORK" "$q") |
      awk -F'|' '$3 != $2 { printf "| %s | %d |\n", $1, $3 - $2 }'
  fi
} > "$report"
echo
cat "$report"
echo "== report: $report"
