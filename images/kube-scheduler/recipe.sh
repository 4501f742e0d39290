# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# registry.k8s.io/kube-scheduler:v1.30.14, the chart's user scheduler (z2jh 4.4.0 values.yaml
# scheduling.userScheduler.image), as Kubernetes builds it (k8s.io/kubernetes v1.30.14:
# build/server-image/Dockerfile, build/common.sh, build/lib/release.sh): the kube-scheduler binary,
# built with CGO_ENABLED=0, copied to /usr/local/bin/kube-scheduler on the go-runner base
# (registry.k8s.io/build-image/go-runner:v2.4.0-go1.23.10-bookworm.0, distroless static with
# /go-runner as its entrypoint). The chart runs it as 65534 with `command:
# [/usr/local/bin/kube-scheduler, --config=/etc/user-scheduler/config.yaml, ...]`.
#
# Differs from the real image: built with this machine's Go (`go version`, not go1.23.10) from the
# module proxy's k8s.io/kubernetes v1.30.14 with its staging modules at v0.30.14 (the module zip
# leaves ./staging out); a scratch root with only the binary, /etc/passwd and /etc/group (root,
# nobody 65534, nonroot 65532, as distroless's) and /tmp; no /go-runner (the chart never runs the
# entrypoint), no CA bundle or time zone data (the scheduler talks only to the API server, with the
# service account's CA).

KUBE_VERSION=1.30.14
IMAGE_REF=registry.k8s.io/kube-scheduler:v$KUBE_VERSION
IMAGE_USER=0
IMAGE_ENTRYPOINT=()
IMAGE_CMD=()
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_STANDIN="stand-in for registry.k8s.io/kube-scheduler:v$KUBE_VERSION built by jupyterhub-platform images/kube-scheduler: k8s.io/kubernetes v$KUBE_VERSION built here with $(go version 2>/dev/null | cut -d' ' -f3), scratch root, no /go-runner"

build() {
  scratch_rootfs
  local src="$WORK/kubernetes"
  export GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod"
  go_module_src k8s.io/kubernetes "v$KUBE_VERSION" "$src"
  go_drop_local_replaces "$src" "v0.${KUBE_VERSION#1.}"
  local minor=${KUBE_VERSION#1.} date p ldflags="-s -w"
  minor=${minor%%.*}
  date=$(go list -m -json "k8s.io/kubernetes@v$KUBE_VERSION" | jq -r '.Time // "1970-01-01T00:00:00Z"')
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  mkdir -p "$ROOTFS/usr/local/bin" "$ROOTFS/etc" "$ROOTFS/tmp"
  (cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$ROOTFS/usr/local/bin/kube-scheduler" ./cmd/kube-scheduler)
  chmod 1777 "$ROOTFS/tmp"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > "$ROOTFS/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' > "$ROOTFS/etc/group"
}
