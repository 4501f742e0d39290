#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (syntax, expressions, job and step references,
# and the run: scripts through shellcheck, installed if missing). Fails on any finding.
# actionlint comes from the tool cache; `.ci/toolchain.sh tools` builds it when it is missing.
#
# The workflows pin actions to exact version tags (actions/checkout@v4.2.2). actionlint checks
# the inputs of popular actions only under their major tags (actions/checkout@v4), so the files are
# linted twice: as they are, and as a copy with each exact tag cut to its major tag.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=.ci/lib.sh
. "$ROOT/.ci/lib.sh"
cd "$ROOT"

ACTIONLINT="$ACTIONLINT_BIN_DIR/actionlint"
if [ ! -x "$ACTIONLINT" ]; then
  log "actionlint missing; building it with .ci/toolchain.sh tools"
  bash .ci/toolchain.sh tools
fi

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[ "${#files[@]}" -gt 0 ] || die "no workflows in .github/workflows"
# actionlint checks run: scripts only when shellcheck is on PATH: install it (the pinned version)
# rather than skip.
ensure_shellcheck

"$ACTIONLINT" -no-color "${files[@]}"

copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/.github/workflows"
for f in "${files[@]}"; do
  sed -E 's#^([[:space:]]*(- )?uses:[[:space:]]*[^@[:space:]]+@v[0-9]+)(\.[0-9]+)+#\1#' "$f" > "$copy/$f"
done
(cd "$copy" && "$ACTIONLINT" -no-color "${files[@]}")

log "actionlint: ${#files[@]} workflow(s), no findings"
