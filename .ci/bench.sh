#!/usr/bin/env bash
# `npm run bench`: the dev stack through the real engine against the floor (the same objects
# applied with kubectl) and the chart against Helm; see test/bench/bench.ts. BENCH_ROUNDS=3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=bench CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-24000}
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
node --import tsx test/bench/bench.ts
