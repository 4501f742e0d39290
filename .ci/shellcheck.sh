#!/usr/bin/env bash
# Runs shellcheck (the version .ci/lib.sh pins) over every shell script of the repository: the scripts
# that run in pods (components/scripts/*.sh, POSIX sh by their shebang, for images that have only
# dash) and the CI and developer scripts (bash). Fails on any finding. Nothing is disabled
# wholesale: no .shellcheckrc turns a check off, the pods' scripts disable none, and any other
# `# shellcheck disable=` names its checks and says why (on its line or the comment line above).
# Run by `npm run lint:sh` (part of `npm run lint`) and as a step of .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=.ci/lib.sh
. "$ROOT/.ci/lib.sh"
cd "$ROOT"
ensure_shellcheck

# Tracked and new (not ignored) files, so that a script is checked before its first commit.
files=()
while IFS= read -r f; do
  if [ -f "$f" ]; then files+=("$f"); fi
done < <(git ls-files --cached --others --exclude-standard -- '*.sh' '.ci/run' | sort -u)
pods=0
for f in "${files[@]}"; do case "$f" in components/scripts/*) pods=$((pods + 1)) ;; esac; done
[ "$pods" -gt 0 ] || die "no scripts in components/scripts/: is this the repository's root ($ROOT)?"

if [ -e .shellcheckrc ] && grep -q 'disable' .shellcheckrc; then die ".shellcheckrc turns checks off for every script"; fi
problems=$(grep -nE '^[[:space:]]*#[[:space:]]*shellcheck[[:space:]]+disable' components/scripts/*.sh || true)
[ -z "$problems" ] || die "the scripts that run in pods disable checks:"$'\n'"$problems"
# The reason: a comment after the directive, or the comment line just above it.
problems=$(awk '
  FNR == 1 { prev = "" }
  /^[[:space:]]*#[[:space:]]*shellcheck[[:space:]]+disable/ {
    if ($0 !~ /disable=SC[0-9]+(,SC[0-9]+)* +# +[^ ]/ && !(prev ~ /^[[:space:]]*# +[^ ]/ && prev !~ /shellcheck/)) print FILENAME ":" FNR ": " $0
  }
  { prev = $0 }' "${files[@]}")
[ -z "$problems" ] || die "a disabled check without its reason (on its line or the comment line above):"$'\n'"$problems"

shellcheck --external-sources "${files[@]}"
log "shellcheck $(shellcheck --version | sed -n 's/^version: *//p'): ${#files[@]} scripts ($pods run in pods), no findings"
