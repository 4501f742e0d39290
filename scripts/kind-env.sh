# shellcheck shell=bash
# Sourced by scripts/up-dev.sh, down-dev.sh and e2e-kind.sh: the project's local kind cluster.
#   KIND_CLUSTER        its name: $JHUB_KIND_CLUSTER, default jupyterhub-dev (kubectl context kind-<name>)
#   container_runtime   prints docker or podman, the first whose daemon answers; else returns 1
#   no_runtime_message  LINE, then what to install or start: the one message without a runtime
#   kind_provider       tells kind which runtime
#   use_kind            the pinned kind first on PATH: the tool cache's, a `kind` of that version on
#                       PATH, else `go install` into the cache, else the release binary
#   use_kubectl         kubectl on PATH, else the release binary of KUBE_VERSION in the cache
#   kind_cluster_exists, kind_node, load_nfs_modules (see each)
# Pins (KIND_VERSION, KIND_NODE_IMAGE, KUBE_VERSION) and the cache: .ci/lib.sh.
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../.ci/lib.sh"

KIND_CLUSTER="${JHUB_KIND_CLUSTER:-jupyterhub-dev}"

container_runtime() {
  local r
  for r in docker podman; do
    if command -v "$r" >/dev/null 2>&1 && "$r" info >/dev/null 2>&1; then
      echo "$r"
      return 0
    fi
  done
  return 1
}

# kind takes docker whenever `docker -v` works, even when only podman answers: name podman
# (sigs.k8s.io/kind@v0.33.0 pkg/cluster/internal/providers/docker/util.go IsAvailable,
# pkg/internal/runtime/runtime.go KIND_EXPERIMENTAL_PROVIDER).
kind_provider() { if [ "$1" = podman ]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi; }

# no_runtime_message LINE
no_runtime_message() {
  local installed="" r
  for r in docker podman; do command -v "$r" >/dev/null 2>&1 && installed+="${installed:+ and }$r"; done
  {
    echo "$1"
    if [ -n "$installed" ]; then
      echo "$installed is installed but its daemon does not answer (\`$installed info\` fails): start it (Docker Desktop, \`sudo systemctl start docker\`, \`podman machine start\`) and run this script again."
    else
      echo "Install Docker (https://docs.docker.com/engine/install/) or Podman and run this script again; it then creates a kind cluster named $KIND_CLUSTER. Or point kubectl at a cluster you have (kubectl config use-context NAME)."
    fi
  } >&2
}

# os-arch of this machine as Go names them (kind's and kubectl's release binaries are named so).
platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$os-$arch"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# download URL SHA256_URL FINAL: the file, checked against the digest published beside it (the
# first word of that file), renamed into place only when they match.
download() {
  local tmp want got
  mkdir -p "$(dirname "$3")"
  tmp="$3.tmp.$$"
  command -v curl >/dev/null 2>&1 || { log "no curl to download $1 with"; return 1; }
  curl -fsSL -o "$tmp" "$1" || { rm -f "$tmp"; log "could not download $1"; return 1; }
  want=$(curl -fsSL "$2" | cut -d' ' -f1) || { rm -f "$tmp"; log "could not download $2"; return 1; }
  got=$(sha256_of "$tmp")
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    rm -f "$tmp"
    log "$1: sha256 $got, but $2 says ${want:-nothing}"
    return 1
  fi
  chmod 0755 "$tmp"
  mv -f "$tmp" "$3"
}

