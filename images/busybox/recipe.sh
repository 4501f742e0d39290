# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# busybox, the helper image local-path-provisioner runs to make and remove a volume's folder
# (rancher/local-path-provisioner v0.0.30 deploy/local-path-storage.yaml: `image: busybox`, its
# setup and teardown scripts run by `sh`: mkdir -m 0777 -p, rm -rf). Not an image of the chart or
# of the program: the real node's storage class (issue 29 C) uses it.
#
# Differs from docker.io/library/busybox: Debian bookworm's static busybox 1.35.0 (busybox-static),
# its applets as links in /bin; tagged with that version (1.35.0), not `latest`, so that a pod's
# default pull policy (IfNotPresent for a version tag) starts it without a registry.

IMAGE_REF=docker.io/library/busybox:1.35.0
IMAGE_USER=""
IMAGE_ENTRYPOINT=()
IMAGE_CMD=(sh)
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_STANDIN="stand-in for busybox built by jupyterhub-platform images/busybox: Debian bookworm busybox-static 1.35.0"

build() {
  busybox_rootfs
}
