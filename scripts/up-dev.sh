#!/usr/bin/env bash
# One command: sets up everything and runs `pulumi up` of the self-contained dev stack against the
# current kubeconfig context, with a local file backend in .pulumi-local/ (gitignored).
#   scripts/up-dev.sh [extra pulumi up flags]      e.g. --yes, --skip-preview
# Needs the Pulumi CLI (with its Node.js language host and the kubernetes, random and tls plugins)
# on PATH, or in ~/.pulumi/bin where its installer puts it. Without the chart repository (offline
# clusters), point JUPYTERHUB_CHART_DIR at a local copy of the pinned chart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

if ! command -v pulumi >/dev/null 2>&1 && [ -x "$HOME/.pulumi/bin/pulumi" ]; then PATH="$HOME/.pulumi/bin:$PATH"; fi
command -v pulumi >/dev/null 2>&1 || {
  cat >&2 <<'MSG'
No Pulumi CLI: it is neither on PATH nor in ~/.pulumi/bin. Install it
(https://www.pulumi.com/docs/iac/download-install/) and run this script again.
MSG
  exit 1
}

state="$PWD/.pulumi-local"
mkdir -p "$state"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$state}"
# The stack's secrets are encrypted with a passphrase; one is generated on first use and kept
# beside the state. Back both up together: without it the state's secrets cannot be read.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  [ -s "$state/passphrase" ] || (umask 077 && openssl rand -hex 32 > "$state/passphrase")
  export PULUMI_CONFIG_PASSPHRASE_FILE="$state/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true

kubectl config current-context >/dev/null 2>&1 || {
  echo "No Kubernetes context in your kubeconfig: create a cluster first (kind create cluster, k3d cluster create, minikube start)." >&2
  exit 1
}
echo "Deploying the dev stack to context $(kubectl config current-context)"
pulumi stack select dev --create --non-interactive
pulumi up --stack dev "$@"
pulumi stack output --stack dev
echo "Demo user password: pulumi stack output ldapUserPasswords --show-secrets --stack dev"
