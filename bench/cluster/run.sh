#!/usr/bin/env bash
# bench/cluster/run.sh [SOAK_DURATION] — the issue 9 runs behind bench/RESULTS.md
# "Cluster and faults": the two-node latency test, the short and the heavy
# chaos runs, the media failover test and a soak, each on real `open110 serve`
# processes (see cluster/doc.go). JSON summaries land in $OUT (default
# bench/cluster/out). Needs PostgreSQL's server binaries (initdb, pg_ctl),
# nats-server, and OPEN110_TEST_POSTGRES for the tests on a shared database.
set -euo pipefail
cd "$(dirname "$0")/../.."
soak="${1:-30m}"
out="${OUT:-bench/cluster/out}"
mkdir -p "$out"
export OPEN110_CLUSTER_RESULTS="$PWD/$out"
export OPEN110_TEST_POSTGRES="${OPEN110_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
bin="$(mktemp -d)/open110"
go build -o "$bin" ./cmd/open110
export OPEN110_BINARY="$bin"
echo "machine: $(nproc) vCPU, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
go test -count=1 -v -run 'TestTwoNodes|TestChaos|TestMediaFailover' ./cluster/ | grep -E '^(=== RUN|--- |ok|FAIL)|t=' || true
OPEN110_CHAOS=1 go test -count=1 -v -timeout 20m -run TestChaos ./cluster/ | grep -E '^(--- |ok|FAIL)|t=' || true
go test -count=1 -v -timeout "$(( ${soak%m} + 15 ))m" -run TestSoak ./cluster/ -soak "$soak" | grep -E '^(--- |ok|FAIL)|grew' || true
ls -l "$out"
