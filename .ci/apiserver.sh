#!/usr/bin/env bash
# `npm run test:apiserver`: the program's objects against a real kube-apiserver and its chart
# values through real Helm (see test/support/apiserver-harness.ts), on a private control plane.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=api CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-10000}
# shellcheck source=.ci/private-cluster.sh
. .ci/private-cluster.sh
node --import tsx --test --test-concurrency=1 "test/apiserver/*.test.ts"
