#!/usr/bin/env bash
# `npm run test:e2e`: the real Pulumi engine against a local Kubernetes control plane.
# Uses the `pulumi` on PATH (CLI, Node.js language host and the kubernetes, random and tls
# provider plugins: this project does not build them) and the z2jh chart at
# JUPYTERHUB_CHART_DIR (the stand-in chart when unset). Without a Pulumi CLI it prints one
# SKIPPED line and exits 0. Starts a private cluster and stops it, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUITE=e2e CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-20000}
# shellcheck source=.ci/engine-cluster.sh
. .ci/engine-cluster.sh
files=(test/e2e/engine.test.ts test/e2e/job-replace.test.ts test/e2e/preflight.test.ts test/e2e/seed.test.ts test/e2e/token-upgrade.test.ts test/e2e/storage-move.test.ts test/e2e/upgrade.test.ts test/e2e/data-key.test.ts)
# The chart upgrade rehearsal needs the real chart and the oldest one the program supports
# (config.ts CHART_RANGE), which a user keeps beside it: ~/.cache/jupyterhub-chart/4.3.5.
export JUPYTERHUB_PREVIOUS_CHART_DIR="${JUPYTERHUB_PREVIOUS_CHART_DIR:-$(dirname "${JUPYTERHUB_CHART_DIR:-/nonexistent/chart}")/4.3.5}"
if [ -n "${JUPYTERHUB_CHART_DIR:-}" ] && [ -f "$JUPYTERHUB_PREVIOUS_CHART_DIR/Chart.yaml" ]; then
  files+=(test/e2e/chart-upgrade.test.ts)
else
  echo "chart-upgrade: SKIPPED — the chart upgrade rehearsal needs the real chart (JUPYTERHUB_CHART_DIR) and z2jh 4.3.5 (JUPYTERHUB_PREVIOUS_CHART_DIR, default: 4.3.5 beside the first)"
fi
node --import tsx --test --test-timeout=600000 --test-concurrency=1 "${files[@]}"
