# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# rancher/local-path-provisioner:v0.0.30, a hostPath dynamic provisioner for the real node's
# StorageClass (issue 29 C; not an image of the chart or of the program), as its package/Dockerfile
# makes it (github.com/rancher/local-path-provisioner v0.0.30, the module the Go proxy serves):
# FROM alpine, the binary at /usr/bin/local-path-provisioner, CMD ["local-path-provisioner"]; its
# deploy manifest runs `local-path-provisioner --debug start --config /etc/config/config.json`, and
# the helper pods it starts run the busybox image (images/busybox).
#
# Differs from the real image: the binary built here with this machine's Go (CGO_ENABLED=0, its
# dependencies from the module proxy, not its vendor/ folder, which the module zip leaves out)
# on a busybox root (Debian's busybox-static) instead of Alpine's.

LPP_VERSION=0.0.30
IMAGE_REF=rancher/local-path-provisioner:v$LPP_VERSION
IMAGE_USER=""
IMAGE_ENTRYPOINT=()
IMAGE_CMD=(local-path-provisioner)
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_STANDIN="stand-in for rancher/local-path-provisioner:v$LPP_VERSION built by jupyterhub-platform images/local-path-provisioner: built from its Go module here, busybox root instead of Alpine"

build() {
  busybox_rootfs
  local src="$WORK/local-path-provisioner"
  go_module_src github.com/rancher/local-path-provisioner "v$LPP_VERSION" "$src"
  mkdir -p "$ROOTFS/usr/bin"
  (cd "$src" && GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod" \
    go build -trimpath -ldflags "-s -w -X main.VERSION=v$LPP_VERSION" -o "$ROOTFS/usr/bin/local-path-provisioner" .)
}
