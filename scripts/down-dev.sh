#!/usr/bin/env bash
# Removes the local kind cluster that scripts/up-dev.sh created ($JHUB_KIND_CLUSTER, default
# jupyterhub-dev), after saying what data goes with it and asking for its name.
#   scripts/down-dev.sh [--yes]      --yes: without asking (scripts, CI)
# The dev stack's state and passphrase in .pulumi-local/ stay: the next scripts/up-dev.sh creates
# a new cluster and deploys the stack there, with the same generated passwords and empty homes.
# A stack deployed to a cluster of your own is not touched: `pulumi destroy` removes it.
set -euo pipefail
usage() { sed -n '2,7p' "$0" | cut -c3-; }
yes=false
for arg in "$@"; do
  case "$arg" in
    -y | --yes) yes=true ;;
    -h | --help) usage; exit 0 ;;
    *) { echo "down-dev.sh: unknown argument $arg"; usage; } >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/kind-env.sh
. scripts/kind-env.sh

runtime=$(container_runtime) || {
  echo "Neither Docker nor Podman answers, so the kind cluster $KIND_CLUSTER cannot be looked at: start the one it runs on and run this script again." >&2
  exit 1
}
kind_provider "$runtime"
# Any kind deletes a cluster: the pinned one from the tool cache, else the one on PATH.
if [ -x "$KIND_BIN_DIR/kind" ]; then PATH="$KIND_BIN_DIR:$PATH"; fi
if ! command -v kind >/dev/null 2>&1 || ! kind_cluster_exists; then
  echo "No kind cluster named $KIND_CLUSTER on $runtime: nothing to remove."
  exit 0
fi

cat <<MSG
Removing the kind cluster $KIND_CLUSTER ($runtime) deletes everything in it, for good:
  - every user's home directory and the shared and group folders (the in-cluster NFS server's volume),
  - the hub database (MySQL: users, tokens, server records) and the directory (OpenLDAP),
  - the backups of both, which are kept on that same NFS volume.
\`pulumi destroy\` keeps these; deleting the cluster does not. Copy out what you need first
(docs/operations.md, "Backups and restore").
Kept: the dev stack's state and passphrase in .pulumi-local/ (the generated passwords).
MSG
if ! $yes; then
  if [ ! -t 0 ]; then
    echo "Not asked on a terminal: run with --yes to remove it." >&2
    exit 1
  fi
  read -r -p "Type the cluster's name ($KIND_CLUSTER) to remove it: " answer
  [ "$answer" = "$KIND_CLUSTER" ] || { echo "Not removed."; exit 1; }
fi
kind delete cluster --name "$KIND_CLUSTER"
echo "Removed the kind cluster $KIND_CLUSTER."
