#!/usr/bin/env bash
# Media benchmark: the same load generator against (1) a plain pion relay,
# (2) open110's media path with recording (a UDP port per peer, pion's
# default), (3) the same with one shared UDP socket and batched writes.
# Usage: bench/media/run.sh [callers] [duration]   (defaults 200, 30s)
set -euo pipefail
N=${1:-200}
DUR=${2:-30s}
cd "$(dirname "$0")/../.."
OUT=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$OUT"' EXIT
go build -o "$OUT/" ./bench/media/...

run() { # label, server pid, port
  "$OUT/loadgen" --server "http://127.0.0.1:$3" --mode direct --callers "$N" --dispatchers 10 \
    --duration "$DUR" --bitrate-kbps 1000 --server-pid "$2" --label "$1" 2>"$OUT/$1.log" | tail -1
}

"$OUT/relay" --addr 127.0.0.1:8121 >"$OUT/relay.out" 2>&1 & RP=$!
sleep 1; run baseline-pion-relay $RP 8121; kill $RP; wait $RP 2>/dev/null || true

mkdir -p "$OUT/d1"
"$OUT/server" --addr 127.0.0.1:8122 --data "$OUT/d1" >"$OUT/s1.out" 2>&1 & SP=$!
sleep 1; run open110-recording $SP 8122; kill $SP; wait $SP 2>/dev/null || true

mkdir -p "$OUT/d2"
"$OUT/server" --addr 127.0.0.1:8123 --data "$OUT/d2" --udp 127.0.0.1:8124 >"$OUT/s2.out" 2>&1 & SP=$!
sleep 1; run open110-recording-shared-udp $SP 8123; kill $SP; wait $SP 2>/dev/null || true
echo "segments stored: $(grep -h 'segments uploaded' "$OUT"/s*.out | tr '\n' ' ')"
