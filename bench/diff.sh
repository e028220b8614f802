#!/usr/bin/env bash
# `vital diff` against one `vital run` on the same snapshots: the issue's
# budget is a diff of 100k accounts in at most 1.3x the time of one run.
# A benchmark, not a test: it measures and prints, it asserts nothing.
#
#   bash bench/diff.sh            # 100k accounts
#   bash bench/diff.sh 20000      # another size
#
# Data: bench/gen.py (as bench/run.sh). Rules: examples/digital-signals as
# base; head is a copy with a status threshold and a score weight changed
# (the same signals and events, so the input is parsed once and evaluated
# under both rule sets). Best of five runs each, page cache warm.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
rules=examples/digital-signals/rules
cargo build --release -q -p vital-cli
data="${TMPDIR:-/tmp}/vital-bench-$n.jsonl"
[ -s "$data" ] || python3 bench/gen.py "$n" > "$data"
head_rules="$(mktemp -d)"
trap 'rm -rf "$head_rules"' EXIT
cp "$rules"/*.vital "$head_rules"/
sed -i 's/thriving when health >= 75/thriving when health >= 70/; s/score usage weight 15/score usage weight 25/' "$head_rules/scores.vital"
cat "$data" > /dev/null
best() {
  local b=""
  for _ in 1 2 3 4 5; do
    local s
    /usr/bin/time -f "%e" -o "$head_rules/time" "$@" > /dev/null 2>&1 || true
    s=$(tail -n 1 "$head_rules/time")
    if [ -z "$b" ] || awk "BEGIN{exit !($s < $b)}"; then b="$s"; fi
  done
  echo "$b"
}
run=$(best ./target/release/vital run --format jsonl --rules "$rules" "$data")
same=$(best ./target/release/vital diff --base "$rules" --head "$rules" "$data")
changed=$(best ./target/release/vital diff --base "$rules" --head "$head_rules" "$data")
awk -v n="$n" -v r="$run" -v s="$same" -v c="$changed" 'BEGIN {
  printf "%d accounts: vital run %.2f s; vital diff (identical) %.2f s = %.2fx; vital diff (threshold + weight changed) %.2f s = %.2fx\n",
    n, r, s, s/r, c, c/r }'
