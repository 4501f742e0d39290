#!/usr/bin/env bash
# The kind check: the only check of this project that starts real pods. Run by
# .github/workflows/kind-e2e.yml and by anyone with Docker or Podman:
#   scripts/e2e-kind.sh [--keep]      --keep: leave the cluster running after a pass
# On a kind cluster of its own, with the dev stack as Pulumi.dev.yaml has it:
#   up (scripts/up-dev.sh: the cluster, `pulumi up`, every pod Ready); log in as demo through the
#   proxy; start demo's server through the REST API and wait until it answers; write a file into
#   the home and one into the shared volume; stop the server; `pulumi destroy` (the data stays) and
#   up again (scripts/up-dev.sh, reusing the cluster); demo logs in with the password from before;
#   start the server again and read both files back; outsider, outside the allowed group, is
#   refused; the policy pack judges the live stack.
# Each step prints its time; a failure prints the pods, their events and the logs, and keeps the
# cluster for a look. Its own cluster ($JHUB_KIND_CLUSTER, default jupyterhub-e2e), kubeconfig,
# copy of the project and state backend (in a temp dir): your kubeconfig and dev stack are not
# touched. The hub is forwarded to 127.0.0.1:$JHUB_E2E_PORT (default 18080).
set -euo pipefail
usage() { sed -n '2,15p' "$0" | cut -c3-; }
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    -h | --help) usage; exit 0 ;;
    *) { echo "e2e-kind.sh: unknown argument $arg"; usage; } >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export JHUB_KIND_CLUSTER="${JHUB_KIND_CLUSTER:-jupyterhub-e2e}"
# shellcheck source=.ci/node-env.sh
. .ci/node-env.sh
# shellcheck source=scripts/kind-env.sh
. scripts/kind-env.sh
port="${JHUB_E2E_PORT:-18080}"
base="http://127.0.0.1:$port"

# What the steps need, before anything is created.
if ! command -v pulumi >/dev/null 2>&1 && [ -x "$HOME/.pulumi/bin/pulumi" ]; then PATH="$HOME/.pulumi/bin:$PATH"; fi
missing=()
for tool in pulumi curl node; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "e2e-kind.sh needs ${missing[*]} on PATH (the Pulumi CLI: https://www.pulumi.com/docs/iac/download-install/)." >&2
  exit 1
fi
[ -d node_modules ] || { echo "No node_modules: run npm ci first." >&2; exit 1; }
runtime=$(container_runtime) || { no_runtime_message "The kind check needs Docker or Podman to create its cluster in, and neither answers."; exit 1; }
kind_provider "$runtime"
use_kind || exit 1
use_kubectl || exit 1
if kind_cluster_exists; then
  echo "A kind cluster named $KIND_CLUSTER exists already (kept by an earlier run?). The check starts from a new one: remove it (JHUB_KIND_CLUSTER=$KIND_CLUSTER scripts/down-dev.sh) or name another (JHUB_KIND_CLUSTER=...)." >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/jhub-kind-e2e.XXXXXX")
