# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# quay.io/jupyterhub/k8s-singleuser-sample:4.4.0, the default user image (singleuser.image), as z2jh
# 4.4.0's images/singleuser-sample/Dockerfile makes it (jupyterhub/zero-to-jupyterhub-k8s tag 4.4.0,
# 5c5f5df751588a68a7781ead01d0f62e88e2e72f):
#   - wheels of requirements.txt built in a build stage; installed with pip (--find-links);
#   - ENV NB_USER=jovyan NB_UID=1000 HOME=/home/jovyan; adduser --disabled-password --uid 1000
#     --home /home/jovyan jovyan (its group: adduser's own);
#   - apt: ca-certificates, dnsutils, iputils-ping, tini, git (nbgitpuller);
#   - WORKDIR /home/jovyan; USER jovyan; EXPOSE 8888; ENTRYPOINT ["tini", "--"]; CMD ["jupyter", "lab"].
# KubeSpawner puts `jupyterhub-singleuser` in the container's args, so tini runs it; the chart's image
# puller runs /bin/sh -c in it.
#
# Differs from the real image: Debian's python3 (3.11) instead of Python 3.12 in /usr/local (same
# package versions, built for 3.11; the scripts are in /usr/local/bin as pip puts them for root);
# Debian's packages as of this machine's apt sources.

IMAGE_REF=quay.io/jupyterhub/k8s-singleuser-sample:4.4.0
IMAGE_USER=jovyan
IMAGE_WORKDIR=/home/jovyan
IMAGE_ENTRYPOINT=(tini --)
IMAGE_CMD=(jupyter lab)
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8" "DEBIAN_FRONTEND=noninteractive"
  "NB_USER=jovyan" "NB_UID=1000" "HOME=/home/jovyan")
IMAGE_PORTS=(8888/tcp)
IMAGE_STANDIN="stand-in for quay.io/jupyterhub/k8s-singleuser-sample:4.4.0 built by jupyterhub-platform images/singleuser-sample: Debian bookworm python3 3.11 (not 3.12), z2jh 4.4.0 requirements.txt"

build() {
  debian_rootfs python3 python3-pip ca-certificates netbase tzdata \
    dnsutils iputils-ping tini git
  pip_wheels "$RECIPE_DIR/requirements.txt" "$WORK/wheels"
  user_with_group jovyan 1000 1000 /home/jovyan
  pip_install_offline "$WORK/wheels" "$RECIPE_DIR/requirements.txt"
}
