#!/usr/bin/env bash
# The mysql:8.4.7 stand-in's entrypoint (jupyterhub-platform images/mysql), written for this project
# from the facts docs/images.md records about docker-library/mysql's 8.4/docker-entrypoint.sh; none of
# that file's text is used. It starts MariaDB (Debian's mariadbd, named mysqld) the way the program
# relies on the real entrypoint to start MySQL:
#   - arguments that start with "-" are options of mysqld;
#   - as root it makes the data and socket folders mysql's and runs itself again as mysql (gosu);
#     as any other uid it does neither: those folders must already be writable by it;
#   - MYSQL_ROOT_PASSWORD, MYSQL_ROOT_HOST (default %), MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD may
#     each come from the file <NAME>_FILE names (trailing newlines dropped); both set is an error;
#   - on a data folder without mysql/ (a new one; lost+found and dot files are no obstacle): one of
#     MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD is required; the
#     folder is initialised with the container's mysqld options, a temporary server without
#     networking (the same options) sets the root password, the time zone tables (unless
#     MYSQL_INITDB_SKIP_TZINFO), MYSQL_DATABASE and MYSQL_USER, runs /docker-entrypoint-initdb.d/*
#     in name order, and stops; nothing of this is done again on a folder that has mysql/;
#   - then mysqld runs in the foreground with the container's options (an --init-file among them
#     runs at every start, and in the temporary server).
set -Eeo pipefail
shopt -s nullglob

say() { printf '%s [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }

# from_file NAME [DEFAULT]: NAME's value, or the content of the file NAME_FILE names.
from_file() {
  local name=$1 file_name="${1}_FILE" value=${2:-}
  if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
    fail "$name and $file_name are both set; set one of them"
  fi
  if [ -n "${!name:-}" ]; then
    value=${!name}
  elif [ -n "${!file_name:-}" ]; then
    value=$(< "${!file_name}")
  fi
  export "$name"="$value"
  unset "$file_name"
}

# The value mysqld would use for a setting, given the container's options (its --verbose --help).
setting() {
  local key=$1; shift
  "$@" --verbose --help 2>/dev/null | awk -v k="$key" '$1 == k && NF == 2 { print $2; exit }'
}

sql_string() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\'\'}"; }

# run_sql [--database DB]: SQL from stdin, as root over the socket of the temporary server.
run_sql() {
  local db=()
  if [ "${1:-}" = --database ]; then db=(--database="$2"); fi
  mysql --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "${ROOT_PASSWORD_SET:-}") \
    --protocol=socket --socket="$SOCKET" -uroot -hlocalhost --comments "${db[@]}"
}

start_temporary_server() {
  "$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" &
  TEMP_PID=$!
  for _ in $(seq 60); do
    if mysqladmin --protocol=socket --socket="$SOCKET" -uroot ping --silent >/dev/null 2>&1; then return 0; fi
    kill -0 "$TEMP_PID" 2>/dev/null || fail "the temporary server stopped while starting"
    sleep 1
  done
  fail "the temporary server did not answer within 60 s"
}

stop_temporary_server() {
  mysqladmin --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "${ROOT_PASSWORD_SET:-}") \
    --protocol=socket --socket="$SOCKET" -uroot shutdown
  wait "$TEMP_PID" || true
}

run_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case $f in
      *.sh)
        if [ -x "$f" ]; then say "running $f"; "$f"; else say "sourcing $f"; # shellcheck disable=SC1090
          . "$f"; fi ;;
      *.sql) say "running $f"; run_sql --database "${MYSQL_DATABASE:-mysql}" < "$f" ;;
      *.sql.gz) say "running $f"; gunzip -c "$f" | run_sql --database "${MYSQL_DATABASE:-mysql}" ;;
      *.sql.xz) say "running $f"; xzcat "$f" | run_sql --database "${MYSQL_DATABASE:-mysql}" ;;
      *.sql.bz2) say "running $f"; bunzip2 -c "$f" | run_sql --database "${MYSQL_DATABASE:-mysql}" ;;
      *.sql.zst) say "running $f"; zstd -dc "$f" | run_sql --database "${MYSQL_DATABASE:-mysql}" ;;
      *) say "ignoring $f" ;;
    esac
  done
}

first_start() {
  if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    fail "the data folder is new and no root password is given: set MYSQL_ROOT_PASSWORD (or _FILE), MYSQL_ALLOW_EMPTY_PASSWORD or MYSQL_RANDOM_ROOT_PASSWORD"
  fi
  if [ "$MYSQL_USER" = root ]; then fail "MYSQL_USER=root: root is made from MYSQL_ROOT_PASSWORD"; fi
  say "initialising $DATADIR"
  mkdir -p "$DATADIR"
  # MariaDB's counterpart of `mysqld --initialize-insecure`: system tables, root without a password.
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    --default-time-zone=SYSTEM "${@:2}"
  start_temporary_server "$@"
  if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ]; then
    mysql_tzinfo_to_sql /usr/share/zoneinfo | sed 's/Local time zone must be set--see zic manual page/FCTY/' | run_sql --database mysql
  fi
  if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
    MYSQL_ROOT_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    say "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
  fi
  local pw host
  pw=$(sql_string "$MYSQL_ROOT_PASSWORD")
  host=$(sql_string "$MYSQL_ROOT_HOST")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
    if [ "$MYSQL_ROOT_HOST" != localhost ]; then
      echo "CREATE USER 'root'@$host IDENTIFIED BY $pw;"
      echo "GRANT ALL ON *.* TO 'root'@$host WITH GRANT OPTION;"
    fi
    if [ -n "$MYSQL_DATABASE" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"; fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
      echo "CREATE USER $(sql_string "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_string "$MYSQL_PASSWORD");"
      if [ -n "$MYSQL_DATABASE" ]; then echo "GRANT ALL ON \`${MYSQL_DATABASE//_/\\_}\`.* TO $(sql_string "$MYSQL_USER")@'%';"; fi
    fi
  } | run_sql
  ROOT_PASSWORD_SET=$MYSQL_ROOT_PASSWORD
  run_init_files
  if [ -n "${MYSQL_ONETIME_PASSWORD:-}" ]; then
    echo "ALTER USER 'root'@'%' PASSWORD EXPIRE;" | run_sql
  fi
  stop_temporary_server
  say "$DATADIR is ready"
}

if [ "${1:0:1}" = - ]; then set -- mysqld "$@"; fi

if [ "$1" = mysqld ] || [ "$1" = mariadbd ]; then
  for a in "$@"; do
    case $a in -'?' | --help | -V | --version) exec "$@" ;; esac
  done
  DATADIR=$(setting datadir "$@")
  DATADIR=${DATADIR%/}
  SOCKET=$(setting socket "$@")
  if [ -z "$DATADIR" ] || [ -z "$SOCKET" ]; then
    fail "mysqld $* does not start: $("$@" --verbose --help 2>&1 >/dev/null | head -n 3)"
  fi
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
    find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql: '{}' +
    exec gosu mysql "${BASH_SOURCE[0]}" "$@"
  fi
  from_file MYSQL_ROOT_HOST %
  from_file MYSQL_DATABASE
  from_file MYSQL_USER
  from_file MYSQL_PASSWORD
  from_file MYSQL_ROOT_PASSWORD
  if [ ! -d "$DATADIR/mysql" ]; then first_start "$@"; fi
fi
exec "$@"
