#!/usr/bin/env bash
# Builds, tests and packages the Vital VS Code extension from a clean checkout:
# a platform .vsix (linux-x64) that carries the release `vital` binary, so that
# the extension starts its language server with no setting and nothing on PATH.
#
#   VITAL_BIN=/path/to/release/vital bash editors/vscode/ci.sh
#
# Without VITAL_BIN it runs `cargo build --release -p vital-cli` itself.
# Needs node >= 20 and npm; the only network access is the npm registry.
# Writes editors/vscode/vital-linux-x64.vsix.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
root="$(cd ../.. && pwd)"
target="${VSCE_TARGET:-linux-x64}"
vsix="vital-$target.vsix"

echo "== node $(node --version), npm $(npm --version)"

echo "== npm ci"
npm ci --no-audit --no-fund

echo "== npm run build"
npm run build

echo "== npm test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npm test 2>&1 | tee "$log"

echo "== the language server binary"
if [[ -z "${VITAL_BIN:-}" ]]; then
  (cd "$root" && cargo build --release -p vital-cli)
  VITAL_BIN="${CARGO_TARGET_DIR:-$root/target}/release/vital"
fi
test -x "$VITAL_BIN" || { echo "ci.sh: no executable vital binary at $VITAL_BIN" >&2; exit 1; }
rm -f server/vital server/vital.exe
cp "$VITAL_BIN" server/vital
chmod 755 server/vital
# The release profile keeps line tables (42 MB); the packaged copy keeps the
# symbols (function names in a panic's backtrace) without them (about 8 MB).
if command -v strip >/dev/null 2>&1; then
  strip --strip-debug server/vital
fi
server/vital --version

echo "== vsce package --target $target"
rm -f "$vsix"
npx vsce package --allow-missing-repository --target "$target" -o "$vsix"
test -s "$vsix"

# The package must carry the server, executable, beside the compiled client.
python3 - "$vsix" <<'EOF'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
for need in ("extension/server/vital", "extension/out/extension.js", "extension/package.json"):
    assert need in names, f"{sys.argv[1]} lacks {need}"
manifest = z.read("extension.vsixmanifest").decode()
assert 'TargetPlatform="' in manifest, "the .vsix names no target platform"
print(f"{sys.argv[1]}: {len(names)} files, server/vital {z.getinfo('extension/server/vital').file_size} bytes")
EOF

echo "== done: $(pwd)/$vsix ($(wc -c < "$vsix") bytes)"
# The grammar test summary, last, so that it is the run's closing line.
grep -E '^grammar: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1
