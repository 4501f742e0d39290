#!/bin/sh
# Init container of the in-cluster directory (components/openldap.ts): checks the configuration
# the program wrote and, when the claim holds no database yet, loads the bootstrap tree into it.
# A database that exists is never touched: users and groups added later reach it through the
# sync Job, and a directory kept by `pulumi destroy` comes back as it was.
#
#   SLAPD_CONF  the program's slapd.conf (it names the database directory)
#   DATA_DIR    that database directory, on the claim
#   TREE_LDIF   the bootstrap tree (base entry, OUs, users with their password hashes, groups)
#   SLAPTOOLS   directory of slapadd and slaptest (the image's /opt/symas/sbin)
set -eu
: "${SLAPD_CONF:?}" "${DATA_DIR:?}" "${TREE_LDIF:?}" "${SLAPTOOLS:?}"

mkdir -p "$DATA_DIR"
# -u: the database may not exist yet; this checks the file, its schemas, module and TLS files.
"$SLAPTOOLS/slaptest" -u -f "$SLAPD_CONF"
if [ -s "$DATA_DIR/data.mdb" ]; then
  echo "directory database present in $DATA_DIR: left as it is"
else
  # -q: quick mode, the right one for a bulk load into an empty database.
  "$SLAPTOOLS/slapadd" -q -f "$SLAPD_CONF" -l "$TREE_LDIF"
  echo "directory database created in $DATA_DIR from $(grep -c '^dn:' "$TREE_LDIF") entries"
fi
