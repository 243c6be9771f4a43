#!/usr/bin/env bash
# One-time (idempotent) set-up on a fresh Debian machine, run by `npm start` and `npm test`:
#   1. Debian packages: bubblewrap, debootstrap (the sandbox's tools), gcc + libc6-dev (to build
#      the sandbox's determinism layer, src/sandbox/det/twdet.c), chromium (the browser tests of
#      `tw report` and `tw view`, driven by playwright-core; no browser is ever downloaded),
#      python3 (the gym's Python client test, examples/python: standard library only)
#   2. npm packages (npm ci), with onnxruntime-node's download step skipped
#   3. the sandbox root tree (Debian bookworm "workstation" image), built once into the user cache
set -euo pipefail
cd "$(dirname "$0")/.."
QUIET=0; [ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "setup: $*"; }

need_pkgs=()
for bin_pkg in bwrap:bubblewrap debootstrap:debootstrap cc:gcc chromium:chromium python3:python3; do
  command -v "${bin_pkg%%:*}" >/dev/null 2>&1 || need_pkgs+=("${bin_pkg##*:}")
done
[ -e /usr/include/stdio.h ] || need_pkgs+=(libc6-dev)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${need_pkgs[*]}; run as root or: sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# onnxruntime-node's postinstall would fetch binaries from an unreachable host; the CPU
# binaries ship inside the package, so skip it (newer npm skips unapproved scripts anyway).
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "checking the sandbox root tree"
node bin/tw.js sandbox setup $([ "$QUIET" = 1 ] && echo --quiet)
