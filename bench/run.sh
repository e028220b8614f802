#!/usr/bin/env bash
# Throughput benchmark of `vital run` end to end, and of parsing/evaluation
# alone. A benchmark, not a test: it measures and prints, it asserts nothing.
#
#   bash bench/run.sh            # 100k and 1M accounts
#   bash bench/run.sh 100000     # only 100k
#
# Data: bench/gen.py (deterministic), one snapshot per account, ~12 events
# each, rules: examples/digital-signals (4 scores, 15 rules, 5 triggers).
# Needs /usr/bin/time (Debian package `time`) for peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-100000 1000000}")
rules=examples/digital-signals/rules
cargo build --release -q -p vital-cli
command -v /usr/bin/time >/dev/null || { echo "install GNU time (apt-get install time) for peak memory"; exit 1; }
for n in ${sizes[@]}; do
  data="${TMPDIR:-/tmp}/vital-bench-$n.jsonl"
  [ -s "$data" ] || python3 bench/gen.py "$n" > "$data"
  bytes=$(stat -c %s "$data")
  # warm the page cache, then measure the best of three
  cat "$data" > /dev/null
  best=""
  for _ in 1 2 3; do
    out=$( { /usr/bin/time -f "%e %M" ./target/release/vital run --format jsonl --rules "$rules" "$data" > /dev/null; } 2>&1 | tail -n 1)
    secs=${out% *}; kb=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < ${best% *})}"; then best="$secs $kb"; fi
  done
  secs=${best% *}; kb=${best#* }
  awk -v n="$n" -v b="$bytes" -v s="$secs" -v kb="$kb" 'BEGIN {
    printf "vital run, %d accounts (%.0f MB): %.2f s  %.0f MB/s  %.0f accounts/s  peak RSS %.0f MB\n",
      n, b/1e6, s, b/1e6/s, n/s, kb/1024 }'
done
# parsing and evaluation alone, on the first size
first=${sizes[0]%% *}
cargo bench -q -p vital-eval --bench throughput -- "$rules" "${TMPDIR:-/tmp}/vital-bench-$first.jsonl" 2>/dev/null | grep -v '^$'
