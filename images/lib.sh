#!/usr/bin/env bash
# The vocabulary of the image recipes (images/<name>/recipe.sh), sourced by .ci/images.sh before
# a recipe. A recipe sets the image's reference and configuration and defines `build`, which fills
# $ROOTFS; .ci/images.sh packs $ROOTFS as one layer with that configuration (umoci), writes it as an
# OCI archive under the reference (skopeo) and caches it by the hash of the recipe's folder and of
# these two files. Nothing here downloads anything but Debian packages (apt, through the machine's
# apt sources), pip wheels (PyPI), npm packages and Go modules (the module proxy).
#
# What a recipe may use:
#   ROOTFS       the image's root filesystem, empty until `debian_rootfs` or `scratch_rootfs`
#   WORK         a scratch folder of this build (deleted afterwards)
#   RECIPE_DIR   the recipe's folder (its requirements.txt, entrypoint, ...)
#   IMAGES_CACHE the cache folder (pip_wheels keeps its wheels there)
# A path under $ROOTFS that passes through a link of the image's (/var/run -> /run, /bin -> usr/bin)
# would be resolved on this machine: make such paths with `in_rootfs` (inside the chroot).
# Each build runs in a mount namespace of its own (.ci/images.sh): what it mounts goes with it.
# shellcheck disable=SC2034  # the IMAGE_* variables are read by .ci/images.sh

# Debian suite of every stand-in: the real images' own base where they are Debian (python:3.12-slim-
# bookworm, symas/openldap:*-debian-12, debian-base:bookworm), and this machine's release.
DEBIAN_SUITE=bookworm
# The apt sources the rootfs is bootstrapped from: this machine's Debian sources (deb822), so that
# the images come from the same mirror or snapshot the machine uses.
DEBIAN_SOURCES="${JHUB_DEBIAN_SOURCES:-/etc/apt/sources.list.d/debian.sources}"

# The image configuration a recipe sets (the Dockerfile's USER, WORKDIR, ENTRYPOINT, CMD, ENV, EXPOSE).
IMAGE_REF=""
IMAGE_USER=""
IMAGE_WORKDIR=""
IMAGE_ENTRYPOINT=()
IMAGE_CMD=()
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_PORTS=()
IMAGE_VOLUMES=()
# What the stand-in is and how it differs from the real image: one line, written as the label
# org.opencontainers.image.description and shown by `.ci/images.sh list`.
IMAGE_STANDIN=""

say() { printf '[images] %s\n' "$*" >&2; }

# debian_rootfs PACKAGE...: a Debian minbase root filesystem with PACKAGE... (no recommends, no
# documentation but the copyright files, no apt lists), as the real Debian-based images are slim.
# DEBCONF_SELECTIONS (debconf-set-selections lines) answers the packages' questions beforehand.
debian_rootfs() {
  local include hooks=()
  include=$(IFS=,; echo "$*")
  if [ -n "${DEBCONF_SELECTIONS:-}" ]; then
    printf '%s\n' "$DEBCONF_SELECTIONS" > "$WORK/debconf-selections"
    hooks+=(--essential-hook="chroot \"\$1\" debconf-set-selections < '$WORK/debconf-selections'")
  fi
  [ -r "$DEBIAN_SOURCES" ] || { say "no apt sources at $DEBIAN_SOURCES (set JHUB_DEBIAN_SOURCES)"; return 1; }
  # shellcheck disable=SC2016  # $1 is expanded by mmdebstrap's hook, not here
  mmdebstrap --quiet --mode=root --variant=minbase --format=directory \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    ${include:+--include="$include"} "${hooks[@]}" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id' \
    --customize-hook='rm -f "$1"/etc/resolv.conf "$1"/etc/hostname' \
    "$DEBIAN_SUITE" "$ROOTFS" "$DEBIAN_SOURCES"
}

# scratch_rootfs: an empty root filesystem (FROM scratch), for a static binary.
scratch_rootfs() { mkdir -p "$ROOTFS"; }

# in_rootfs COMMAND...: run COMMAND inside $ROOTFS as root (chroot), with /proc and /dev of the
# host's, unmounted afterwards; the build's network (pip inside the image uses none).
in_rootfs() {
  mount -t proc proc "$ROOTFS/proc"
  mount --bind /dev "$ROOTFS/dev"
  local rc=0
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@" || rc=$?
  umount "$ROOTFS/dev" "$ROOTFS/proc"
  return "$rc"
}

# user_with_group NAME UID GID HOME [SHELL]: a login user NAME:UID with its own group NAME:GID and a
# home made from /etc/skel, as Debian's `adduser --uid UID --disabled-password NAME` makes it on a
# base with no other user (the group is adduser's first free id from 1000, here GID).
user_with_group() {
  local user=$1 uid=$2 gid=$3 home=$4 shell=${5:-/bin/bash}
  in_rootfs groupadd --gid "$gid" "$user"
  in_rootfs useradd --uid "$uid" --gid "$gid" --home-dir "$home" --create-home --shell "$shell" --comment "Default user,,," "$user"
}

