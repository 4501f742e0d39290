#!/usr/bin/env bash
# Local Kubernetes control plane without kubelets, for running the Pulumi program
# against a real API server:
#   etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok (fake node)
# A real node joins it with .ci/node.sh (stop and clean stop that node first).
#
#   .ci/cluster.sh start|stop|status|clean
#
# State (certs, etcd data, logs, pid files, kubeconfig): ${JHUB_CLUSTER_DIR:-/tmp/jhub-cluster}
# Binaries: the cache of .ci/toolchain.sh (run `.ci/toolchain.sh k8s` first).
# Everything listens on 127.0.0.1 only. `stop` kills exactly the PIDs this script
# recorded (after checking the PID still runs the same binary), then waits for them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
. "$HERE/lib.sh"

STATE="${JHUB_CLUSTER_DIR:-/tmp/jhub-cluster}"
PKI="$STATE/pki"
PIDS="$STATE/pids"
LOGS="$STATE/logs"
KUBECONFIG_OUT="$STATE/kubeconfig"

HOST=127.0.0.1
APISERVER_PORT="${JHUB_APISERVER_PORT:-6443}"
ETCD_CLIENT_PORT="${JHUB_ETCD_PORT:-2379}"
ETCD_PEER_PORT="${JHUB_ETCD_PEER_PORT:-2380}"
KCM_PORT="${JHUB_KCM_PORT:-10257}"
SCHED_PORT="${JHUB_SCHEDULER_PORT:-10259}"
KWOK_PORT="${JHUB_KWOK_PORT:-10247}"
SERVICE_CIDR="${JHUB_SERVICE_CIDR:-10.96.0.0/16}"
SERVICE_IP="${JHUB_SERVICE_IP:-10.96.0.1}"   # first address of SERVICE_CIDR
NODE_NAME="${JHUB_NODE_NAME:-kwok-node-0}"
SA_ISSUER="https://kubernetes.default.svc.cluster.local"

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

bin_of() {
  case $1 in
    etcd) echo "$ETCD_BIN_DIR/etcd" ;;
    kwok) echo "$KWOK_BIN_DIR/kwok" ;;
    *) echo "$KUBE_BIN_DIR/$1" ;;
  esac
}

# pid of a running component recorded by us, or nothing
running_pid() {
  local f="$PIDS/$1.pid" pid exe
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [[ "${exe% (deleted)}" == "$(bin_of "$1")" ]] || return 1
  echo "$pid"
}

curl_api() { # PATH
  curl -sS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://$HOST:$APISERVER_PORT$1"
}

kc() { kubectl --kubeconfig "$KUBECONFIG_OUT" "$@"; }

wait_for() { # SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      log "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 1
  done
}

# ------------------------------------------------------------------ certificates