proj="$work/project"
mkdir -p "$proj" "$work/state"
for f in Pulumi.yaml Pulumi.dev.yaml package.json package-lock.json tsconfig.json .nvmrc index.ts config.ts; do cp "$f" "$proj/"; done
cp -R components lib policy scripts .ci "$proj/"
ln -s "$ROOT/node_modules" "$proj/node_modules"
export KUBECONFIG="$work/kubeconfig"
export PULUMI_BACKEND_URL="file://$work/state"
(umask 077 && openssl rand -hex 32 > "$work/passphrase")
export PULUMI_CONFIG_PASSPHRASE_FILE="$work/passphrase"
unset PULUMI_CONFIG_PASSPHRASE
export PULUMI_SKIP_UPDATE_CHECK=true
stack=(--stack dev --non-interactive)
# The namespace as Pulumi.dev.yaml sets it, for the diagnostics of a failed first up.
ns=$(sed -n 's/^ *jupyterhub:namespace: *//p' Pulumi.dev.yaml)
mask() { if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::add-mask::$1"; fi; }

# ---------------------------------------------------------------- steps, timed

times=()
current=""
t_start=$SECONDS
step() {
  local name=$1 t0=$SECONDS
  shift
  current=$name
  printf '\n==> %s\n' "$name"
  "$@"
  times+=("$(printf '%5ss  %s' "$((SECONDS - t0))" "$name")")
  printf '<== %s: %ss\n' "$name" "$((SECONDS - t0))"
  current=""
}

pf_pid=""
diagnostics() {
  echo "---- diagnostics (the step that failed: ${current:-none})"
  kubectl get nodes -o wide || true
  kubectl get pods -A -o wide || true
  [ -n "${ns:-}" ] || return 0
  kubectl -n "$ns" get all,pvc,networkpolicy -o wide || true
  kubectl get pv || true
  kubectl -n "$ns" get events --sort-by=.lastTimestamp | tail -n 80 || true
  local pod
  for pod in $(kubectl -n "$ns" get pods --no-headers 2>/dev/null | awk '$3 != "Running" && $3 != "Completed" {print $1} $3 == "Running" && split($2, r, "/") && r[1] != r[2] {print $1}'); do
    kubectl -n "$ns" describe pod "$pod" || true
  done
  for w in deploy/hub deploy/proxy deploy/openldap statefulset/mysql deploy/nfs-server daemonset/csi-nfs-node pod/jupyter-demo; do
    echo "---- logs $w"
    kubectl -n "$ns" logs "$w" --all-containers --tail=150 || true
  done
  [ -f "$work/port-forward.log" ] && { echo "---- port-forward"; tail -n 30 "$work/port-forward.log"; }
  return 0
}

finish() {
  local rc=$?
  set +e
  [ -n "$pf_pid" ] && kill "$pf_pid" 2>/dev/null
  if [ "$rc" -ne 0 ]; then diagnostics; fi
  printf '\n---- step times\n'
  [ "${#times[@]}" -eq 0 ] || printf '%s\n' "${times[@]}"
  [ -n "$current" ] && printf '  failed  %s\n' "$current"
  printf '%5ss  in all\n' "$((SECONDS - t_start))"
  if [ "$rc" -ne 0 ]; then
    echo "kind-e2e: FAILED (exit $rc). The cluster $KIND_CLUSTER stays: KUBECONFIG=$KUBECONFIG kubectl get pods -A; remove it with JHUB_KIND_CLUSTER=$KIND_CLUSTER scripts/down-dev.sh --yes (work dir: $work)."
  elif $keep; then
    echo "kind-e2e: passed. The cluster stays (--keep): KUBECONFIG=$KUBECONFIG; state $PULUMI_BACKEND_URL, passphrase $PULUMI_CONFIG_PASSPHRASE_FILE."
  else
    kind delete cluster --name "$KIND_CLUSTER" && rm -rf "$work"
    echo "kind-e2e: passed; the cluster $KIND_CLUSTER is removed."
  fi
  exit "$rc"
}
trap finish EXIT

# JSON field of stdin: jget KEY... (nested keys); objects are printed as JSON, nothing for null.
jget() {
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    let v = JSON.parse(s);
    for (const k of process.argv.slice(1)) v = v == null ? v : v[k];
    process.stdout.write(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  });' "$@"
}

up() {
  "$proj/scripts/up-dev.sh" --yes --skip-preview
  ns=$(cd "$proj" && pulumi stack output namespaceName "${stack[@]}")
}

# The proxy's Service on 127.0.0.1:$port. A redeploy replaces the proxy pod, which ends a
# port-forward, so it is started afresh after each up.
forward() {
  [ -n "$pf_pid" ] && kill "$pf_pid" 2>/dev/null
  kubectl -n "$ns" port-forward svc/proxy-public "$port:80" >"$work/port-forward.log" 2>&1 &
  pf_pid=$!
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "$base/hub/health"; then return 0; fi
    sleep 2
  done
  echo "the hub does not answer at $base/hub/health" >&2
  return 1
}

# The users' passwords from the stack output, into $work/USER.password.
passwords() {
  local all user
  all=$(cd "$proj" && pulumi stack output ldapUserPasswords --show-secrets --json "${stack[@]}")
  for user in demo outsider; do
    jget "$user" <<<"$all" >"$work/$user.password"
    [ -s "$work/$user.password" ] || { echo "no password for $user in the stack output ldapUserPasswords" >&2; return 1; }
    mask "$(cat "$work/$user.password")"
  done
}

