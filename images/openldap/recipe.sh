# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# symas/openldap:2.6.8-debian-12, the in-cluster directory (ldap.image), with the layout the program
# relies on (components/directory/slapd.ts SYMAS; docs/images.md "symas/openldap"):
#   - Symas's packages under /opt/symas, which Symas's post-unpack script moves to
#     /opt/bitnami/openldap and links back (/opt/symas -> /opt/bitnami/openldap);
#   - the server in lib/slapd, hard-linked to sbin/slapd, which carries cap_net_bind_service=+eip
#     (Bitnami's `setcap CAP_NET_BIND_SERVICE=+eip .../sbin/slapd`); slapadd, slaptest and the
#     other slap* tools in sbin/, the same file; the ldap* clients in bin/; the schemas in
#     etc/openldap/schema (etc/schema links to it); the back_mdb module in lib/openldap;
#   - USER 1001 (the Bitnami layout's), which the runtime runs with group 0 when no passwd entry
#     names it; the share, var and data folders group-0 writable (g+rwX); Bitnami's entrypoint
#     /opt/bitnami/scripts/openldap/entrypoint.sh with run.sh as the command; EXPOSE 1389 1636.
#
# Differs from the real image: OpenLDAP 2.5.13 from Debian bookworm's slapd and ldap-utils instead
# of Symas's 2.6.8 packages (no 2.6 is packaged for bookworm; the program's slapd.conf and tools use
# nothing 2.6 added): the /opt/symas paths are links to Debian's files (/usr/sbin/slapd,
# /usr/bin/ldap*, /etc/ldap/schema, /usr/lib/ldap), and slapd's built-in defaults are Debian's
# (/etc/ldap, /var/run/slapd), which the program overrides with -f, pidfile and argsfile; the
# entrypoint is a stand-in that runs any command but refuses Bitnami's run.sh (its LDAP_* setup is
# not reproduced; ./entrypoint.sh).

IMAGE_REF=symas/openldap:2.6.8-debian-12
IMAGE_USER=1001
IMAGE_ENTRYPOINT=(/opt/bitnami/scripts/openldap/entrypoint.sh)
IMAGE_CMD=(/opt/bitnami/scripts/openldap/run.sh)
IMAGE_ENV=("PATH=/opt/bitnami/openldap/bin:/opt/bitnami/openldap/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_PORTS=(1389/tcp 1636/tcp)
IMAGE_STANDIN="stand-in for symas/openldap:2.6.8-debian-12 built by jupyterhub-platform images/openldap: Debian bookworm slapd 2.5 (not Symas 2.6.8) laid out under /opt/symas, slapd with cap_net_bind_service+eip, USER 1001, no Bitnami setup"

build() {
  # No default directory from the package's configuration script (dc=nodomain in /var/lib/ldap).
  DEBCONF_SELECTIONS='slapd slapd/no_configuration boolean true' \
    debian_rootfs slapd ldap-utils libcap2-bin ca-certificates
  rm -rf "$ROOTFS/etc/ldap/slapd.d" "$ROOTFS/var/lib/ldap"/*
  local base="$ROOTFS/opt/bitnami/openldap" t
  mkdir -p "$base/lib" "$base/sbin" "$base/bin" "$base/etc/openldap" "$base/share" "$base/var/run" "$base/var/data" \
    "$ROOTFS/bitnami/openldap" "$ROOTFS/opt/bitnami/scripts/openldap" "$ROOTFS/docker-entrypoint-initdb.d"
  ln -s /opt/bitnami/openldap "$ROOTFS/opt/symas"
  # Debian's slapd and its tools are one file under several names (hard links of /usr/sbin/slapacl).
  ln "$ROOTFS/usr/sbin/slapd" "$base/lib/slapd"
  ln "$base/lib/slapd" "$base/sbin/slapd"
  for t in "$ROOTFS"/usr/sbin/slap*; do
    t=$(basename "$t")
    [ "$t" = slapd ] || ln "$base/lib/slapd" "$base/sbin/$t"
  done
  for t in "$ROOTFS"/usr/bin/ldap*; do ln -s "/usr/bin/$(basename "$t")" "$base/bin/$(basename "$t")"; done
  ln -s /etc/ldap/schema "$base/etc/openldap/schema"
  ln -s /opt/bitnami/openldap/etc/openldap/schema "$base/etc/schema"
  ln -s /usr/lib/ldap "$base/lib/openldap"
  setcap cap_net_bind_service=+eip "$base/sbin/slapd"
  chmod -R g+rwX "$base/share" "$base/var" "$ROOTFS/bitnami/openldap" "$ROOTFS/docker-entrypoint-initdb.d"
  install -m 0755 "$RECIPE_DIR/entrypoint.sh" "$ROOTFS/opt/bitnami/scripts/openldap/entrypoint.sh"
}
