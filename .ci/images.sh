#!/usr/bin/env bash
# Stand-in images for the containers the dev stack runs, built here from the project's recipes
# (images/<name>/recipe.sh; docs/images.md "Stand-in images built here" says how each differs from
# the real image). No registry is reachable from these machines: each image is built from Debian
# packages, pip wheels, npm packages or Go modules and written as an OCI archive under the real
# image's reference, for `ctr -n k8s.io images import` on a node.
#
#   .ci/images.sh build [NAME...]   build what is not cached (all recipes without NAME)
#   .ci/images.sh list              NAME REFERENCE ARCHIVE|- SECONDS BYTES, one image a line
#   .ci/images.sh path NAME         the archive of NAME's current recipe (exit 1 when not built)
#   .ci/images.sh check             exit 0 when this machine can build, else one line naming what is missing
#
# Cache: ${JHUB_IMAGES_CACHE:-$HOME/.cache/jhub-images}/<name>-<hash>.oci.tar, <hash> the digest of
# the recipe's folder, images/lib.sh and this file: an image is rebuilt only when one of those
# changes; older archives of the same name are removed then. <name>-<hash>.json records the
# reference, the build's seconds and the archive's bytes; <name>-<hash>.log the build's output.
# Builds run as root (mmdebstrap --mode=root, chroot, setcap) and under a lock per image.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGES_DIR="$ROOT/images"
IMAGES_CACHE="${JHUB_IMAGES_CACHE:-$HOME/.cache/jhub-images}"
export IMAGES_CACHE

