#!/usr/bin/env bash
# `vital report` at scale (docs/report.md, "Size and speed"): writes the
# report of N generated accounts (default 100,000; bench/gen.py, 5% with an
# earlier snapshot, so there are movers), then opens it in headless Chromium
# with tests/report/probe.js appended: the page's own navigation timings,
# and the time of one search over every account (the first search also
# parses the account index). Prints size, time and peak memory of the
# report, and the browser's figures. A measurement: it fails only when a
# step cannot run.
#
#   bash bench/report.sh
#   N=20000 bash bench/report.sh
#   SKIP_BUILD=1 VITAL=target/debug/vital bash bench/report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
TMP=${TMPDIR:-/tmp}
OUT=${OUT:-$TMP/vital-report-bench}
PROFILE=${PROFILE:-release}
VITAL=${VITAL:-target/$PROFILE/vital}
mkdir -p "$OUT"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --profile "$PROFILE" -q -p vital-cli
fi
command -v chromium >/dev/null || { echo "chromium is missing (Debian package chromium)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is missing (Debian package time)" >&2; exit 1; }

gen_hash=$(sha1sum bench/gen.py | cut -c1-8)
DATA="$TMP/vital-report-$N-$gen_hash.jsonl"
if [ ! -s "$DATA" ]; then
  python3 bench/gen.py "$N" --events 1-6 --history 0.05 > "$DATA.part" && mv "$DATA.part" "$DATA"
fi

html="$OUT/report.html"
cmd=("$VITAL" report -o "$html" --rules bench/rules --value arr --by exec_sponsor "$DATA")
echo "== ${cmd[*]}"
/usr/bin/time -f "%e %M" -o "$OUT/time.txt" "${cmd[@]}" 2> "$OUT/stderr.txt" || { cat "$OUT/stderr.txt"; exit 1; }
tail -n 1 "$OUT/stderr.txt"
read -r secs kb < "$OUT/time.txt"
bytes=$(stat -c %s "$html")
index=$(python3 -c "
import sys
s = open(sys.argv[1], encoding='utf-8').read()
a = s.index('id=\"accounts-index\">')
print(s.index('</script>', a) - a)" "$html")

# the report with the probe, searching for one account in the middle
term=$(printf 'account-%07d' $((N / 2)))
probe="$OUT/probe.html"
{ cat "$html"; printf '<script>var PROBE_TERM=%s;\n' "\"$term\""; cat tests/report/probe.js; echo '</script>'; } > "$probe"
empty="$OUT/empty.html"
echo '<!DOCTYPE html><html><body><p>empty</p></body></html>' > "$empty"
browse() {  # extra args..., page: wall seconds of one headless Chromium
  local start end
  start=$(date +%s.%N)
  chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir="$OUT/profile" \
    --window-size=1280,2000 "$@" 2>/dev/null
  end=$(date +%s.%N)
  echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }' > "$OUT/wall.txt"
}
browse --dump-dom "file://$probe" > "$OUT/dom.html"
measured=$(grep -o '<pre id="probe">[^<]*</pre>' "$OUT/dom.html" | sed -e 's/<[^>]*>//g' -e 's/&quot;/"/g')
browse --screenshot="$OUT/report.png" "file://$html" > /dev/null
shot=$(cat "$OUT/wall.txt")
browse --screenshot="$OUT/empty.png" "file://$empty" > /dev/null
shot_empty=$(cat "$OUT/wall.txt")

python3 - "$measured" <<PY
import json, sys
m = json.loads(sys.argv[1])
print(f"accounts:        {$N:,} (bench/gen.py $N --events 1-6 --history 0.05), rules bench/rules, $(nproc) cores")
print(f"report:          {$bytes / 1e6:.1f} MB, of which the account index {$index / 1e6:.1f} MB")
print(f"vital report:    {$secs} s, peak {$kb / 1024:.0f} MB ($VITAL)")
print(f"browser:         DOM ready {m['domContentLoaded']} ms, load {m['load']} ms after navigation start")
print(f"search:          {m['searchMs']} ms for the first search ('{m['found']}')")
print(f"screenshot:      {$shot} s wall for the report, {$shot_empty} s for an empty page (headless Chromium start included)")
PY
