# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# registry.k8s.io/pause:3.10.1, the chart's image puller and user placeholders (z2jh 4.4.0
# values.yaml prePuller.pause, scheduling.userPlaceholder), as Kubernetes builds it
# (k8s.io/kubernetes build/pause: Makefile `CFLAGS = -Os -Wall -Werror -static -DVERSION=v$(TAG)-$(REV)`,
# Dockerfile `FROM scratch`, `ADD bin/pause-linux-${ARCH} /pause`, `USER 65535:65535`,
# `ENTRYPOINT ["/pause"]`). pause.c is taken from the module k8s.io/kubernetes v1.30.14 (the
# scheduler's): build/pause/linux/pause.c is the same file in v1.30.14 and v1.37.2, and 3.10.1 and
# 3.10.2 changed only the Windows image (build/pause/CHANGELOG.md).
#
# Differs from the real image: compiled by this machine's gcc against Debian's static glibc; the
# version string is v3.10.1 without the git revision.

PAUSE_VERSION=3.10.1
KUBE_MODULE_VERSION=1.30.14
IMAGE_REF=registry.k8s.io/pause:$PAUSE_VERSION
IMAGE_USER=65535:65535
IMAGE_ENTRYPOINT=(/pause)
IMAGE_CMD=()
IMAGE_ENV=()
IMAGE_STANDIN="stand-in for registry.k8s.io/pause:$PAUSE_VERSION built by jupyterhub-platform images/pause: build/pause/linux/pause.c compiled static with Debian's gcc"

build() {
  scratch_rootfs
  local dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$KUBE_MODULE_VERSION" | jq -r '.Dir // empty')
  [ -n "$dir" ] || { say "go mod download k8s.io/kubernetes@v$KUBE_MODULE_VERSION failed"; return 1; }
  gcc -Os -Wall -Werror -static "-DVERSION=v$PAUSE_VERSION" -o "$ROOTFS/pause" "$dir/build/pause/linux/pause.c"
  strip "$ROOTFS/pause"
}
