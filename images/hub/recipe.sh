# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# quay.io/jupyterhub/k8s-hub:4.4.0, the chart's hub, as z2jh 4.4.0's images/hub/Dockerfile makes it
# (jupyterhub/zero-to-jupyterhub-k8s tag 4.4.0, 5c5f5df751588a68a7781ead01d0f62e88e2e72f; its
# default stage, which is what the k8s-hub tag is):
#   - wheels of requirements.txt built in a build stage with compilers, pycurl from source
#     (--no-binary pycurl), plus py-spy; installed with --no-index into the final image;
#   - apt: libcurl4 (pycurl), libpq5 (psycopg2), sqlite3, tini; the default stage adds curl,
#     dnsutils, git, less, vim;
#   - adduser --disabled-password --uid 1000 --home /home/jovyan jovyan; WORKDIR /srv/jupyterhub,
#     chowned to jovyan; USER jovyan; EXPOSE 8081;
#   - ENTRYPOINT ["tini", "--"], CMD ["jupyterhub", "--config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"].
# The chart mounts jupyterhub_config.py, z2jh.py, config/ and secret/ under /usr/local/etc/jupyterhub
# and the hub's state at /srv/jupyterhub, and runs it as 1000:1000.
#
# Differs from the real image: Debian's python3 (3.11) instead of python:3.12-slim-bookworm's
# Python 3.12 in /usr/local (the packages are the same versions, built for 3.11; `python3` is
# /usr/bin/python3, the packages and scripts are in /usr/local as pip puts them for root); no git
# or vim (nothing the program or the chart runs); Debian's packages as of this machine's apt
# sources, not of the tag's build date.

IMAGE_REF=quay.io/jupyterhub/k8s-hub:4.4.0
IMAGE_USER=jovyan
IMAGE_WORKDIR=/srv/jupyterhub
IMAGE_ENTRYPOINT=(tini --)
IMAGE_CMD=(jupyterhub --config /usr/local/etc/jupyterhub/jupyterhub_config.py)
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8" "DEBIAN_FRONTEND=noninteractive")
IMAGE_PORTS=(8081/tcp)
IMAGE_STANDIN="stand-in for quay.io/jupyterhub/k8s-hub:4.4.0 built by jupyterhub-platform images/hub: Debian bookworm python3 3.11 (not 3.12), z2jh 4.4.0 requirements.txt, no git/vim"

build() {
  debian_rootfs python3 python3-pip ca-certificates netbase tzdata \
    libcurl4 libpq5 sqlite3 tini curl dnsutils less
  # The build stage: pycurl compiled here against Debian's libcurl (the Dockerfile's --no-binary
  # pycurl: its PyPI wheels are not portable); psycopg2 has no wheel and is compiled too.
  pip_wheels "$RECIPE_DIR/requirements.txt" "$WORK/wheels" --no-binary pycurl py-spy
  user_with_group jovyan 1000 1000 /home/jovyan
  pip_install_offline "$WORK/wheels" "$RECIPE_DIR/requirements.txt"
  printf 'py-spy\n' > "$WORK/extra.txt"
  pip_install_offline "$WORK/wheels" "$WORK/extra.txt"
  mkdir -p "$ROOTFS/srv/jupyterhub"
  chown 1000:1000 "$ROOTFS/srv/jupyterhub"
}
