#!/usr/bin/env bash
# Sourced by the suites that run the platform's own pods (.ci/journey.sh, .ci/bench.sh's time to
# ready): the real Pulumi engine, the real chart, a private control plane with the real node of
# .ci/node.sh, and every stand-in image of .ci/images.sh imported into the node's containerd under
# its real reference (the suite installs the ReadWriteMany class, test/support/local-rwx.ts). SUITE names the suite in
# its one `SUITE: SKIPPED — reason` line when the engine, the chart, the node or the images cannot
# be had. The node and the cluster are stopped and their state removed on exit, ^C and SIGTERM
# included (SIGKILL: the next start of .ci/node.sh cleans up what a killed node left). The caller
# sets `tests` to the PID of what it runs, which the cleanup stops first.
# shellcheck disable=SC2034  # tests and the exported paths are read by the caller
: "${SUITE:?}"
skip() { echo "$SUITE: SKIPPED — $*"; exit 0; }
# The engine and the chart where .ci/run finds them: the Pulumi installer's place, and the pinned
# chart version (Pulumi.yaml's default of hub.chartVersion) under ~/.cache/jupyterhub-chart.
if [ -x "$HOME/.pulumi/bin/pulumi" ]; then export PATH="$HOME/.pulumi/bin:$PATH"; fi
chart_default="$HOME/.cache/jupyterhub-chart/$(sed -n 's/^ *chartVersion: *\([0-9][^ ]*\)$/\1/p' Pulumi.yaml)"
if [ -z "${JUPYTERHUB_CHART_DIR:-}" ] && [ -f "$chart_default/Chart.yaml" ]; then export JUPYTERHUB_CHART_DIR="$chart_default"; fi
command -v pulumi >/dev/null 2>&1 || skip "no Pulumi engine on this machine (no pulumi on PATH)"
[ -f "${JUPYTERHUB_CHART_DIR:-/nonexistent}/Chart.yaml" ] ||
  skip "the real z2jh chart is needed (JUPYTERHUB_CHART_DIR, e.g. ~/.cache/jupyterhub-chart/4.4.0): the stand-in chart has no pods"
if ! reason=$(bash .ci/node.sh preflight 2>&1); then skip "no real node here: ${reason:-.ci/node.sh preflight failed}"; fi
if reason=$(bash .ci/images.sh check 2>&1); then
  bash .ci/images.sh build # what is not cached (a cold cache: about an hour, docs/images.md)
else
  # without the builders, images built earlier still serve
  for name in $(bash .ci/images.sh list | cut -f1); do
    bash .ci/images.sh path "$name" >/dev/null 2>&1 || skip "the stand-in image $name is not built and cannot be here: $reason"
  done
fi
# One node per machine (its bridge, iptables, sysctls): wait for another suite's node.
exec {node_lock}>/tmp/jhub-node-tier.lock
flock -w 3600 "$node_lock" || { echo "$SUITE: /tmp/jhub-node-tier.lock still held by another run after an hour" >&2; exit 1; }
# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
bash .ci/toolchain.sh worker
# shellcheck source=.ci/private-cluster.sh
. .ci/private-cluster.sh
export JHUB_NODE_DIR="$JHUB_CLUSTER_DIR/node"
# What the suite writes (the engine's projects and state) goes with the cluster's state.
export TMPDIR="$JHUB_CLUSTER_DIR/tmp"
mkdir -p "$TMPDIR"
tests=""
node_cluster_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "$tests" ]] && kill -TERM "$tests" 2>/dev/null; then wait "$tests" 2>/dev/null; fi
  # cluster.sh clean stops the node first (its pods through the kubelet), then the control plane
  bash .ci/cluster.sh clean >/dev/null 2>&1 || bash .ci/cluster.sh clean
  exit "$rc"
}
trap node_cluster_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash .ci/node.sh start
# kwok's fake node out of the way: the node tier's taint does not keep off pods that tolerate every
# taint (the chart's DaemonSet, local-path-provisioner's helper pods), which kwok would then fake
kubectl delete nodes -l type=kwok
t0=$SECONDS
while IFS=$'\t' read -r name ref _; do
  bash .ci/node.sh import "$(bash .ci/images.sh path "$name")" "$ref"
done < <(bash .ci/images.sh list)
echo "[$SUITE] images imported in $((SECONDS - t0)) s" >&2
