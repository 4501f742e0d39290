#!/bin/sh
# Exports the whole directory as LDIF into $BACKUP_ROOT/$DUMP_SUBDIR/directory-<UTC time>.ldif,
# then keeps the newest $KEEP exports of that folder. Run by the CronJob backup-directory
# (components/backup.ts), in the directory's image, whose sh is dash.
#
# Environment (directoryEnv in components/backup.ts):
#   BACKUP_ROOT              the backup volume
#   DUMP_SUBDIR              the folder of the exports: directory
#   KEEP                     how many exports the folder keeps
#   DIRECTORY_URI            LDAPS URI of the directory
#   DIRECTORY_BASE_DN        the tree's base DN
#   DIRECTORY_ADMIN_DN       the directory's admin (its rootdn)
#   DIRECTORY_PASSWORD_FILE  the admin's password (a file of the Secret openldap-bootstrap)
#   LDAPTLS_CACERT           the CA the server's certificate is verified with (read by libldap)
#
# One subtree search under the base DN, bound as the admin: no ACL or size limit applies to the
# rootdn, so password hashes come along. Only user attributes ('*'): that is what ldapadd takes
# back. back-mdb answers a search from one read transaction, in entry-ID order, so the export is
# consistent and lists parents before children.
set -eu
# Dumps are for the backup group only.
umask 007
: "${BACKUP_ROOT:?}" "${DUMP_SUBDIR:?}" "${KEEP:?}"
dir="$BACKUP_ROOT/$DUMP_SUBDIR"
mkdir -p "$dir"
ts=$(date -u +%Y%m%dT%H%M%SZ)
start=$(date +%s)
# prune KIND EXT: deletes all but the newest $KEEP dumps KIND-<UTC time>*.EXT. Timestamps sort as
# text, so the newest are the last names in order.
prune() {
  for f in "$dir/$1"-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z*."$2"; do
    if [ -f "$f" ]; then printf '%s\n' "${f##*/}"; fi
  done | sort -r | tail -n +"$((KEEP + 1))" |
    while read -r old; do rm -f "$dir/$old"; echo "removed $dir/$old (keeping $KEEP)"; done
}

# The ldap-utils of the symas/openldap image first; elsewhere (the services tests) the system's.
export PATH="/opt/symas/bin:/opt/symas/sbin:$PATH"
: "${DIRECTORY_URI:?}" "${DIRECTORY_BASE_DN:?}" "${DIRECTORY_ADMIN_DN:?}" "${DIRECTORY_PASSWORD_FILE:?}"
name="directory-$ts.ldif"
part="$dir/.$name.partial"
trap 'rm -f "$part"' EXIT
ldapsearch -LLL -o ldif_wrap=no -H "$DIRECTORY_URI" -x -D "$DIRECTORY_ADMIN_DN" -y "$DIRECTORY_PASSWORD_FILE" -b "$DIRECTORY_BASE_DN" -s sub '(objectClass=*)' '*' > "$part"
entries=$(grep -c '^dn:' "$part" || true)
[ "$entries" -gt 0 ] || { echo "the directory under $DIRECTORY_BASE_DN returned no entries" >&2; exit 1; }
mv "$part" "$dir/$name"
echo "exported $entries entries under $DIRECTORY_BASE_DN to $dir/$name in $(($(date +%s) - start)) s"
prune directory ldif
