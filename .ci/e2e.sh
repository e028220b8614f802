#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server
# 4.100.3 = VS Code 1.100, web build), driven by Playwright for Python and
# Debian's Chromium. Needs the platform .vsix from editors/vscode/ci.sh.
#
#   bash .ci/e2e.sh [VSIX]        # default editors/vscode/vital-linux-x64.vsix
#
# Installs what it needs when missing (Debian's chromium, the Python package
# playwright, code-server into /var/cache/vital-ci via .ci/code-server.sh),
# prints each step's time, leaves screenshots in $VITAL_E2E_SHOTS (default
# target/e2e-screenshots) and stops the code-server it started, also on
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

vsix="${1:-editors/vscode/vital-linux-x64.vsix}"
shots="${VITAL_E2E_SHOTS:-$root/target/e2e-screenshots}"
t0=$SECONDS
timed() { # timed LABEL CMD...: runs CMD, prints how long it took
  local label="$1" start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  printf '[e2e] %s: %d s%s\n' "$label" "$((SECONDS - start))" "$([[ $rc -eq 0 ]] || echo " (exit status $rc)")"
  return "$rc"
}

test -s "$vsix" || { echo "e2e.sh: no $vsix (run editors/vscode/ci.sh first)" >&2; exit 1; }

install_browser() {
  if [[ ! -x /usr/bin/chromium ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  /usr/bin/chromium --version
}
install_playwright() {
  # The Python package only: its browser download (playwright install)
  # is not used, Debian's Chromium is.
  if ! python3 -c 'import playwright.sync_api' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check 'playwright==1.65.2'
  fi
  python3 -c 'from importlib.metadata import version; print("playwright", version("playwright"))'
}

timed "chromium" install_browser
timed "playwright" install_playwright
entry_file="$(mktemp)"
pid_file="$(mktemp)"
cleanup() {
  # code-server (and the language servers under it) if the test left it
  # running: it is started in its own session, so its pid is its group's.
  if [[ -s "$pid_file" ]]; then
    local pid
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 2
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$entry_file" "$pid_file"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

timed "code-server install (cached when complete)" bash -c "bash .ci/code-server.sh > '$entry_file'"
entry="$(tail -n 1 "$entry_file")"

status=0
log="$(mktemp)"
timed "vscode_e2e.py" bash -c 'python3 -u tests/e2e/vscode_e2e.py "$@" 2>&1 | tee "'"$log"'"; exit "${PIPESTATUS[0]}"' e2e \
  --code-server "$entry" --vsix "$vsix" --example examples/support-health \
  --shots "$shots" --pid-file "$pid_file" || status=$?
printf '[e2e] total: %d s\n' "$((SECONDS - t0))"
# The test's summary, last, so that it is the run's closing line.
grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || echo "e2e: 0 passed, 1 failed"
rm -f "$log"
exit "$status"
