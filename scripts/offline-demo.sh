#!/bin/sh
# `npm ci && npm start` on a machine without network, as issue 14 asks to show it: a copy of
# the repository, a network namespace with only loopback (run as root: unshare -n), npm ci from
# the local npm cache, npm start, then what the service says, and a screenshot of its status
# page (docs/img/status-page-offline.png) with Debian's chromium.
#   sudo sh scripts/offline-demo.sh [OUT_DIR]
set -eu
if [ "${M365FC_DEMO_INSIDE:-}" != 1 ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  out=${1:-$(mktemp -d)}
  work=$(mktemp -d)
  (cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$work")
  M365FC_DEMO_INSIDE=1 M365FC_DEMO_WORK="$work" M365FC_DEMO_OUT="$out" exec unshare -n sh "$repo/scripts/offline-demo.sh"
fi
ip link set lo up
cd "$M365FC_DEMO_WORK"
echo "== interfaces (loopback only) and routes (none)"; ip -brief addr; ip route
echo "== npm ci"; npm ci --offline --no-audit --no-fund 2>&1 | tail -1
echo "== npm start"
HOME="$M365FC_DEMO_WORK/home" setsid npm start > "$M365FC_DEMO_OUT/start.log" 2>&1 &
group=$!
i=0
until curl -s -o /dev/null http://127.0.0.1:8365/healthz; do i=$((i + 1)); [ "$i" -lt 180 ] || exit 1; sleep 1; done
echo "== serving ${i} s after npm start (build included)"
curl -s 'http://127.0.0.1:8365/v1/classify?host=teams.microsoft.com&port=443&protocol=tcp'; echo
curl -s http://127.0.0.1:8365/v1/version; echo
curl -s http://127.0.0.1:8365/metrics | grep -E '^m365fc_(updater|data_info)'
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1000 --virtual-time-budget=4000 \
  --screenshot="$M365FC_DEMO_OUT/status-page-offline.png" 'http://127.0.0.1:8365/?poll=500' 2>/dev/null || true
echo "== log"; cut -c1-240 "$M365FC_DEMO_OUT/start.log" | grep '^{'
kill -TERM "-$group"