log() { printf '[images] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

recipes() { find "$IMAGES_DIR" -mindepth 2 -maxdepth 2 -name recipe.sh -printf '%h\n' | xargs -r -n1 basename | sort; }

# The digest of what makes an image: its recipe folder (names and contents), the shared vocabulary
# and this script.
recipe_hash() {
  local dir="$IMAGES_DIR/$1"
  [ -f "$dir/recipe.sh" ] || die "no recipe images/$1/recipe.sh (recipes: $(recipes | tr '\n' ' '))"
  {
    (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    sha256sum < "$IMAGES_DIR/lib.sh"
    sha256sum < "$ROOT/.ci/images.sh"
  } | sha256sum | cut -c1-12
}

archive_of() { echo "$IMAGES_CACHE/$1-$(recipe_hash "$1").oci.tar"; }

# The reference a recipe names, without building.
ref_of() {
  (
    set +u
    # shellcheck source=images/lib.sh
    . "$IMAGES_DIR/lib.sh"
    # shellcheck source=/dev/null  # the recipe of the image named
    . "$IMAGES_DIR/$1/recipe.sh"
    echo "$IMAGE_REF"
  )
}

# What a build needs on this machine, one line naming what is missing.
missing() {
  local m=() t
  [ "$(id -u)" = 0 ] || m+=("root (mmdebstrap --mode=root, chroot, setcap)")
  for t in mmdebstrap umoci skopeo setcap chroot jq unshare; do command -v "$t" >/dev/null || m+=("$t"); done
  [ -r "${JHUB_DEBIAN_SOURCES:-/etc/apt/sources.list.d/debian.sources}" ] || m+=("Debian apt sources (JHUB_DEBIAN_SOURCES)")
  if [ "${#m[@]}" -gt 0 ]; then
    echo "needs ${m[*]} (Debian: apt-get install mmdebstrap umoci skopeo libcap2-bin jq)"
    return 1
  fi
}

# Unmount whatever a killed build left mounted under DIR (deepest first), then remove DIR without
# leaving its file system.
remove_work() {
  local dir=$1 m
  [ -d "$dir" ] || return 0
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r)
  rm -rf --one-file-system "$dir"
}

build_one() {
  local name=$1 hash archive meta logf work t0 secs bytes
  hash=$(recipe_hash "$name")
  archive="$IMAGES_CACHE/$name-$hash.oci.tar"
  meta="$IMAGES_CACHE/$name-$hash.json"
  logf="$IMAGES_CACHE/$name-$hash.log"
  mkdir -p "$IMAGES_CACHE"
  exec 8>"$IMAGES_CACHE/.$name.lock"
  flock 8
  if [ -s "$archive" ] && [ -s "$meta" ]; then
    echo "$name cached: $archive"
    return 0
  fi
  work="$IMAGES_CACHE/work/$name"
  remove_work "$work"
  mkdir -p "$work"
  log "building $name ($hash), log: $logf"
  t0=$(date +%s)
  # Not in an `if` condition: bash ignores errexit in the whole subshell there.
  local rc=0
  set +e
  (
    set -euo pipefail
    cd "$work"
    umoci init --layout "$work/oci"
    umoci new --image "$work/oci:build"
    umoci unpack --image "$work/oci:build" "$work/bundle"
    rmdir "$work/bundle/rootfs"
    export ROOTFS="$work/bundle/rootfs" WORK="$work/scratch" RECIPE_DIR="$IMAGES_DIR/$name"
    mkdir -p "$WORK"
    # shellcheck source=images/lib.sh
    . "$IMAGES_DIR/lib.sh"
    # shellcheck source=/dev/null  # the recipe of the image named
    . "$RECIPE_DIR/recipe.sh"
    build
    [ -n "$IMAGE_REF" ] || { say "recipe images/$name sets no IMAGE_REF"; exit 1; }
    umoci repack --image "$work/oci:build" "$work/bundle"
    local args=(--image "$work/oci:build" --author "jupyterhub-platform .ci/images.sh"
      --clear=config.entrypoint --clear=config.cmd --clear=config.env --clear=config.exposedports --clear=config.volume
      --config.user="$IMAGE_USER" --config.workingdir="${IMAGE_WORKDIR:-/}"
      --config.label="org.opencontainers.image.description=$IMAGE_STANDIN"
      --config.label="org.jupyterhub-platform.recipe-hash=$hash")
    local x
    for x in "${IMAGE_ENTRYPOINT[@]}"; do args+=(--config.entrypoint="$x"); done
    for x in "${IMAGE_CMD[@]}"; do args+=(--config.cmd="$x"); done
    for x in "${IMAGE_ENV[@]}"; do args+=(--config.env="$x"); done
    for x in "${IMAGE_PORTS[@]}"; do args+=(--config.exposedports="$x"); done
    for x in "${IMAGE_VOLUMES[@]}"; do args+=(--config.volume="$x"); done
    umoci config "${args[@]}"
    umoci gc --layout "$work/oci"
    rm -f "$archive.tmp"
    skopeo copy --quiet "oci:$work/oci:build" "oci-archive:$archive.tmp:$IMAGE_REF"
    echo "$IMAGE_REF" > "$work/ref"
  ) >"$logf" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    remove_work "$work"
    rm -f "$archive.tmp"
    log "FAILED $name after $(($(date +%s) - t0)) s; the end of $logf:"
    tail -n 20 "$logf" >&2
    return 1
  fi
  secs=$(($(date +%s) - t0))
  bytes=$(stat -c %s "$archive.tmp")
  jq -n --arg name "$name" --arg ref "$(cat "$work/ref")" --arg hash "$hash" --argjson seconds "$secs" --argjson bytes "$bytes" \
    '{name: $name, ref: $ref, hash: $hash, seconds: $seconds, bytes: $bytes}' > "$meta"
  mv "$archive.tmp" "$archive"
  remove_work "$work"
  # Older builds of this image: their recipe is gone.
  find "$IMAGES_CACHE" -maxdepth 1 -name "$name-*" ! -name "$name-$hash.*" -delete
  echo "built $name in $secs s: $archive ($((bytes / 1024 / 1024)) MiB)"
}

cmd=${1:-}
shift || true
case "$cmd" in
  build)
    if ! why=$(missing); then
      echo "images: SKIPPED — $why"
      exit 2
    fi
    names=("$@")
    [ "${#names[@]}" -gt 0 ] || mapfile -t names < <(recipes)
    failed=()
    # Each image in a process of its own (bash ignores errexit in a function called from `||`), in
    # a private mount namespace: the mounts of mmdebstrap and of in_rootfs cannot outlive a build.
    for n in "${names[@]}"; do
      unshare --mount --propagation private -- bash "$ROOT/.ci/images.sh" build-one "$n" || failed+=("$n")
    done
    if [ "${#failed[@]}" -gt 0 ]; then die "not built: ${failed[*]}"; fi
    ;;
  build-one)
    [ $# -eq 1 ] || die "usage: .ci/images.sh build-one NAME"
    build_one "$1"
    ;;
  list)
    while read -r n; do
      a=$(archive_of "$n")
      m="${a%.oci.tar}.json"
      if [ -s "$a" ] && [ -s "$m" ]; then
        jq -r --arg a "$a" '[.name, .ref, $a, .seconds, .bytes] | @tsv' "$m"
      else
        printf '%s\t%s\t-\t-\t-\n' "$n" "$(ref_of "$n")"
      fi
    done < <(recipes)
    ;;
  path)
    [ $# -eq 1 ] || die "usage: .ci/images.sh path NAME"
    a=$(archive_of "$1")
    [ -s "$a" ] || { log "$1 is not built (.ci/images.sh build $1)"; exit 1; }
    echo "$a"
    ;;
  check)
    missing
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
