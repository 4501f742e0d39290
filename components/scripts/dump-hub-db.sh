#!/bin/sh
# Dumps the hub database with mysqldump into $BACKUP_ROOT/$DUMP_SUBDIR/hub-db-<UTC time>[-$DUMP_LABEL].sql,
# then keeps the newest $KEEP dumps of that folder. Run by the CronJob backup-hub-db and by the Job
# before an upgrade (components/backup.ts), in the MySQL image, whose sh is bash.
#
# Environment (hubDbEnv in components/backup.ts):
#   BACKUP_ROOT    the backup volume
#   DUMP_SUBDIR    the folder of this kind of dump: hub-db, or hub-db-pre-upgrade before an upgrade
#   DUMP_LABEL     optional, the end of the name: the versions before an upgrade
#   KEEP           how many dumps the folder keeps
#   DEFAULTS_FILE  MySQL options file (the Secret backup-hub-db): server, hub user and password
#   HUB_DATABASE   the hub's database
#
# The server, user and password come from the options file, never from arguments or the
# environment. --single-transaction reads every InnoDB table in one consistent snapshot without
# locking the hub out; --no-tablespaces because the hub user has no PROCESS privilege. The dump is
# written under a hidden name and renamed only once mysqldump has written its closing line, so a
# file with a timestamped name is always a complete dump.
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

: "${DEFAULTS_FILE:?}" "${HUB_DATABASE:?}"
name="hub-db-$ts${DUMP_LABEL:+-$DUMP_LABEL}.sql"
part="$dir/.$name.partial"
trap 'rm -f "$part"' EXIT
mysqldump --defaults-extra-file="$DEFAULTS_FILE" --single-transaction --no-tablespaces "$HUB_DATABASE" > "$part"
tail -n 1 "$part" | grep -q '^-- Dump completed' || { echo "mysqldump stopped before the end of $HUB_DATABASE" >&2; exit 1; }
mv "$part" "$dir/$name"
echo "dumped $HUB_DATABASE to $dir/$name: $(wc -c < "$dir/$name") bytes in $(($(date +%s) - start)) s"
prune hub-db sql