gen_pki() {
  [[ -f "$PKI/.done-v2" ]] && return 0
  local c
  for c in "${COMPONENTS[@]}"; do
    running_pid "$c" >/dev/null && die "certificates missing/outdated while $c runs: run '$0 stop' first"
  done
  log "generating certificates in $PKI"
  rm -rf "$PKI"
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout ca.key -out ca.crt -subj "/CN=jhub-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

    sign() { # NAME SUBJ EXT
      openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -sha256 -days 3650 -in "$1.csr" -CA ca.crt -CAkey ca.key \
        -CAcreateserial -out "$1.crt" -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign admin "/O=system:masters/CN=jhub-admin" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    sign kube-controller-manager "/CN=system:kube-controller-manager" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    sign kube-scheduler "/CN=system:kube-scheduler" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    # front-proxy (request-header) CA and client: API aggregation, and no "missing CA
    # bundle requestheader-client-ca-file" errors in the controller-manager/scheduler logs
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout front-proxy-ca.key -out front-proxy-ca.crt -subj "/CN=jhub-front-proxy-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout front-proxy-client.key \
      -out front-proxy-client.csr -subj "/CN=front-proxy-client" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >front-proxy-client.ext
    openssl x509 -req -sha256 -days 3650 -in front-proxy-client.csr -CA front-proxy-ca.crt \
      -CAkey front-proxy-ca.key -CAcreateserial -out front-proxy-client.crt \
      -extfile front-proxy-client.ext 2>/dev/null
    rm -f front-proxy-client.csr front-proxy-client.ext
    # service-account token signing key pair
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 0644 ./*.crt sa.pub
  )
  touch "$PKI/.done-v2"
}

# the API server's client certificate towards kubelets (logs, exec, port-forward on the real node of
# .ci/node.sh): made beside an existing PKI too, so that running clusters keep their certificates
gen_kubelet_client() {
  [[ -f "$PKI/apiserver-kubelet-client.crt" ]] && return 0
  (
    cd "$PKI"
    umask 077
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout apiserver-kubelet-client.key \
      -out apiserver-kubelet-client.csr -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >apiserver-kubelet-client.ext
    openssl x509 -req -sha256 -days 3650 -in apiserver-kubelet-client.csr -CA ca.crt -CAkey ca.key \
      -CAcreateserial -out apiserver-kubelet-client.crt -extfile apiserver-kubelet-client.ext 2>/dev/null
    rm -f apiserver-kubelet-client.csr apiserver-kubelet-client.ext
    chmod 0644 apiserver-kubelet-client.crt
  )
}

write_kubeconfig() { # FILE USER(cert basename)
  local f=$1 user=$2 tmp="$1.tmp.$$"
  rm -f "$tmp"
  KUBECONFIG="$tmp" kubectl config set-cluster jhub-local --server="https://$HOST:$APISERVER_PORT" \
    --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG="$tmp" kubectl config set-credentials "$user" \
    --client-certificate="$PKI/$user.crt" --client-key="$PKI/$user.key" --embed-certs=true >/dev/null
  KUBECONFIG="$tmp" kubectl config set-context jhub-local --cluster=jhub-local --user="$user" >/dev/null
  KUBECONFIG="$tmp" kubectl config use-context jhub-local >/dev/null
  chmod 0600 "$tmp"
  mv -f "$tmp" "$f"
}

# ------------------------------------------------------------------ processes

ports_of() {
  case $1 in
    etcd) echo "$ETCD_CLIENT_PORT $ETCD_PEER_PORT $((ETCD_CLIENT_PORT + 2))" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHED_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

# refuse to start a component whose port another process (e.g. a second cluster) holds:
# its health check would otherwise talk to the other cluster
check_ports_free() { # NAME
  command -v ss >/dev/null || return 0
  local p
  for p in $(ports_of "$1"); do
    if [[ -n "$(ss -Hltn "( sport = :$p )" 2>/dev/null)" ]]; then
      die "port $HOST:$p for $1 is already in use (another cluster? set JHUB_*_PORT, see the top of $0)"
    fi
  done
}

launch() { # NAME ARGS...
  local name=$1; shift
  local pid bin
  if pid=$(running_pid "$name"); then
    log "$name already running (pid $pid)"
    return 0
  fi
  check_ports_free "$name"
  bin=$(bin_of "$name")
  [[ -x "$bin" ]] || die "$bin missing: run .ci/toolchain.sh k8s"
  log "starting $name (log: $LOGS/$name.log)"
  # setsid: own session, so ^C in the caller's terminal does not reach the daemons
  setsid "$bin" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 8>&- &
  pid=$!
  echo "$pid" >"$PIDS/$name.pid.tmp"
  mv -f "$PIDS/$name.pid.tmp" "$PIDS/$name.pid"
  sleep 0.5
  if ! running_pid "$name" >/dev/null; then
    tail -n 20 "$LOGS/$name.log" >&2 || true
    die "$name exited right after start"
  fi
}

node_manifest() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
spec: {}
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi}
  capacity: {cpu: "32", memory: 128Gi, pods: "250", ephemeral-storage: 500Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
    kubeProxyVersion: fake
EOF
}

start() {
  mkdir -p "$STATE" "$PIDS" "$LOGS" "$STATE/etcd" "$STATE/certs-apiserver" "$STATE/certs-kcm" "$STATE/certs-sched"
  chmod 0700 "$STATE/etcd"
  exec 8>"$STATE/.lock"
  flock 8
  gen_pki
  gen_kubelet_client
  write_kubeconfig "$KUBECONFIG_OUT" admin
  write_kubeconfig "$STATE/kube-controller-manager.kubeconfig" kube-controller-manager
  write_kubeconfig "$STATE/kube-scheduler.kubeconfig" kube-scheduler

  launch etcd \
    --name jhub-local --data-dir "$STATE/etcd" \
    --listen-client-urls "http://$HOST:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://$HOST:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "jhub-local=http://$HOST:$ETCD_PEER_PORT" \
    --listen-metrics-urls "http://$HOST:$((ETCD_CLIENT_PORT + 2))" \
    --quota-backend-bytes 2147483648 --log-level warn
  wait_for 30 "etcd health" curl -fsS --max-time 2 "http://$HOST:$ETCD_CLIENT_PORT/health" ||
    die "etcd not healthy; see $LOGS/etcd.log"

  launch kube-apiserver \
    --bind-address "$HOST" --advertise-address "$HOST" --secure-port "$APISERVER_PORT" \
    --etcd-servers "http://$HOST:$ETCD_CLIENT_PORT" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --endpoint-reconciler-type none \
    --client-ca-file "$PKI/ca.crt" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --service-account-issuer "$SA_ISSUER" \
    --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" \
    --api-audiences "$SA_ISSUER" \
    --authorization-mode Node,RBAC \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --allow-privileged=true \
    --profiling=false \
    --cert-dir "$STATE/certs-apiserver"
  wait_for 90 "kube-apiserver /readyz" curl_api /readyz ||
    die "kube-apiserver not ready; see $LOGS/kube-apiserver.log"
  wait_for 60 "kube-apiserver /readyz=ok" bash -c "[[ \$(curl -sS --max-time 5 --cacert '$PKI/ca.crt' --cert '$PKI/admin.crt' --key '$PKI/admin.key' https://$HOST:$APISERVER_PORT/readyz) == ok ]]" ||
    die "kube-apiserver /readyz not ok; see $LOGS/kube-apiserver.log"

  launch kube-controller-manager \
    --kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
    --bind-address "$HOST" --secure-port "$KCM_PORT" --cert-dir "$STATE/certs-kcm" \
    --service-account-private-key-file "$PKI/sa.key" \
    --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --use-service-account-credentials=true \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*' \
    --leader-elect=false \
    --profiling=false

  launch kube-scheduler \
    --kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
    --bind-address "$HOST" --secure-port "$SCHED_PORT" --cert-dir "$STATE/certs-sched" \
    --leader-elect=false \
    --profiling=false

  # kwok fakes the kubelet: node heartbeats, pods scheduled to its node become Running/Ready
  launch kwok \
    --kubeconfig "$KUBECONFIG_OUT" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --config "$KWOK_STAGES" \
    --node-ip "$HOST" \
    --node-port "$KWOK_PORT" \
    --server-address "$HOST:$KWOK_PORT" \
    --cidr 10.244.0.1/24

  if ! kc get node "$NODE_NAME" >/dev/null 2>&1; then
    node_manifest | kc apply -f - >/dev/null
  fi
  wait_for 60 "node $NODE_NAME Ready" \
    bash -c "kubectl --kubeconfig '$KUBECONFIG_OUT' get node '$NODE_NAME' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True" ||
    die "node $NODE_NAME not Ready; see $LOGS/kwok.log"
  wait_for 90 "default ServiceAccount in namespace default" kc -n default get serviceaccount default ||
    die "no default ServiceAccount; see $LOGS/kube-controller-manager.log"
  log "cluster ready; export KUBECONFIG=$KUBECONFIG_OUT"
}

# SIGTERM, wait up to 30 s, then SIGKILL; several PIDs at once
term_and_wait() { # NAME...
  local name pid pids=() names=()
  for name in "$@"; do
    if pid=$(running_pid "$name"); then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    fi
  done
  local i end=$((SECONDS + 30))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[i]}" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
    if kill -0 "${pids[i]}" 2>/dev/null; then
      log "${names[i]} did not exit after SIGTERM; SIGKILL ${pids[i]}"
      kill -KILL "${pids[i]}" 2>/dev/null || true
      while kill -0 "${pids[i]}" 2>/dev/null; do sleep 0.2; done
    fi
  done
  for name in "$@"; do rm -f "$PIDS/$name.pid"; done
}

stop() {
  # a real node of this cluster (.ci/node.sh) goes first, while the API server still answers
  if [[ -f "$STATE/node/node.env" ]]; then
    JHUB_CLUSTER_DIR="$STATE" JHUB_NODE_DIR="$STATE/node" bash "$HERE/node.sh" stop || log "stopping the node failed: see $STATE/node/logs"
  fi
  [[ -d "$PIDS" ]] || { log "not running (no $PIDS)"; return 0; }
  # clients of the API server first, etcd last (the API server flushes to it on shutdown)
  term_and_wait kwok kube-scheduler kube-controller-manager
  term_and_wait kube-apiserver
  term_and_wait etcd
  log "stopped"
}

status() {
  local name pid rc=0
  for name in "${COMPONENTS[@]}"; do
    if pid=$(running_pid "$name"); then
      printf '%-24s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-24s stopped\n' "$name"
      rc=1
    fi
  done
  if [[ -f "$PKI/admin.crt" ]] && r=$(curl_api /readyz 2>/dev/null); then
    printf '%-24s %s\n' "readyz" "$r"
  else
    printf '%-24s unreachable\n' "readyz"
    rc=1
  fi
  echo "kubeconfig: $KUBECONFIG_OUT"
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean)
    stop
    # never rm -rf through a mount (a pod's volume could be a host directory)
    if awk -v p="$STATE/" 'index($5, p) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
      die "mounts remain under $STATE: not removing it"
    fi
    rm -rf "$STATE"; log "removed $STATE" ;;
  *) echo "usage: $0 start|stop|status|clean" >&2; exit 2 ;;
esac
