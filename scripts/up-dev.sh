#!/usr/bin/env bash
# One command: sets up everything and runs `pulumi up` of the self-contained dev stack, with a
# local file backend in .pulumi-local/ (gitignored).
#   scripts/up-dev.sh [extra pulumi up flags]      e.g. --yes, --skip-preview
# Where: the cluster of the current kubeconfig context when it answers. Without a context, a local
# kind cluster named $JHUB_KIND_CLUSTER (default jupyterhub-dev) on Docker or Podman: created on
# the first run (kind and its node image pinned in .ci/lib.sh), reused by the next ones, removed
# by scripts/down-dev.sh. On it the script loads the kernel's NFS server module for the in-cluster
# NFS server, waits until every pod is Ready, and ends with how to open the hub and log in.
# Needs the Pulumi CLI (with its Node.js language host and the kubernetes, random and tls plugins)
# on PATH, or in ~/.pulumi/bin where its installer puts it; kubectl and kind are installed into
# the tool cache when missing. Without the chart repository (offline clusters), point
# JUPYTERHUB_CHART_DIR at a local copy of the pinned chart.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,13p' "$0" | cut -c3-; exit 0 ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
# shellcheck source=scripts/kind-env.sh
. scripts/kind-env.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

# Everything is checked before anything is created.
if ! command -v pulumi >/dev/null 2>&1 && [ -x "$HOME/.pulumi/bin/pulumi" ]; then PATH="$HOME/.pulumi/bin:$PATH"; fi
command -v pulumi >/dev/null 2>&1 || {
  cat >&2 <<'MSG'
No Pulumi CLI: it is neither on PATH nor in ~/.pulumi/bin. Install it
(https://www.pulumi.com/docs/iac/download-install/) and run this script again.
MSG
  exit 1
}
use_kubectl || exit 1

context=$(kubectl config current-context 2>/dev/null || true)
kind_context="kind-$KIND_CLUSTER"
on_kind=false
refresh=()
if [ -n "$context" ] && [ "$context" != "$kind_context" ]; then
  kubectl --request-timeout=15s get --raw=/version >/dev/null 2>&1 || {
    cat >&2 <<MSG
The current kubeconfig context, $context, does not answer. Start its cluster, or switch to
another (kubectl config use-context NAME). Without a current context (kubectl config unset
current-context) this script creates a local kind cluster, $KIND_CLUSTER.
MSG
    exit 1
  }
else
  # No context (or the context of this script's own cluster): the local kind cluster.
  on_kind=true
  runtime=$(container_runtime) || { no_runtime_message "No usable Kubernetes context, and no container runtime to create a local cluster in."; exit 1; }
  kind_provider "$runtime"
  use_kind || exit 1
  if kind_cluster_exists; then
    echo "Reusing the kind cluster $KIND_CLUSTER ($runtime)"
    kind export kubeconfig --name "$KIND_CLUSTER"
  else
    echo "No Kubernetes context: creating the kind cluster $KIND_CLUSTER on $runtime ($KIND_NODE_IMAGE)"
    kind create cluster --name "$KIND_CLUSTER" --image "$KIND_NODE_IMAGE" --wait 5m
    # A state from an earlier cluster of this name lists objects the new one does not have.
    refresh=(--refresh)
  fi
  load_nfs_modules "$runtime" || exit 1
fi

state="$PWD/.pulumi-local"
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p "$state"
  export PULUMI_BACKEND_URL="file://$state"
fi
# The stack's secrets are encrypted with a passphrase; one is generated on first use and kept
# beside the state. Back both up together: without it the state's secrets cannot be read.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  mkdir -p "$state"
  [ -s "$state/passphrase" ] || (umask 077 && openssl rand -hex 32 > "$state/passphrase")
  export PULUMI_CONFIG_PASSPHRASE_FILE="$state/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

echo "Deploying the dev stack to context $(kubectl config current-context)"
if pulumi stack ls --json | grep -Eq '"name": *"([^"]*/)?dev"'; then
  pulumi stack select dev --non-interactive
else
  pulumi stack init dev --non-interactive
  # A new stack gets a data key: the credentials the kept data depend on are derived from it, so
  # that a destroy and an up give them back (docs/operations.md, "The data key"). A stack file
  # carried over with one keeps it.
  if [ -z "$(pulumi config get dataKey --stack dev 2>/dev/null || true)" ]; then
    printf %s "$(openssl rand -base64 32)" | pulumi config set --secret dataKey --stack dev --non-interactive
  fi
fi
if $on_kind && [ "$(pulumi config get skipAwait --stack dev 2>/dev/null || true)" = true ]; then
  echo "The dev stack sets skipAwait, which is for API-server-only test clusters: on kind every pod must become Ready. Remove it (pulumi config rm skipAwait --stack dev) and run again." >&2
  exit 1
fi
pulumi up --stack dev ${refresh[@]+"${refresh[@]}"} "$@"
pulumi stack output --stack dev

if $on_kind; then
  ns=$(pulumi stack output namespaceName --stack dev)
  echo "Waiting until every pod in $ns is Ready"
  kubectl -n "$ns" wait pod --all --for=condition=Ready --field-selector=status.phase!=Succeeded,status.phase!=Failed --timeout=10m
  kubectl -n "$ns" get pods
fi

env_prefix=""
case "$PULUMI_BACKEND_URL" in "file://$state") env_prefix="PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL " ;; esac
[ "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" = "$state/passphrase" ] && env_prefix+="PULUMI_CONFIG_PASSPHRASE_FILE=$state/passphrase "
cat <<MSG

The hub: $(pulumi stack output hubPortForward --stack dev 2>/dev/null || pulumi stack output hubUrl --stack dev)
Log in as demo (an admin). Its password:
  ${env_prefix}pulumi stack output ldapUserPasswords --show-secrets --stack dev
MSG
