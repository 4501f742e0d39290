#!/usr/bin/env bash
# Installs what `npm run test:services` (test/services/*.test.ts) needs, idempotently:
#   - Debian packages slapd, ldap-utils, mariadb-server (+ openssl), apt-get update only when one is missing;
#     their system services are stopped if the package scripts started them (the test runs its
#     own instances on free ports in a temp dir);
#   - a Python venv with the hub image's JupyterHub, LDAPAuthenticator, KubeSpawner and PyMySQL, cached outside
#     the repo in $HOME/.cache/jhub-services/venv-<hash of test/services/requirements.txt>;
#   - configurable-http-proxy (the chart's proxy image version) from npm, cached in
#     $HOME/.cache/jhub-services/chp-<version>.
# Prints what it did. Safe to run again: a warm machine takes about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=.ci/node-env.sh
. "$ROOT/.ci/node-env.sh"
CACHE="${JHUB_SERVICES_CACHE:-$HOME/.cache/jhub-services}"
PYTHON="${PYTHON:-python3}"
start=$(date +%s)
say() { printf '[services-setup] %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
need=()
for pkg in slapd ldap-utils mariadb-server mariadb-client openssl; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then need+=("$pkg"); fi
done
if [ "${#need[@]}" -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  say "Debian packages present: slapd $(dpkg-query -W -f='${Version}' slapd), mariadb-server $(dpkg-query -W -f='${Version}' mariadb-server)"
fi
# The packages' postinst may start the system instances (Debian does unless policy-rc.d says
# no). They would sit on 389/3306 for nothing: stop them, by their own pid files.
if [ -s /run/slapd/slapd.pid ] && kill -0 "$(cat /run/slapd/slapd.pid)" 2>/dev/null; then
  say "stopping the system slapd started by the package"
  service slapd stop >/dev/null 2>&1 || kill "$(cat /run/slapd/slapd.pid)"
fi
for pidfile in /run/mysqld/mysqld.pid /run/mysqld/mariadb.pid; do
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "stopping the system MariaDB started by the package"
    service mariadb stop >/dev/null 2>&1 || kill "$(cat "$pidfile")"
  fi
done

# --- Python venv -----------------------------------------------------------------------------
req="$ROOT/test/services/requirements.txt"
hash=$(sha256sum "$req" | cut -c1-12)
venv="$CACHE/venv-$hash"
if [ -x "$venv/bin/jupyterhub" ] && [ -f "$venv/.complete" ]; then
  say "venv present: $venv"
else
  say "creating venv $venv"
  rm -rf "$venv"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  touch "$venv/.complete"
fi
say "venv: $("$venv/bin/python" -c 'import sys
from importlib.metadata import version
print("python", sys.version.split()[0], *(f"{p} {version(p)}" for p in ("jupyterhub", "jupyterhub-ldapauthenticator", "jupyterhub-kubespawner", "kubernetes-asyncio", "ldap3", "pymysql", "cryptography")))')"

# --- configurable-http-proxy -----------------------------------------------------------------
chp="$CACHE/chp-$CHP_VERSION"
if [ -x "$chp/node_modules/.bin/configurable-http-proxy" ]; then
  say "configurable-http-proxy present: $chp"
else
  say "installing configurable-http-proxy@$CHP_VERSION into $chp"
  rm -rf "$chp"
  mkdir -p "$chp"
  npm install --prefix "$chp" --no-audit --no-fund --no-save --loglevel=error "configurable-http-proxy@$CHP_VERSION" >/dev/null
fi
say "configurable-http-proxy $("$chp/node_modules/.bin/configurable-http-proxy" --version)"
say "done in $(($(date +%s) - start))s"
