#!/usr/bin/env bash
# Sourced by the suites that drive the real Pulumi engine (.ci/e2e.sh, .ci/reliability.sh,
# .ci/bench.sh, .ci/bench-scale.sh): without `pulumi` on PATH it prints one SKIPPED line for SUITE
# and exits 0; with it, a private control plane as .ci/private-cluster.sh starts one.
if ! command -v pulumi >/dev/null 2>&1; then
  echo "${SUITE:?}: SKIPPED — no Pulumi engine on this machine (no pulumi on PATH)"
  exit 0
fi
# shellcheck source=.ci/private-cluster.sh
. .ci/private-cluster.sh
# A default StorageClass, as kind's (WaitForFirstConsumer): the preflight refuses the stack's
# claims on a cluster without one. Nothing provisions it here: the suites bind the claims they
# need to volumes of their own, as a provisioner would.
kubectl apply -f - <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
YAML
