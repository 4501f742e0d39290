#!/usr/bin/env bash
# Sourced by the suites that need a Kubernetes API server (.ci/apiserver.sh and, through
# .ci/engine-cluster.sh, the engine suites): builds what the tool cache lacks, starts a private
# control plane for SUITE on ports of its own (CLUSTER_PORT_BASE + the usual port numbers), so
# that a developer's cluster and the other suites are not disturbed, and stops it on exit. Bases
# in use: 10000 apiserver, 14000 reliability, 16000 scale, 20000 e2e, 24000 bench (each suite's
# default; CLUSTER_PORT_BASE=<n> runs it on another base, e.g. beside a run on the default): every
# port stays below 32768, where Linux's ephemeral range begins (an outgoing connection holding
# 42380 once stopped etcd from starting).
# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
bash .ci/toolchain.sh k8s helm
# shellcheck disable=SC1091  # written by .ci/toolchain.sh into the tool cache, not in the repository
. "$JHUB_TOOLCHAIN_DIR/env.sh"
export JHUB_CLUSTER_DIR="${JHUB_CLUSTER_DIR:-$(mktemp -d "/tmp/jhub-cluster-${SUITE:?}.XXXXXX")}"
base=${CLUSTER_PORT_BASE:?}
(( base + 6443 < 32768 )) || { echo "CLUSTER_PORT_BASE $base puts ports in the ephemeral range (>= 32768)" >&2; exit 1; }
# Two runs of one suite on one machine (two clones, a developer and CI) would start two clusters
# on the same ports: the second waits for the first instead (the lock goes with this shell).
exec {ports_lock}>"/tmp/jhub-ports-$base.lock"
flock -w 3600 "$ports_lock" || { echo "ports $base: still held by another run after an hour (/tmp/jhub-ports-$base.lock)" >&2; exit 1; }
export JHUB_APISERVER_PORT="${JHUB_APISERVER_PORT:-$((base + 6443))}" JHUB_ETCD_PORT="${JHUB_ETCD_PORT:-$((base + 2379))}"
export JHUB_ETCD_PEER_PORT="${JHUB_ETCD_PEER_PORT:-$((base + 2380))}" JHUB_KCM_PORT="${JHUB_KCM_PORT:-$((base + 1257))}"
export JHUB_SCHEDULER_PORT="${JHUB_SCHEDULER_PORT:-$((base + 1259))}" JHUB_KWOK_PORT="${JHUB_KWOK_PORT:-$((base + 1247))}"
trap 'bash .ci/cluster.sh stop || true' EXIT
bash .ci/cluster.sh start
export KUBECONFIG="$JHUB_CLUSTER_DIR/kubeconfig"
