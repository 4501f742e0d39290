# shellcheck shell=bash
# shellcheck disable=SC2034  # IMAGE_* and the versions are read by .ci/images.sh and images/lib.sh
# mysql:8.4.7, the in-cluster hub database (mysql.image) and the client image of the database dumps,
# with the contract docs/images.md records from docker-library/mysql
# (ddb031e406121b1a298563775d521c044452a508: 8.4/Dockerfile.oracle, 8.4/docker-entrypoint.sh):
#   - groupadd --system --gid 999 mysql; useradd --system --uid 999 --gid 999 --home-dir
#     /var/lib/mysql --no-create-home mysql; no USER (the entrypoint drops to mysql with gosu);
#   - /var/lib/mysql and /var/run/mysqld mysql:mysql mode 1777; socket
#     /var/run/mysqld/mysqld.sock (server and clients), pid file /var/run/mysqld/mysqld.pid;
#     /etc/mysql/conf.d included; /docker-entrypoint-initdb.d;
#   - VOLUME /var/lib/mysql; ENTRYPOINT ["docker-entrypoint.sh"] (/usr/local/bin); CMD ["mysqld"];
#   - mysqld, mysql, mysqladmin, mysqldump, mysql_tzinfo_to_sql, gosu, bash and coreutils.
#
# MySQL 8.4 cannot be had here (no Oracle packages, no registry): this is MariaDB 10.11 from Debian
# bookworm (mariadb-server-core, mariadb-client), whose mysqld, mysql, mysqladmin, mysqldump and
# mysql_tzinfo_to_sql are links to mariadbd, mariadb, ... The entrypoint is written here
# (./docker-entrypoint.sh), from the contract's facts, not copied; it initialises with
# mariadb-install-db instead of mysqld --initialize-insecure and starts the temporary server in
# the background instead of --daemonize. Differences the program may meet: MariaDB's SQL dialect
# and defaults (mysql_native_password instead of caching_sha2_password; --disable-log-bin is
# MariaDB's --skip-log-bin), no X Protocol (33060), gosu from Debian (/usr/sbin/gosu, linked from
# /usr/local/bin/gosu).

IMAGE_REF=mysql:8.4.7
IMAGE_USER=""
IMAGE_ENTRYPOINT=(docker-entrypoint.sh)
IMAGE_CMD=(mysqld)
IMAGE_ENV=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
IMAGE_PORTS=(3306/tcp)
IMAGE_VOLUMES=(/var/lib/mysql)
IMAGE_STANDIN="stand-in for mysql:8.4.7 built by jupyterhub-platform images/mysql: MariaDB 10.11 from Debian bookworm (MySQL 8.4 cannot be had here), mysql 999:999, entrypoint written here from the image's contract"

build() {
  debian_rootfs mariadb-server-core mariadb-client gosu tzdata ca-certificates
  in_rootfs groupadd --system --gid 999 mysql
  in_rootfs useradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql --no-create-home mysql
  # Inside the image: its /var/run is a link to /run, which from outside would be this machine's.
  in_rootfs install -d -o mysql -g mysql -m 1777 /var/lib/mysql /var/run/mysqld
  in_rootfs install -d /docker-entrypoint-initdb.d /etc/mysql/conf.d
  # The image's /etc/my.cnf settings, in the file Debian's my.cnf reads last of its own.
  cat > "$ROOTFS/etc/mysql/mariadb.conf.d/90-mysql-image.cnf" <<'CNF'
# jupyterhub-platform images/mysql: the settings of mysql:8.4.7's /etc/my.cnf the program relies on.
[mysqld]
datadir=/var/lib/mysql
socket=/var/run/mysqld/mysqld.sock
pid-file=/var/run/mysqld/mysqld.pid
[client]
socket=/var/run/mysqld/mysqld.sock
CNF
  ln -sf mariadb-tzinfo-to-sql "$ROOTFS/usr/bin/mysql_tzinfo_to_sql"
  ln -sf /usr/sbin/gosu "$ROOTFS/usr/local/bin/gosu"
  install -m 0755 "$RECIPE_DIR/docker-entrypoint.sh" "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
}
