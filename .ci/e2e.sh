#!/usr/bin/env bash
# `npm run test:e2e`: the real Pulumi engine against a local Kubernetes control plane.
# Builds whatever the toolchain cache lacks (cold: long; warm: seconds), starts the cluster,
# runs test/e2e/engine.e2e.ts, and stops the cluster it started, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/toolchain.sh pulumi k8s
# shellcheck disable=SC1091
. "${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain}/env.sh"
export JHUB_CLUSTER_DIR="${JHUB_CLUSTER_DIR:-$(mktemp -d /tmp/jhub-cluster-e2e.XXXXXX)}"
trap 'bash .ci/cluster.sh stop || true' EXIT
bash .ci/cluster.sh start
export KUBECONFIG="$JHUB_CLUSTER_DIR/kubeconfig"
rm -rf .build && npx tsc -p tsconfig.json
node --test --test-timeout=3600000 .build/test/e2e/engine.e2e.js
