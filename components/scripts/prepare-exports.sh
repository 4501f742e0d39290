#!/bin/sh
# Init container of the in-cluster NFS server (components/storage/server.ts): writes the server's
# exports file, makes the directories of the export that users' pods share (the shared volume's
# and each group share's) and lets every user's pod write them: they all run as the same user.
# It writes the claim directly, as root, not over NFS: root squashing does not apply to it.
#
# Environment (prepareExportsEnv in components/storage/server.ts):
#   EXPORT_ROOT    the export, as mounted in the container
#   EXPORT_DIRS    the directories to make under it, separated by spaces (validated plain names)
#   EXPORTS_FILE   where to write the exports file (the server mounts it at /etc/exports)
#   EXPORTS        its content
#   SQUASHED_MODE  set when the export squashes root: csi-driver-nfs then creates, renames and
#                  chmods home directories as nobody, so the export's root is opened to it
#                  (0777) and each directory already on it is given this mode, which the node
#                  plugin would otherwise fail to set at the next mount
set -eu
: "${EXPORT_ROOT:?}" "${EXPORT_DIRS:?}" "${EXPORTS_FILE:?}" "${EXPORTS:?}"
printf '%s\n' "$EXPORTS" > "$EXPORTS_FILE"
if [ -n "${SQUASHED_MODE:-}" ]; then
  chmod 0777 "$EXPORT_ROOT"
  for d in "$EXPORT_ROOT"/*/; do
    [ -d "$d" ] && chmod "$SQUASHED_MODE" "$d"
  done
fi
# The list is split at spaces, never expanded as a pattern.
set -f
for d in $EXPORT_DIRS; do
  mkdir -p "$EXPORT_ROOT/$d"
  chmod 0777 "$EXPORT_ROOT/$d"
done
