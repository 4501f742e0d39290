#!/bin/sh
# Replaces the directory's tree with an export: deletes everything under the base DN (the tree a
# fresh server bootstrapped, or what is left; 32: there is nothing), then adds the export, as the
# admin over LDAPS. Online: the server keeps its configuration. Stop the hub first. Run as a Job
# made from the CronJob backup-directory (docs/operations.md, "Restore, step by step"), in the
# directory's image, whose sh is dash.
#
# Usage: restore-directory.sh directory/directory-<time>.ldif   (relative to $BACKUP_ROOT, or absolute)
# Environment: the CronJob's (directoryEnv in components/backup.ts); BACKUP_ROOT, DIRECTORY_URI,
# DIRECTORY_BASE_DN, DIRECTORY_ADMIN_DN, DIRECTORY_PASSWORD_FILE and LDAPTLS_CACERT are read.
set -eu
: "${BACKUP_ROOT:?}"
file=${1:?usage: restore-directory.sh directory/directory-<time>.ldif}
case "$file" in /*) ;; *) file="$BACKUP_ROOT/$file" ;; esac
[ -f "$file" ] || { echo "no dump at $file" >&2; exit 1; }
start=$(date +%s)

# The ldap-utils of the symas/openldap image first; elsewhere (the services tests) the system's.
export PATH="/opt/symas/bin:/opt/symas/sbin:$PATH"
: "${DIRECTORY_URI:?}" "${DIRECTORY_BASE_DN:?}" "${DIRECTORY_ADMIN_DN:?}" "${DIRECTORY_PASSWORD_FILE:?}"
grep -q '^dn:' "$file" || { echo "$file holds no LDIF entries" >&2; exit 1; }
rc=0
ldapdelete -H "$DIRECTORY_URI" -x -D "$DIRECTORY_ADMIN_DN" -y "$DIRECTORY_PASSWORD_FILE" -r "$DIRECTORY_BASE_DN" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 32 ] || { echo "could not clear $DIRECTORY_BASE_DN (ldapdelete exit $rc)" >&2; exit "$rc"; }
ldapadd -H "$DIRECTORY_URI" -x -D "$DIRECTORY_ADMIN_DN" -y "$DIRECTORY_PASSWORD_FILE" -f "$file" > /dev/null
echo "restored $(grep -c '^dn:' "$file") entries under $DIRECTORY_BASE_DN from $file in $(($(date +%s) - start)) s"
