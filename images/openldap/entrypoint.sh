#!/bin/sh
# The stand-in's /opt/bitnami/scripts/openldap/entrypoint.sh, written for this project. The real
# image's entrypoint is Bitnami's (kept by Symas): with its run.sh as the command it first sets the
# directory up from LDAP_* variables (cn=config under /opt/bitnami/openldap, its data under
# /bitnami/openldap), then runs the command. This stand-in does not reproduce that setup: the
# program never runs it (its pods set `command:` and start slapd, slaptest and slapadd with its own
# slapd.conf; docs/images.md). Any other command is run as given, as the real entrypoint does.
set -eu
case "$*" in
  */opt/bitnami/scripts/openldap/run.sh*)
    echo "symas/openldap stand-in (jupyterhub-platform images/openldap): Bitnami's LDAP_* setup and run.sh are not reproduced; start slapd with a configuration of your own" >&2
    exit 1
    ;;
esac
exec "$@"
