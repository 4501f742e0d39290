#!/usr/bin/env bash
# `npm run test:images`: builds the stand-in images that are not cached (.ci/images.sh build; each
# image is rebuilt only when its recipe changes) and checks each against the contract the program
# relies on in the real image (test/images/*.test.ts: unpacked archives, commands run inside them as
# the pods run them). Where images cannot be built here (not root, no mmdebstrap, umoci or skopeo),
# one SKIPPED line and exit 0. Not part of `npm test`: a cold cache takes many minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "$(id -u)" != 0 ]; then
  echo "images: SKIPPED — not root (building and entering the images needs root)"
  exit 0
fi
# The builders come from Debian's packages: installed here when missing, as services-setup.sh does.
if ! bash .ci/images.sh check >/dev/null && command -v apt-get >/dev/null; then
  echo "[images] installing Debian packages: mmdebstrap umoci skopeo libcap2-bin jq"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap umoci skopeo libcap2-bin jq >/dev/null; }; then
    echo "[images] apt-get could not install them"
  fi
fi
if ! why=$(bash .ci/images.sh check); then
  echo "images: SKIPPED — $why"
  exit 0
fi
# With image names: those images and their tests; without: every image, every test (the import
# into containerd among them).
files=()
if [ "$#" -gt 0 ]; then
  names=("$@")
  for n in "${names[@]}"; do files+=("test/images/$n.test.ts"); done
else
  mapfile -t names < <(bash .ci/images.sh list | cut -f1)
  files=(test/images/*.test.ts)
fi
bash .ci/images.sh build "${names[@]}"
node --import tsx --test --test-timeout=900000 --test-concurrency=1 "${files[@]}"