# pip_wheels REQUIREMENTS OUT [PIP_WHEEL_ARGS...]: every wheel REQUIREMENTS needs, in OUT, built on
# this machine with Debian's python3 (the images' interpreter) in a build venv: pure wheels and
# manylinux wheels from PyPI, the rest compiled here (the real images' build stage). Cached in
# $IMAGES_CACHE/wheels/<hash of the requirements and arguments>: a recipe change that keeps them
# reuses the wheels.
pip_wheels() {
  local req=$1 out=$2; shift 2
  local key
  key=$( (cat "$req"; printf '%s\n' "$@"; /usr/bin/python3 --version) | sha256sum | cut -c1-12)
  local cached="$IMAGES_CACHE/wheels/$key"
  if [ ! -f "$cached/.complete" ]; then
    say "building wheels for $(basename "$(dirname "$req")")/$(basename "$req") into $cached"
    rm -rf "$cached" "$WORK/wheel-venv"
    /usr/bin/python3 -m venv "$WORK/wheel-venv"
    # Debian's venv has no `wheel`, without which sdists that build with setup.py (psycopg2,
    # onetimepass) make no wheel.
    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$WORK/wheel-venv/bin/pip" install --quiet wheel
    # Only PyPI and this list: no pip configuration or find-links of this machine's.
    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$WORK/wheel-venv/bin/pip" wheel --quiet \
      --wheel-dir "$cached.tmp" -r "$req" "$@"
    touch "$cached.tmp/.complete"
    mv "$cached.tmp" "$cached"
  fi
  mkdir -p "$out"
  cp "$cached"/*.whl "$out"/
}

# pip_install_offline WHEELS REQUIREMENTS: install REQUIREMENTS from WHEELS only (--no-index) with the
# image's own python3 and pip, into /usr/local as pip does for root (the real images' layout:
# /usr/local/bin/jupyterhub). Debian marks its python "externally managed" (PEP 668); the image is
# this interpreter's only user, so that is overridden.
pip_install_offline() {
  local wheels=$1 req=$2
  mkdir -p "$ROOTFS/tmp/wheels"
  cp "$wheels"/*.whl "$ROOTFS/tmp/wheels/"
  cp "$req" "$ROOTFS/tmp/wheels/requirements.txt"
  in_rootfs python3 -m pip install --no-index --find-links=/tmp/wheels --no-cache-dir \
    --break-system-packages --no-warn-script-location --disable-pip-version-check --root-user-action=ignore \
    -r /tmp/wheels/requirements.txt
  rm -rf "$ROOTFS/tmp/wheels"
  find "$ROOTFS/usr/local/lib" -name __pycache__ -prune -exec rm -rf {} +
}

# npm_package SPEC DEST: the npm package SPEC (name@version) unpacked into DEST (package/ stripped).
npm_package() {
  local spec=$1 dest=$2 tgz
  mkdir -p "$WORK/npm" "$dest"
  tgz=$(cd "$WORK/npm" && npm pack --silent "$spec" | tail -1)
  tar -xzf "$WORK/npm/$tgz" -C "$dest" --strip-components=1 --no-same-owner
}

# go_module_src MODULE VERSION DEST: a writable copy of Go module MODULE@VERSION from the module proxy.
go_module_src() {
  local dir
  dir=$(GOFLAGS=-mod=mod go mod download -json "$1@$2" | jq -r '.Dir // empty')
  [ -n "$dir" ] || { say "go mod download $1@$2 failed"; return 1; }
  rm -rf "$3"
  cp -r "$dir" "$3"
  chmod -R u+w "$3"
}

# go_drop_local_replaces SRC VERSION: k8s.io/kubernetes points its staging modules at
# ./staging/src/..., which the module zip leaves out: require the published ones at VERSION instead.
go_drop_local_replaces() {
  local src=$1 version=$2 p args=()
  while IFS= read -r p; do
    [ -n "$p" ] || continue
    args+=("-dropreplace=$p")
    if (cd "$src" && go mod edit -json) | jq -e --arg p "$p" '.Require[]? | select(.Path == $p)' >/dev/null; then
      args+=("-require=$p@$version")
    fi
  done < <(cd "$src" && go mod edit -json | jq -r '.Replace[]? | select(.New.Version == null and (.New.Path|test("^\\.\\.?/"))) | .Old.Path')
  if [ "${#args[@]}" -gt 0 ]; then (cd "$src" && go mod edit "${args[@]}"); fi
}

# debian_package_files PACKAGE DEST: the files of Debian package PACKAGE (this machine's apt
# sources, `apt-get download`), unpacked into DEST without installing it.
debian_package_files() {
  mkdir -p "$WORK/debs" "$2"
  (cd "$WORK/debs" && apt-get download -q "$1" >/dev/null)
  dpkg-deb -x "$WORK/debs/$1"_*.deb "$2"
}

# busybox_rootfs: a root filesystem of Debian's static busybox (busybox-static) and its applets as
# links in /bin, the way Alpine-based and busybox images provide their shell and tools.
busybox_rootfs() {
  mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/root"
  debian_package_files busybox-static "$WORK/busybox"
  install -m 0755 "$WORK/busybox/bin/busybox" "$ROOTFS/bin/busybox"
  local applet
  for applet in $("$ROOTFS/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$ROOTFS/bin/$applet"
  done
  chmod 1777 "$ROOTFS/tmp"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$ROOTFS/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$ROOTFS/etc/group"
}
