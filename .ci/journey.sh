#!/usr/bin/env bash
# `npm run test:journey`: the dev stack's journey through the real engine on the real node
# (test/journey/*.test.ts): `pulumi up` without skipAwait, a user's login through the proxy, their
# server, the directory's sync, the backups and their restore, destroy and up again. The set-up
# (.ci/node-cluster.sh) prints one `journey: SKIPPED — reason` line and exits 0 without the engine,
# the real chart, a node or the images; anything that fails after that is a failure. The node and
# the cluster are removed on exit, ^C and SIGTERM included.
#   bash .ci/journey.sh [COMMAND...]   runs COMMAND in the set-up instead of the tests (debugging)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=journey CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-22000}
# shellcheck source=.ci/node-cluster.sh
. .ci/node-cluster.sh
if [ "$#" -gt 0 ]; then
  "$@" &
else
  node --import tsx --test --test-concurrency=1 --test-timeout=3600000 test/journey/*.test.ts &
fi
tests=$!
wait "$tests"
