#!/usr/bin/env bash
# `npm run test:e2e`: the real Pulumi engine against a local Kubernetes control plane.
# Uses the `pulumi` on PATH (CLI, Node.js language host and the kubernetes, random and tls
# provider plugins: this project does not build them) and the z2jh chart at
# JUPYTERHUB_CHART_DIR (the stand-in chart when unset). Without a Pulumi CLI it prints one
# SKIPPED line and exits 0. Starts a private cluster and stops it, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v pulumi >/dev/null 2>&1; then
  echo "e2e: SKIPPED — no Pulumi engine on this machine (no pulumi on PATH)"
  exit 0
fi
bash .ci/toolchain.sh node k8s
# shellcheck disable=SC1091
. "${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain}/env.sh"
export JHUB_CLUSTER_DIR="${JHUB_CLUSTER_DIR:-$(mktemp -d /tmp/jhub-cluster-e2e.XXXXXX)}"
# Ports of its own, so that a developer's cluster and the other suites are not disturbed.
export JHUB_APISERVER_PORT="${JHUB_APISERVER_PORT:-26443}" JHUB_ETCD_PORT="${JHUB_ETCD_PORT:-22379}" JHUB_ETCD_PEER_PORT="${JHUB_ETCD_PEER_PORT:-22380}"
export JHUB_KCM_PORT="${JHUB_KCM_PORT:-21257}" JHUB_SCHEDULER_PORT="${JHUB_SCHEDULER_PORT:-21259}" JHUB_KWOK_PORT="${JHUB_KWOK_PORT:-21247}"
trap 'bash .ci/cluster.sh stop || true' EXIT
bash .ci/cluster.sh start
export KUBECONFIG="$JHUB_CLUSTER_DIR/kubeconfig"
rm -rf .build && npx tsc -p tsconfig.json
node --test --test-timeout=3600000 .build/test/e2e/engine.e2e.js
