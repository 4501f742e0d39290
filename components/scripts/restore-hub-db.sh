#!/bin/sh
# Replaces the hub database with a dump: drops and recreates the database (the hub user may: it
# has every privilege on its database), then loads the dump as the hub user. Stop the hub first.
# Run as a Job made from the CronJob backup-hub-db (docs/operations.md, "Restore, step by step"),
# in the MySQL image, whose sh is bash.
#
# Usage: restore-hub-db.sh hub-db/hub-db-<time>.sql   (relative to $BACKUP_ROOT, or absolute)
# Environment: the CronJob's (hubDbEnv in components/backup.ts); BACKUP_ROOT, DEFAULTS_FILE (the
# options file: server, hub user and password) and HUB_DATABASE are read.
set -eu
: "${BACKUP_ROOT:?}"
file=${1:?usage: restore-hub-db.sh hub-db/hub-db-<time>.sql}
case "$file" in /*) ;; *) file="$BACKUP_ROOT/$file" ;; esac
[ -f "$file" ] || { echo "no dump at $file" >&2; exit 1; }
start=$(date +%s)

: "${DEFAULTS_FILE:?}" "${HUB_DATABASE:?}"
tail -n 1 "$file" | grep -q '^-- Dump completed' || { echo "$file is not a complete mysqldump" >&2; exit 1; }
sql() { mysql --defaults-extra-file="$DEFAULTS_FILE" "$@"; }
# Tables a newer hub added must not outlive the restore: a clean database, then the dump.
sql -e "DROP DATABASE IF EXISTS \`$HUB_DATABASE\`; CREATE DATABASE \`$HUB_DATABASE\` CHARACTER SET utf8mb4;"
sql "$HUB_DATABASE" < "$file"
tables=$(sql -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$HUB_DATABASE'")
echo "restored $HUB_DATABASE from $file: $tables tables in $(($(date +%s) - start)) s"