# login USER: POST /hub/login as a browser does it (GET the form for its _xsrf field and cookie
# first; JupyterHub sets that cookie only on navigations); prints the status, keeps the cookies
# in $work/USER.cookies and the answer's headers in $work/USER.headers.
nav=(-H "Sec-Fetch-Mode: navigate" -H "Sec-Fetch-Dest: document" -H "User-Agent: kind-e2e")
login() {
  local jar="$work/$1.cookies" page xsrf
  rm -f "$jar"
  page=$(curl -sS -c "$jar" -b "$jar" "${nav[@]}" -H "Sec-Fetch-Site: none" "$base/hub/login")
  xsrf=$(grep -o 'name="_xsrf"[[:space:]]*value="[^"]*"' <<<"$page" | head -n1 | sed 's/.*value="//; s/"$//')
  if [ -z "$xsrf" ]; then echo "no _xsrf field in the login form" >&2; return 1; fi
  curl -sS -o /dev/null -D "$work/$1.headers" -w '%{http_code}' -c "$jar" -b "$jar" "${nav[@]}" \
    -H "Sec-Fetch-Site: same-origin" -H "Origin: $base" \
    --data-urlencode "_xsrf=$xsrf" --data-urlencode "username=$1" --data-urlencode "password@$work/$1.password" \
    "$base/hub/login?next=%2Fhub%2Fhome"
}

first_login() {
  passwords
  cp "$work/demo.password" "$work/demo.password.first"
  login_demo
}

# The accounts outlive a retaining destroy like the data: the same password opens them.
login_again() {
  passwords
  cmp -s "$work/demo.password" "$work/demo.password.first" || { echo "demo's password in the stack output changed with the destroy and up" >&2; return 1; }
  login_demo
}

login_demo() {
  local status
  status=$(login demo)
  echo "demo: POST /hub/login -> $status"
  [ "$status" = 302 ] || { echo "expected 302 for demo" >&2; return 1; }
  grep -qi '^set-cookie: jupyterhub-hub-login=' "$work/demo.headers" || { echo "no jupyterhub-hub-login cookie for demo" >&2; return 1; }
}

# An API token for demo, made with the login session: the home page sets the logged-in session's
# _xsrf cookie, which the API wants back in X-XSRFToken from a cookie-authenticated POST.
demo_token() {
  local jar="$work/demo.cookies" xsrf status
  curl -sS -o /dev/null -c "$jar" -b "$jar" "${nav[@]}" -H "Sec-Fetch-Site: same-origin" "$base/hub/home"
  xsrf=$(awk -F'\t' '$6 == "_xsrf" {v = $7} END {print v}' "$jar")
  [ -n "$xsrf" ] || { echo "no _xsrf cookie after GET /hub/home" >&2; return 1; }
  status=$(curl -sS -o "$work/token.json" -w '%{http_code}' -c "$jar" -b "$jar" -H "X-XSRFToken: $xsrf" \
    -H "Content-Type: application/json" --data '{"note": "kind e2e", "expires_in": 7200}' "$base/hub/api/users/demo/tokens")
  echo "POST /hub/api/users/demo/tokens -> $status"
  [ "$status" = 201 ] || { cat "$work/token.json" >&2; return 1; }
  local token
  token=$(jget token <"$work/token.json")
  mask "$token"
  (umask 077 && printf 'Authorization: token %s\n' "$token" >"$work/auth.header")
}

# api METHOD PATH [JSON]: prints the status; the body is in $work/api.out.
api() {
  local -a args=(-sS -o "$work/api.out" -w '%{http_code}' -X "$1" -H "@$work/auth.header")
  [ $# -lt 3 ] || args+=(-H "Content-Type: application/json" --data "$3")
  curl "${args[@]}" "$base$2"
}

start_server() {
  local status
  status=$(api POST /hub/api/users/demo/server '{}')
  echo "POST /hub/api/users/demo/server -> $status"
  case "$status" in 201 | 202) ;; *) cat "$work/api.out" >&2; return 1 ;; esac
  # Ready when the server itself answers through the proxy: its REST API, with demo's token.
  for _ in $(seq 1 200); do
    status=$(api GET /user/demo/api/status || true)
    if [ "$status" = 200 ]; then
      echo "GET /user/demo/api/status -> 200: $(cat "$work/api.out")"
      return 0
    fi
    sleep 3
  done
  echo "demo's server did not answer in 10 minutes (last: $status)" >&2
  api GET /hub/api/users/demo >/dev/null && cat "$work/api.out" >&2
  return 1
}

