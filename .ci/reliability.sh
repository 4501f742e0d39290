#!/usr/bin/env bash
# `npm run test:reliability`: faults and bad input through the real Pulumi engine (see
# test/e2e/reliability.test.ts). Same requirements and SKIPPED line as .ci/e2e.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=reliability CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-14000}
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
node --import tsx --test --test-timeout=1800000 test/e2e/reliability.test.ts
