#!/usr/bin/env bash
# Builds, tests and packages the Vital VS Code extension from a clean checkout.
# Needs node >= 20 and npm; the only network access is the npm registry.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

echo "== node $(node --version), npm $(npm --version)"

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== npm run build"
npm run build

echo "== npm test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npm test 2>&1 | tee "$log"

echo "== npm run package"
rm -f vital.vsix
npm run package
test -s vital.vsix

echo "== done: $(pwd)/vital.vsix ($(wc -c < vital.vsix) bytes)"
# The grammar test summary, last, so that it is the run's closing line.
grep -E '^grammar: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1
