#!/usr/bin/env bash
# kts launcher: installs npm dependencies and builds on first run (or when
# sources changed), then runs the CLI.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "kts: Node.js 20 or newer is required (apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -d "$ROOT/node_modules/better-sqlite3" ] || [ "$ROOT/package.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
  echo "kts: installing dependencies (first run)..." >&2
  (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
# The node agent needs containerd, runc and the CNI plugins (Debian's
# packages); install them on first use when running as root.
case "${1:-}" in
  up|server)
    if [[ " $* " != *" agent"* ]] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      missing=()
      command -v containerd >/dev/null 2>&1 || missing+=(containerd)
      command -v runc >/dev/null 2>&1 || missing+=(runc)
      [ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || missing+=(containernetworking-plugins)
      [ -x /bin/busybox ] || missing+=(busybox-static)
      command -v iptables >/dev/null 2>&1 || missing+=(iptables)
      if [ ${#missing[@]} -gt 0 ]; then
        echo "kts: installing ${missing[*]} (first run)..." >&2
        (export DEBIAN_FRONTEND=noninteractive; apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2)
      fi
    fi
    ;;
esac
MAIN="$ROOT/dist/src/cli/main.js"
if [ ! -f "$MAIN" ] || [ -n "$(find "$ROOT/src" -name '*.ts' -newer "$MAIN" -print -quit)" ]; then
  echo "kts: building..." >&2
  (cd "$ROOT" && node_modules/.bin/tsc -p . >&2)
fi
exec node "$MAIN" "$@"
