#!/usr/bin/env bash
# `npm run bench`: first what `npm test` costs on this machine against its goal of 12 s
# (test/bench/fast-tier.ts, FAST_TIER_ROUNDS=5, also `npm run bench:fast-tier`), before the control
# plane starts and loads the machine; then the dev stack through the real engine against the floor
# (the same objects applied with kubectl) and the chart against Helm; see test/bench/bench.ts.
# BENCH_ROUNDS=3. Between the two, the time to a ready hub on the real node (.ci/bench-ready.sh,
# test/bench/ready.ts), on a control plane of its own that is gone before the next starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node --import tsx test/bench/fast-tier.ts
bash .ci/bench-ready.sh
SUITE=bench CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-24000}
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
node --import tsx test/bench/bench.ts