stop_server() {
  local status
  status=$(api DELETE /hub/api/users/demo/server)
  echo "DELETE /hub/api/users/demo/server -> $status"
  case "$status" in 202 | 204) ;; *) cat "$work/api.out" >&2; return 1 ;; esac
  for _ in $(seq 1 100); do
    if [ "$(api GET /hub/api/users/demo || true)" = 200 ] && [ -z "$(jget server <"$work/api.out")" ] &&
      [ -z "$(jget pending <"$work/api.out")" ] && ! kubectl -n "$ns" get pod jupyter-demo >/dev/null 2>&1; then
      echo "demo's server is stopped and its pod gone"
      return 0
    fi
    sleep 3
  done
  echo "demo's server did not stop in 5 minutes" >&2
  return 1
}

# demo's pod and container: KubeSpawner 7.0.0 names pods 'jupyter-{user_server}' and the server's
# container 'notebook' (kubespawner/spawner.py pod_name_template, kubespawner/objects.py). The
# image is quay.io/jupyterhub/k8s-singleuser-sample:4.4.0, python:3.12-slim-bookworm with /bin/sh
# (z2jh 4.4.0 images/singleuser-sample/Dockerfile). The home is at singleuser.homeMountPath
# (default /home/jovyan), the shared volume at nfs.shared.mountPath (Pulumi.dev.yaml: /mnt/shared;
# read-only for users, writable for admins such as demo).
home_file=/home/jovyan/kind-e2e-home.txt
shared_file=/mnt/shared/kind-e2e-shared.txt
in_pod() { kubectl -n "$ns" exec jupyter-demo -c notebook -- sh -c "$@"; }
nonce=$(openssl rand -hex 8)

# The pod's sh expands $1..$3, given as arguments (nothing is spliced into the script).
# shellcheck disable=SC2016
write_files() {
  in_pod 'printf "home %s" "$1" > "$2" && printf "shared %s" "$1" > "$3"' sh "$nonce" "$home_file" "$shared_file"
  echo "wrote $home_file and $shared_file ($nonce)"
}

destroy_keeping_data() {
  (cd "$proj" && pulumi destroy "${stack[@]}" --yes --skip-preview)
  kubectl get namespace "$ns" >/dev/null || { echo "pulumi destroy deleted the namespace $ns; dataPolicy retain keeps it" >&2; return 1; }
  kubectl -n "$ns" get pvc
}

# shellcheck disable=SC2016  # as in write_files: $1 is the pod's sh's, given as an argument
read_files() {
  local home shared
  home=$(in_pod 'cat "$1"' sh "$home_file")
  shared=$(in_pod 'cat "$1"' sh "$shared_file")
  echo "read back: '$home', '$shared'"
  [ "$home" = "home $nonce" ] || { echo "$home_file is '$home', not 'home $nonce'" >&2; return 1; }
  [ "$shared" = "shared $nonce" ] || { echo "$shared_file is '$shared', not 'shared $nonce'" >&2; return 1; }
}

outsider_refused() {
  local status
  status=$(login outsider)
  echo "outsider: POST /hub/login -> $status"
  if [ "$status" = 302 ] || grep -qi '^set-cookie: jupyterhub-hub-login=' "$work/outsider.headers"; then
    echo "outsider was logged in but is not in the allowed group" >&2
    return 1
  fi
}

policy_pack() {
  (cd "$proj" && pulumi preview "${stack[@]}" --policy-pack policy --policy-pack-config policy/config.dev.json)
}

echo "kind-e2e: cluster $KIND_CLUSTER on $runtime, $(kind version), node image $KIND_NODE_IMAGE; work dir $work"
step "up: kind cluster, pulumi up of dev, every pod Ready" up
step "port-forward of the proxy to $base" forward
step "log in as demo through the proxy" first_login
step "API token for demo from the login session" demo_token
step "start demo's server through the REST API until it answers" start_server
step "write a file into demo's home and one into the shared volume" write_files
step "stop demo's server" stop_server
step "pulumi destroy (the data stays)" destroy_keeping_data
step "up again on the same cluster" up
step "port-forward again (a new proxy pod)" forward
step "log in as demo again, with the password from before" login_again
step "start demo's server again" start_server
step "read both files back" read_files
step "outsider is refused" outsider_refused
step "policy pack on the live stack" policy_pack
