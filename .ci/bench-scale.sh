#!/usr/bin/env bash
# `npm run bench:scale`: what the number of directory users costs a stack (up and no-op preview
# with 2, 300 and 1000 users, ratios to the 2-user stack), with the real engine and chart; see
# test/bench/scale.ts. SCALE_USERS=2,300,1000 SCALE_ROUNDS=3 SCALE_PREVIEWS=3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=scale CLUSTER_PORT_BASE=16000
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
node --import tsx test/bench/scale.ts