use_kind() {
  if [ -x "$KIND_BIN_DIR/kind" ]; then
    PATH="$KIND_BIN_DIR:$PATH"
    return 0
  fi
  # `kind version` prints "kind v0.33.0 go1.x linux/amd64" (pkg/cmd/kind/version/version.go).
  if command -v kind >/dev/null 2>&1 && [ "$(kind version 2>/dev/null | cut -d' ' -f2)" = "v$KIND_VERSION" ]; then return 0; fi
  local tmp
  if command -v go >/dev/null 2>&1; then
    log "installing kind v$KIND_VERSION: go install sigs.k8s.io/kind@v$KIND_VERSION into $KIND_BIN_DIR"
    mkdir -p "$KIND_BIN_DIR"
    tmp=$(mktemp -d "$KIND_BIN_DIR/.gobin.XXXXXX")
    if GOBIN="$tmp" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local CGO_ENABLED=0 go install "sigs.k8s.io/kind@v$KIND_VERSION" && [ -x "$tmp/kind" ]; then
      mv -f "$tmp/kind" "$KIND_BIN_DIR/kind"
    fi
    rm -rf "$tmp"
  else
    # Release binaries are kind-<os>-<arch> with a .sha256sum beside each (hack/release/build/cross.sh);
    # kind.sigs.k8s.io/dl/<version>/ redirects to them (site/content/docs/user/quick-start.md).
    log "installing kind v$KIND_VERSION: its release binary into $KIND_BIN_DIR"
    local url
    url="https://kind.sigs.k8s.io/dl/v$KIND_VERSION/kind-$(platform)"
    download "$url" "$url.sha256sum" "$KIND_BIN_DIR/kind" || true
  fi
  [ -x "$KIND_BIN_DIR/kind" ] || { log "could not install kind v$KIND_VERSION (install it yourself: https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"; return 1; }
  PATH="$KIND_BIN_DIR:$PATH"
}

use_kubectl() {
  command -v kubectl >/dev/null 2>&1 && return 0
  if [ ! -x "$KUBECTL_BIN_DIR/kubectl" ]; then
    # The Kubernetes release binaries, each with a .sha256 beside it (kubernetes.io, "Install kubectl").
    log "no kubectl: installing the release binary of v$KUBE_VERSION into $KUBECTL_BIN_DIR"
    local url
    url="https://dl.k8s.io/release/v$KUBE_VERSION/bin/$(platform | tr - /)/kubectl"
    download "$url" "$url.sha256" "$KUBECTL_BIN_DIR/kubectl" || { log "could not install kubectl (install it yourself: https://kubernetes.io/docs/tasks/tools/)"; return 1; }
  fi
  PATH="$KUBECTL_BIN_DIR:$PATH"
}

kind_cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; }

# The cluster's node container (a single-node cluster: the control plane).
kind_node() { kind get nodes --name "$KIND_CLUSTER" 2>/dev/null | head -n1; }

# load_nfs_modules RUNTIME: the in-cluster NFS server runs the kernel's NFS server, nfsd, and kind
# nodes are containers on the runtime's kernel. A node is privileged, with the kernel's
# /lib/modules mounted (sigs.k8s.io/kind@v0.33.0 pkg/cluster/internal/providers/docker/provision.go)
# and kmod installed (images/base/Dockerfile), so modprobe in the node loads nfsd into that kernel
# where it has the module. Returns 1, saying what to do, where it cannot.
load_nfs_modules() {
  local runtime=$1 node
  node=$(kind_node)
  [ -n "$node" ] || { log "no node found for kind cluster $KIND_CLUSTER"; return 1; }
  if ! "$runtime" exec "$node" grep -qw nfsd /proc/filesystems; then
    "$runtime" exec "$node" modprobe nfsd >/dev/null 2>&1 || true
    "$runtime" exec "$node" modprobe nfs >/dev/null 2>&1 || true
  fi
  "$runtime" exec "$node" grep -qw nfsd /proc/filesystems && return 0
  cat >&2 <<MSG
The dev stack's in-cluster NFS server needs the kernel's NFS server (the nfsd module) in the
kernel your containers run on, and it is not loaded; loading it from the kind node failed.
  - Linux: run \`sudo modprobe nfsd\` (on Debian and Ubuntu, \`sudo apt-get install
    nfs-kernel-server\` installs and loads it), then run this script again.
  - Docker Desktop, Podman machine, colima and other VMs: the containers run on the VM's kernel,
    which must provide nfsd; where it does not, the in-cluster NFS server cannot run there. Use a
    Linux machine, or a stack with an NFS server of your own (nfs.mode: external).
The kind cluster $KIND_CLUSTER stays; scripts/down-dev.sh removes it.
MSG
  return 1
}
