#!/usr/bin/env bash
# `npm run test:apiserver`: the program's objects against a real kube-apiserver and its chart
# values through real Helm (no Pulumi engine: see test/apiserver/harness.ts).
# Builds what the tool cache lacks, starts a private control plane, stops it whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash .ci/toolchain.sh node k8s helm
# shellcheck disable=SC1091
. "${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain}/env.sh"
export JHUB_CLUSTER_DIR="${JHUB_CLUSTER_DIR:-$(mktemp -d /tmp/jhub-cluster-api.XXXXXX)}"
# A private cluster on its own ports, so a developer's running cluster is not disturbed.
export JHUB_APISERVER_PORT="${JHUB_APISERVER_PORT:-16443}" JHUB_ETCD_PORT="${JHUB_ETCD_PORT:-12379}" JHUB_ETCD_PEER_PORT="${JHUB_ETCD_PEER_PORT:-12380}"
export JHUB_KCM_PORT="${JHUB_KCM_PORT:-11257}" JHUB_SCHEDULER_PORT="${JHUB_SCHEDULER_PORT:-11259}" JHUB_KWOK_PORT="${JHUB_KWOK_PORT:-11247}"
trap 'bash .ci/cluster.sh stop || true' EXIT
bash .ci/cluster.sh start
export KUBECONFIG="$JHUB_CLUSTER_DIR/kubeconfig"
rm -rf .build && npx tsc -p tsconfig.json
node --test --test-concurrency=1 .build/test/apiserver/*.apiserver.js
