#!/bin/sh
# Init container of the in-cluster NFS server (components/nfs.ts): makes the directories of the
# export that users' pods share (the shared volume's and each group share's) and lets every
# user's pod write them: they all run as the same user.
#
# Environment (prepareExportsEnv in components/nfs.ts):
#   EXPORT_ROOT  the export, as mounted in the container
#   EXPORT_DIRS  the directories to make under it, separated by spaces (validated plain names)
set -eu
: "${EXPORT_ROOT:?}" "${EXPORT_DIRS:?}"
# The list is split at spaces, never expanded as a pattern.
set -f
for d in $EXPORT_DIRS; do
  mkdir -p "$EXPORT_ROOT/$d"
  chmod 0777 "$EXPORT_ROOT/$d"
done
