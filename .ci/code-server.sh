#!/usr/bin/env bash
# Installs code-server (VS Code's web build) from the npm registry, without
# the network access its own install script needs, into a cache directory
# that is reused when present and complete.
#
#   bash .ci/code-server.sh        # prints the code-server launcher last
#
# code-server 4.100.3 is VS Code 1.100, the last release for Node 20. Its
# postinstall downloads ripgrep and prebuilt native modules, which fails
# offline, so the steps are done here by hand: npm install --ignore-scripts,
# argon2 rebuilt, lib/vscode's dependencies installed without scripts,
# Debian's rg where @vscode/ripgrep looks for it, the native modules
# compiled against the local Node headers, node_modules.asar linked, and
# extensions/' dependencies installed.
#
# Cache: $VITAL_CI_CACHE (default /var/cache/vital-ci)/code-server-VERSION.
# A finished install has a .complete marker; anything else is rebuilt from
# scratch in a temporary directory and moved into place at the end. An
# uncached install takes about 10-15 minutes on 2 cores.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE_ROOT="${VITAL_CI_CACHE:-/var/cache/vital-ci}"
DEST="$CACHE_ROOT/code-server-$VERSION"
LAUNCHER="$DEST/node_modules/code-server/out/node/entry.js"

log() { printf '[code-server.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ -f "$DEST/.complete" && -f "$LAUNCHER" ]]; then
  log "reusing $DEST (installed $(cat "$DEST/.complete"))"
  echo "$LAUNCHER"
  exit 0
fi

start=$SECONDS

# Debian packages: ripgrep for search, compilers and headers for the native
# modules (kerberos needs krb5, the keychain libsecret, native-keymap X11).
packages=(build-essential pkg-config python3 ripgrep libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "code-server.sh: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != 20 ]]; then
  echo "code-server.sh: code-server $VERSION needs Node 20, this is $(node --version)" >&2
  exit 1
fi

# node-gyp would download Node's headers; use the ones installed with node.
gyp_args=()
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [[ -f "$node_prefix/include/node/node.h" ]]; then
  gyp_args=(--nodedir="$node_prefix")
fi

mkdir -p "$CACHE_ROOT"
WORK="$(mktemp -d "$CACHE_ROOT/.code-server-$VERSION.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
npm_flags=(--no-audit --no-fund --no-update-notifier --loglevel=error)
# node-pty's install script runs `npx node-gyp`, which must not stop to ask.
export npm_config_yes=true

log "npm install code-server@$VERSION --ignore-scripts"
npm install --prefix "$WORK" "code-server@$VERSION" --ignore-scripts "${npm_flags[@]}" >&2
CS="$WORK/node_modules/code-server"

log "npm rebuild argon2"
# (argon2 is hoisted to the install prefix; no prebuilt download here, so
# node-pre-gyp falls back to building it)
(cd "$WORK" && npm rebuild argon2 "${gyp_args[@]}" "${npm_flags[@]}" >&2)

log "lib/vscode: npm install --omit=dev --ignore-scripts"
(cd "$CS/lib/vscode" && npm install --omit=dev --ignore-scripts "${npm_flags[@]}" >&2)

log "lib/vscode: Debian's rg for @vscode/ripgrep"
rg_dir="$CS/lib/vscode/node_modules/@vscode/ripgrep/bin"
mkdir -p "$rg_dir"
cp "$(command -v rg)" "$rg_dir/rg"
# the whole output read (sed, not head): rg writing into a closed pipe
# fails the step under pipefail
"$rg_dir/rg" --version | sed -n 1p >&2

log "lib/vscode: rebuild the native modules"
(cd "$CS/lib/vscode" &&
  npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid \
    "${gyp_args[@]}" "${npm_flags[@]}" >&2)

log "lib/vscode: node_modules.asar, the code and browser helper scripts"
(
  cd "$CS/lib/vscode"
  ln -sfn node_modules node_modules.asar
  ln -sfn code-linux.sh bin/remote-cli/code-server
  ln -sfn browser-linux.sh bin/helpers/browser.sh
)

log "lib/vscode/extensions: npm install --omit=dev"
(cd "$CS/lib/vscode/extensions" &&
  npm install --omit=dev --ignore-scripts "${npm_flags[@]}" >&2 &&
  node ./postinstall.mjs >/dev/null)

# Every native module must load under this node, or VS Code fails later and
# less clearly (a terminal that never opens, a file watcher that never fires).
log "check: the native modules load"
(cd "$CS/lib/vscode" && node -e '
  for (const m of ["@parcel/watcher", "@vscode/spdlog", "kerberos", "native-watchdog", "node-pty", "@vscode/deviceid"]) {
    require(m);
  }
')
(cd "$CS" && node -e 'require("argon2")')
# (XDG_CONFIG_HOME: code-server writes a default config file on its first run)
XDG_CONFIG_HOME="$WORK/.config-probe" node "$CS/out/node/entry.js" --version >&2
rm -rf "$WORK/.config-probe"

date -u +%Y-%m-%dT%H:%M:%SZ >"$WORK/.complete"
rm -rf "$DEST"
mv "$WORK" "$DEST"
trap - EXIT
log "installed in $DEST in $((SECONDS - start)) s"
echo "$LAUNCHER"
