#!/usr/bin/env bash
# `npm run bench:scale`: what the number of directory users costs a stack (up and no-op preview
# with the dev stack's own users, 300 and 1000, ratios to the dev stack), with the real engine and
# chart; see test/bench/scale.ts. SCALE_USERS=4,300,1000 SCALE_ROUNDS=3 SCALE_PREVIEWS=3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=scale CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-16000}
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
node --import tsx test/bench/scale.ts
