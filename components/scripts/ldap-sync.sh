#!/bin/sh
# The sync Job of the in-cluster directory (components/openldap.ts): brings a running directory in
# line with the config.
# 1. Adds the entries of the tree it lacks (new users and groups), with their derived passwords.
# 2. When the master key differs from the one recorded in the users OU (a rotation, an upgrade
#    from per-user random passwords, or a directory that has never been synced), sets every
#    configured user's password and records the key's fingerprint; otherwise leaves passwords
#    alone, so that one set by hand lasts until the next rotation.
# 3. Resets group membership to the config.
# 4. Deletes the people (inetOrgPerson entries directly under the users OU) that the config no
#    longer lists: the users OU belongs to the stack.
# POSIX sh and awk only (the image's dash and mawk); the admin binds with the password file.
#
# Environment (syncEnv in components/openldap.ts):
#   DIRECTORY_URI        LDAPS URI of the directory
#   DIRECTORY_BASE_DN    the tree's base DN
#   DIRECTORY_PEOPLE_DN  the users OU
#   DIRECTORY_ADMIN_DN   the directory's admin (its rootdn)
#   BOOTSTRAP_DIR        the files of the Secret openldap-bootstrap (bootstrapFiles in
#                        components/openldap.ts): tree.ldif, groups.ldif, uids, fingerprint, admin-password
#   LDAPTLS_CACERT       the CA the server's certificate is verified with (read by libldap)
#   RESET_FROM_KEY       optional: from which key step 2 may replace passwords set from another.
#                        Unset or "any": any (a stack without a data key); empty: none (a stack with
#                        a data key); a fingerprint: that key's (ldap.resetPasswordsFrom)
set -eu
# The ldap-utils of the symas/openldap image first; elsewhere (the services tests) the system's.
export PATH="/opt/symas/bin:/opt/symas/sbin:$PATH"
: "${DIRECTORY_URI:?}" "${DIRECTORY_BASE_DN:?}" "${DIRECTORY_PEOPLE_DN:?}" "${DIRECTORY_ADMIN_DN:?}" "${BOOTSTRAP_DIR:?}" "${LDAPTLS_CACERT:?}"
as_admin() { cmd=$1; shift; "$cmd" -H "$DIRECTORY_URI" -x -D "$DIRECTORY_ADMIN_DN" -y "$BOOTSTRAP_DIR/admin-password" "$@"; }
ok=0
for _ in $(seq 1 60); do
  if as_admin ldapwhoami >/dev/null 2>&1; then ok=1; break; fi
  sleep 5
done
[ "$ok" = 1 ] || { echo "directory not reachable at $DIRECTORY_URI" >&2; exit 1; }

# 1. Entries of the tree the directory lacks (compared by DN, case-insensitively).
missing=$(as_admin ldapsearch -LLL -o ldif-wrap=no -b "$DIRECTORY_BASE_DN" -s sub '(objectClass=*)' 1.1 | sed -n 's/^dn: //p' |
  awk 'BEGIN { while ((getline dn < "/dev/stdin") > 0) have[tolower(dn)] = 1; RS = "" }
       { split($0, line, "\n"); if (!(tolower(substr(line[1], 5)) in have)) printf "%s\n\n", $0 }' "$BOOTSTRAP_DIR/tree.ldif")
if [ -n "$missing" ]; then
  # -c: an entry that exists after all (68: its DN written differently) is left as it is.
  rc=0; printf '%s\n' "$missing" | as_admin ldapadd -c || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 68 ] || exit "$rc"
fi

# 2. Passwords, only when the master key is not the one recorded in the users OU.
prefix="jupyterhub-platform user passwords"
marker="$prefix $(cat "$BOOTSTRAP_DIR/fingerprint")"
recorded=$(as_admin ldapsearch -LLL -o ldif-wrap=no -b "$DIRECTORY_PEOPLE_DN" -s base '(objectClass=*)' description | sed -n 's/^description: //p')
if [ "$recorded" != "$marker" ]; then
  # A stack with a data key resets passwords set from another key only when told which (ldap.resetPasswordsFrom).
  allowed=${RESET_FROM_KEY-any}
  old=$(printf '%s' "$recorded" | sed "s/^$prefix //")
  if [ -n "$recorded" ] && [ "$allowed" != any ] && [ "$old" != "$allowed" ]; then
    echo "the directory's passwords were set from key $old; this stack's data key (jupyterhub:dataKey) is $(cat "$BOOTSTRAP_DIR/fingerprint")." >&2
    echo "If this stack was re-created without its config file, put Pulumi.<stack>.yaml back. To give every user a new password" >&2
    echo "from this key on purpose: pulumi config set --plaintext --path ldap.resetPasswordsFrom $old, then pulumi up" >&2
    exit 3
  fi
  # Each user's entry in the tree, as a modification of its userPassword.
  awk 'BEGIN { RS = "" }
       /\nuserPassword:/ { n = split($0, line, "\n"); printf "%s\nchangetype: modify\nreplace: userPassword\n", line[1]
                            for (i = 2; i <= n; i++) if (line[i] ~ /^userPassword:/) print line[i]
                            printf "-\n\n" }' "$BOOTSTRAP_DIR/tree.ldif" | as_admin ldapmodify >/dev/null
  printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: %s\n-\n' "$DIRECTORY_PEOPLE_DN" "$marker" | as_admin ldapmodify >/dev/null
  echo "passwords of $(grep -c . "$BOOTSTRAP_DIR/uids") users set from the master key $(cat "$BOOTSTRAP_DIR/fingerprint")"
fi

# 3. Group membership as configured.
as_admin ldapmodify -f "$BOOTSTRAP_DIR/groups.ldif" >/dev/null

# 4. People the config no longer lists.
stale=$(as_admin ldapsearch -LLL -o ldif-wrap=no -b "$DIRECTORY_PEOPLE_DN" -s one '(objectClass=inetOrgPerson)' uid |
  awk -v keep="$BOOTSTRAP_DIR/uids" 'BEGIN { while ((getline u < keep) > 0) wanted[u] = 1; RS = "" }
       { n = split($0, line, "\n"); dn = ""; listed = 0
         for (i = 1; i <= n; i++) {
           if (line[i] ~ /^dn: /) dn = substr(line[i], 5)
           else if (line[i] ~ /^dn:: /) print "left alone (encoded DN): " line[i] > "/dev/stderr"
           else if (line[i] ~ /^uid: / && (tolower(substr(line[i], 6)) in wanted)) listed = 1
         }
         if (dn != "" && !listed) print dn }')
if [ -n "$stale" ]; then
  printf '%s\n' "$stale" | as_admin ldapdelete
  printf '%s\n' "$stale" | sed 's/^/deleted /'
fi
echo "directory in sync"
