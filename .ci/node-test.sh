#!/usr/bin/env bash
# `npm run test:node`: a real node (.ci/node.sh) on a private control plane (test/node/*.test.ts).
# When this machine cannot run a node (.ci/node.sh preflight: not root, no overlayfs, cgroups, bridge
# netfilter, or the Debian packages cannot be installed) it prints one `node: SKIPPED — <reason>`
# line and exits 0; anything that fails after that is a failure. The node and the cluster are
# stopped and their state removed on exit, ^C and SIGTERM included.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! reason=$(bash .ci/node.sh preflight 2>&1); then
  echo "node: SKIPPED — ${reason:-.ci/node.sh preflight failed}"
  exit 0
fi
# The stand-in images of the class local-rwx (test/support/local-rwx.ts): cached, else built now,
# before the node's lock (a cold build takes minutes).
bash .ci/images.sh build busybox local-path-provisioner
# One node per machine (its bridge, iptables, sysctls): a second run waits for the first.
exec {node_lock}>/tmp/jhub-node-tier.lock
flock -w 3600 "$node_lock" || { echo "the node tier: /tmp/jhub-node-tier.lock still held by another run after an hour" >&2; exit 1; }
# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
bash .ci/toolchain.sh worker
SUITE=node CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-26000}
# shellcheck source=.ci/private-cluster.sh
. .ci/private-cluster.sh
export JHUB_NODE_DIR="$JHUB_CLUSTER_DIR/node"
tests=""
# cluster.sh clean stops the node first, then the control plane, then removes both states
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "$tests" ]] && kill -TERM "$tests" 2>/dev/null; then wait "$tests" 2>/dev/null; fi
  bash .ci/cluster.sh clean >/dev/null 2>&1 || bash .ci/cluster.sh clean
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Every file of the tier, or those given (`npm run test:node -- test/node/local-rwx.test.ts`).
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(test/node/faults.test.ts test/node/node.test.ts test/node/local-rwx.test.ts)
node --import tsx --test --test-concurrency=1 --test-timeout=900000 "${files[@]}" &
tests=$!
wait "$tests"
