#!/usr/bin/env bash
# `npm run bench`'s time to a ready hub (test/bench/ready.ts): the journey's stack from nothing on
# the real node, as .ci/journey.sh sets it up (.ci/node-cluster.sh: one `bench-ready: SKIPPED —
# reason` line without the engine, the chart, a node or the images). Its own control plane on port
# base 12000, removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=bench-ready CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-12000}
# shellcheck source=.ci/node-cluster.sh
. .ci/node-cluster.sh
node --import tsx test/bench/ready.ts &
tests=$!
wait "$tests"
