#!/usr/bin/env bash
# One real node for the local control plane of .ci/cluster.sh: containerd (Debian's, with runc and
# the CNI plugins), a kubelet and kube-proxy built from the API server's own k8s.io/kubernetes
# module, and CoreDNS as a pod behind the kube-dns Service.
#
#   .ci/node.sh preflight          can this machine run a node? one line naming what it lacks
#   .ci/node.sh start              idempotent; cleans up the leftovers of a node that was killed
#   .ci/node.sh import ARCHIVE REF an OCI (or docker) archive into the node's containerd as REF
#   .ci/node.sh status | usage [SECONDS]
#   .ci/node.sh stop               pods through the kubelet, then everything the node changed
#   .ci/node.sh clean              stop, then remove the node's state (logs, images)
#
# The cluster: JHUB_CLUSTER_DIR (its pki/ and kubeconfig) and JHUB_APISERVER_PORT, as cluster.sh.
# State: JHUB_NODE_DIR (default $JHUB_CLUSTER_DIR/node): containerd's root, state and socket, the
# kubelet's root, logs, PIDs, and what the machine looked like before (saved/).
# Network: everything the node serves binds 127.0.0.1 or the node IP, an address of the bridge this
# script creates (JHUB_NODE_BRIDGE, default jhub-br0, JHUB_NODE_POD_CIDR 10.89.0.0/24, node IP
# its .1). Pods reach nothing beyond that bridge: an nftables table drops every other forwarded
# packet, containerd pulls through a proxy on 127.0.0.1 where nothing listens (no image is ever
# fetched: import them), and CoreDNS forwards nowhere. One node per machine (iptables, sysctls).
# Binaries and images: `.ci/toolchain.sh worker`; Debian packages (NODE_DEBS in .ci/lib.sh) are
# installed with apt-get when missing. Pins: .ci/lib.sh.
# Faults end in one line `node: cannot start: <what is missing>` on stderr and exit 1, after the
# node's partial start is undone; every wait has a timeout.
# Knobs for the fault tests: JHUB_NODE_CONTAINERD (the containerd binary), JHUB_NODE_PAUSE_ARCHIVE
# (the pause image's archive), JHUB_NODE_FAIL_CGROUP_V1 (the kubelet's failCgroupV1, default false).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
. "$HERE/lib.sh"

CLUSTER="${JHUB_CLUSTER_DIR:-/tmp/jhub-cluster}"
NODE="${JHUB_NODE_DIR:-$CLUSTER/node}"

# Settings: as recorded by the last start in $NODE (so that stop undoes exactly what it did), else
# from the environment; a new start takes them from the environment.
load_settings() {
  if [[ -f "$NODE/node.env" ]]; then
    # shellcheck source=/dev/null  # written by write_settings below
    . "$NODE/node.env"
  else
    settings_from_env
  fi
  derive_paths
}
settings_from_env() {
  CLUSTER="${JHUB_CLUSTER_DIR:-/tmp/jhub-cluster}"
  APISERVER_PORT="${JHUB_APISERVER_PORT:-6443}"
  NODE_NAME="${JHUB_REAL_NODE_NAME:-jhub-node-0}"
  BRIDGE="${JHUB_NODE_BRIDGE:-jhub-br0}"
  POD_CIDR="${JHUB_NODE_POD_CIDR:-10.89.0.0/24}"
  NODE_IP="${POD_CIDR%.*/*}.1"
  SERVICE_CIDR="${JHUB_SERVICE_CIDR:-10.96.0.0/16}"
  DNS_IP="${JHUB_NODE_DNS_IP:-10.96.0.10}"
  KUBELET_PORT="${JHUB_KUBELET_PORT:-10350}"
  KUBELET_HEALTHZ_PORT="${JHUB_KUBELET_HEALTHZ_PORT:-10348}"
  PROXY_METRICS_PORT="${JHUB_KUBE_PROXY_METRICS_PORT:-10349}"
  PROXY_HEALTHZ_PORT="${JHUB_KUBE_PROXY_HEALTHZ_PORT:-10356}"
  CONTAINERD_BIN="${JHUB_NODE_CONTAINERD:-$(command -v containerd || echo /usr/bin/containerd)}"
  PAUSE_TAR="${JHUB_NODE_PAUSE_ARCHIVE:-$PAUSE_ARCHIVE}"
  FAIL_CGROUP_V1="${JHUB_NODE_FAIL_CGROUP_V1:-false}"
}
write_settings() {
  local v
  {
    echo "# written by .ci/node.sh start: the settings stop undoes"
    for v in CLUSTER APISERVER_PORT NODE_NAME BRIDGE POD_CIDR NODE_IP SERVICE_CIDR DNS_IP KUBELET_PORT \
      KUBELET_HEALTHZ_PORT PROXY_METRICS_PORT PROXY_HEALTHZ_PORT CONTAINERD_BIN PAUSE_TAR FAIL_CGROUP_V1; do
      printf '%s=%q\n' "$v" "${!v}"
    done
  } >"$NODE/node.env"
}
derive_paths() {
  PKI="$CLUSTER/pki"
  KUBECONFIG_ADMIN="$CLUSTER/kubeconfig"
}
load_settings

NPKI="$NODE/pki"
PIDS="$NODE/pids"
LOGS="$NODE/logs"
SAVED="$NODE/saved"
SOCK="$NODE/containerd/containerd.sock"
RUNC_ROOT="$NODE/runc"
NFT_TABLE=jhub_node
RT_TABLE=7389 # the routing table (and its rule's priority) for packets from the bridge
MACHINE_LOCK=/tmp/jhub-node.lock
# sysctls the kubelet (vm.*, kernel.*), kube-proxy and the bridge plugin (forwarding, route_localnet,
# conntrack) write: saved before the first start, written back by stop
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait
  net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding)
# Host paths the daemons write outside their configured roots, removed by stop when the start found
# them absent: the kubelet's (its device-plugin socket, /var/log/containers links) entirely; paths
# other containerds or CNI users may share (libcni's result cache, containerd 1.6's shim sockets in
# /run/containerd/s) only as far as they are this node's or empty.
HOST_DIRS=(/var/lib/kubelet /var/log/containers /var/log/pods)
SHARED_DIRS=(/var/lib/cni /run/containerd /etc/cni /opt/cni /var/lib/containerd /etc/containerd /run/runc)

kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" --request-timeout=10s "$@"; }
ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }
api_up() { [[ -f "$PKI/admin.crt" ]] && curl -fsS --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1; }

# ------------------------------------------------------------------ faults

STARTING=0
# fail MESSAGE: the one line that says why the node cannot start; the partial start is undone
fail() {
  trap - INT TERM
  if ((STARTING)); then
    STARTING=0
    log "undoing the partial start"
    stop_node >>"$LOGS/stop.log" 2>&1 || log "the cleanup after the failed start failed too: see $LOGS/stop.log"
  fi
  echo "node: cannot start: $*" >&2
  exit 1
}

# the reason a daemon gave for exiting: its fatal line (klog's "command failed", logrus's
# level=fatal), else its last error line, else its last line; klog's err="..." or logrus's msg="..."
exit_reason() { # LOGFILE
  local line="" re
  for re in 'command failed|level=fatal|^F[0-9]{4} ' 'level=error|^E[0-9]{4} |[Ee]rror'; do
    [[ -n "$line" ]] || line=$(grep -E "$re" "$1" 2>/dev/null | tail -n 1 || true)
  done
  [[ -n "$line" ]] || line=$(tail -n 1 "$1" 2>/dev/null || true)
  if [[ "$line" == *'err="'* ]]; then line=${line#*err=\"}; line=${line%\"*}; fi
  if [[ "$line" == *'msg="'* ]]; then line=${line#*msg=\"}; line=${line%%\"*}; fi
  printf '%s' "${line:0:400}"
}

wait_until() { # SECONDS COMMAND... (0 when the command succeeds in time)
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}

# ------------------------------------------------------------------ processes

bin_of() {
  case $1 in
    containerd) echo "$CONTAINERD_BIN" ;;
    kubelet | kube-proxy) echo "$KUBE_BIN_DIR/$1" ;;
    apiserver-forwarder) command -v socat ;;
  esac
}

running_pid() { # NAME: the recorded PID, if it still runs the same binary
  local f="$PIDS/$1.pid" pid exe want
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  want=$(readlink -f "$(bin_of "$1")" 2>/dev/null || true)
  [[ "${exe% (deleted)}" == "$want" ]] || return 1
  echo "$pid"
}

launch() { # NAME [ENV=VALUE...] -- ARGS...
  local name=$1 envs=() pid; shift
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  if pid=$(running_pid "$name"); then log "$name already running (pid $pid)"; return 0; fi
  log "starting $name (log: $LOGS/$name.log)"
  # setsid: its own session and process group, out of reach of the caller's ^C
  env "${envs[@]}" setsid "$(bin_of "$name")" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  # until env and setsid have exec'd the daemon, /proc/PID/exe is theirs: running_pid would say "exited"
  local end=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && ! running_pid "$name" >/dev/null && ((SECONDS < end)); do sleep 0.1; done
}

# signal a daemon, and its process group when it leads one (setsid made it; socat forks per connection)
signal_daemon() { # SIGNAL PID
  local pgrp
  pgrp=$(awk '{print $5}' "/proc/$2/stat" 2>/dev/null || true)
  if [[ "$pgrp" == "$2" ]]; then kill "-$1" -- "-$2" 2>/dev/null || true; else kill "-$1" "$2" 2>/dev/null || true; fi
}

# SIGTERM, up to 20 s, then SIGKILL
term_and_wait() { # NAME...
  local name pid pids=() names=() i end
  for name in "$@"; do
    if pid=$(running_pid "$name"); then
      log "stopping $name (pid $pid)"
      signal_daemon TERM "$pid"
      pids+=("$pid"); names+=("$name")
    fi
  done
  end=$((SECONDS + 20))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[i]}" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
    if kill -0 "${pids[i]}" 2>/dev/null; then
      log "${names[i]} did not exit after SIGTERM: SIGKILL"
      signal_daemon KILL "${pids[i]}"
      wait_until 10 bash -c "! kill -0 ${pids[i]}" || true
    fi
  done
  for name in "$@"; do rm -f "$PIDS/$name.pid"; done
}

# the shims that serve this node's containerd (they outlive it): by their -address argument
our_shims() {
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ "$(readlink "$d/exe" 2>/dev/null)" == */containerd-shim-runc-v2 ]] || continue
    tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -xF -- "$SOCK" >/dev/null && echo "$pid"
  done
  return 0
}

# ------------------------------------------------------------------ preflight

preflight() {
  [[ "$(id -u)" == 0 ]] || { echo "not root (the node creates a bridge, cgroups and mounts)"; return; }
  grep -qw overlay /proc/filesystems || { echo "no overlayfs in this kernel (/proc/filesystems)"; return; }
  local c
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    for c in cpu memory pids; do grep -qw "$c" /sys/fs/cgroup/cgroup.controllers || { echo "cgroup v2 without the $c controller"; return; }; done
  else
    for c in cpu cpuacct cpuset memory pids; do [[ -d /sys/fs/cgroup/$c ]] || { echo "no cgroup v1 $c hierarchy at /sys/fs/cgroup/$c"; return; }; done
  fi
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || { echo "no bridge netfilter (br_netfilter) in this kernel: kube-proxy cannot see bridged traffic"; return; }
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add jhub-preflight type bridge 2>/dev/null || { echo "cannot create a bridge (ip link add type bridge)"; return; }
    ip link del jhub-preflight
  fi
  ensure_node_packages >/dev/null 2>&1 || { echo "the Debian packages ${NODE_DEBS[*]} cannot be installed (apt-get)"; return; }
}

# ------------------------------------------------------------------ what the machine looked like

save_machine() {
  [[ -f "$SAVED/.done" ]] && return 0
  mkdir -p "$SAVED"
  local k d
  : >"$SAVED/sysctl"
  for k in "${SYSCTLS[@]}" net.ipv4.ip_forward; do
    [[ -e "/proc/sys/${k//.//}" ]] && echo "$k=$(cat "/proc/sys/${k//.//}")" >>"$SAVED/sysctl"
  done
  # per-interface forwarding: writing net.ipv4.ip_forward rewrites every interface's
  for d in /proc/sys/net/ipv4/conf/*/forwarding; do
    k=${d#/proc/sys/}; k=${k%/forwarding}; k=${k//\//.}
    [[ "$k" == *.jhub-* || "$k" == *.veth* ]] || echo "$k.forwarding=$(cat "$d")" >>"$SAVED/sysctl.if"
  done
  nft list tables 2>/dev/null | sort >"$SAVED/nft-tables"
  : >"$SAVED/absent"
  for d in "${HOST_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d" >>"$SAVED/absent"; done
  for d in "${SHARED_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d" >>"$SAVED/absent-shared"; done
  if find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name 'kubepods*' -type d 2>/dev/null | grep . >/dev/null; then
    touch "$SAVED/kubepods-existed"
  fi
  touch "$SAVED/.done"
}

# ------------------------------------------------------------------ certificates and configs

node_pki() {
  [[ -f "$NPKI/.done" ]] && return 0
  [[ -f "$PKI/ca.key" ]] || fail "the cluster's CA ($PKI/ca.key): start the cluster first (.ci/cluster.sh start)"
  mkdir -p "$NPKI"
  (
    cd "$NPKI"
    umask 077
    sign() { # NAME SUBJ
      openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
        "extendedKeyUsage=clientAuth" >"$1.ext"
      openssl x509 -req -sha256 -days 3650 -in "$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
        -CAcreateserial -CAserial "$NPKI/ca.srl" -out "$1.crt" -extfile "$1.ext" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    # the Node authorizer's identity: registers its Node, reads the Secrets of its own pods
    sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
    # bound to system:node-proxier by the API server's bootstrap RBAC
    sign kube-proxy "/CN=system:kube-proxy"
  )
  touch "$NPKI/.done"
}

write_kubeconfig() { # FILE CERT-BASENAME
  local tmp="$1.tmp"
  rm -f "$tmp"
  KUBECONFIG="$tmp" kubectl config set-cluster local --server="https://127.0.0.1:$APISERVER_PORT" \
    --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG="$tmp" kubectl config set-credentials node --client-certificate="$NPKI/$2.crt" \
    --client-key="$NPKI/$2.key" --embed-certs=true >/dev/null
  KUBECONFIG="$tmp" kubectl config set-context local --cluster=local --user=node >/dev/null
  KUBECONFIG="$tmp" kubectl config use-context local >/dev/null
  chmod 0600 "$tmp"
  mv -f "$tmp" "$1"
}

write_configs() {
  mkdir -p "$NODE/containerd/certs.d" "$NODE/cni/net.d" "$NODE/cni/ipam" "$NODE/kubelet" "$NODE/pod-logs"
  # containerd 1.6: restrict_oom_score_adj because the VM withholds CAP_SYS_RESOURCE (else runc
  # fails with "can't get final child's PID from pipe: EOF"); cgroupfs; no AppArmor; netns mounts
  # in its state dir
  cat >"$NODE/containerd/config.toml" <<EOF
version = 2
root = "$NODE/containerd/root"
state = "$NODE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$SOCK"

[debug]
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "$(command -v runc)"
  Root = "$RUNC_ROOT"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$NODE/cni/net.d"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$NODE/containerd/certs.d"
EOF

  cat >"$NODE/cni/net.d/10-jhub-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "jhub-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$NODE/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  cat >"$NODE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 (1.35+ refuses it unless told), the cgroupfs driver as containerd's runc, no swap check
failCgroupV1: $FAIL_CGROUP_V1
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
# servers: the node IP (the bridge's address) and loopback, on ports of their own
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
# no host resolv.conf: pods get the cluster's DNS only, and nothing resolves through the machine's
resolvConf: ""
podLogsDir: $NODE/pod-logs
rotateCertificates: false
serverTLSBootstrap: false
protectKernelDefaults: false
# every image here was imported by hand and cannot be pulled again: never garbage-collect them;
# evict only when the disk is really full
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
evictionPressureTransitionPeriod: 30s
serializeImagePulls: false
maxPods: 110
EOF

  cat >"$NODE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: $NODE/kube-proxy.kubeconfig
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$NODE_IP/32"]
oomScoreAdj: 0
iptables:
  # no route_localnet: node ports answer on the node IP only
  localhostNodePorts: false
  minSyncPeriod: 1s
  syncPeriod: 30s
# leave the machine's conntrack sysctls as they are
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  write_kubeconfig "$NODE/kubelet.kubeconfig" kubelet
  write_kubeconfig "$NODE/kube-proxy.kubeconfig" kube-proxy
}

# ------------------------------------------------------------------ network

setup_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip link set "$BRIDGE" alias "jhub-node:$NODE"
  echo 1 >"/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6" 2>/dev/null || true
  ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # the Service IPs live on this bridge for the host too: traffic to them never takes the default route
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  # Forwarding (the bridge plugin turns it on) stays within the bridge, twice over. Routing: what
  # comes in from the bridge is routed by a table of its own that knows the pods and nothing else
  # (the node's own addresses are the local table's, looked up first).
  ip route replace "$POD_CIDR" dev "$BRIDGE" src "$NODE_IP" table "$RT_TABLE"
  ip route replace unreachable default table "$RT_TABLE"
  ip rule show | grep "^$RT_TABLE:" >/dev/null || ip rule add iif "$BRIDGE" lookup "$RT_TABLE" priority "$RT_TABLE"
  # nftables: pods reach nothing beyond the node, nothing reaches them from outside, and nothing
  # else is forwarded when nothing was before
  local policy=accept
  grep -qx 'net.ipv4.ip_forward=0' "$SAVED/sysctl" && policy=drop
  nft -f - <<EOF
table inet $NFT_TABLE {
  chain forward {
    type filter hook forward priority -10; policy $policy;
    iifname "$BRIDGE" oifname "$BRIDGE" accept
    iifname "$BRIDGE" drop
    oifname "$BRIDGE" drop
  }
}
EOF
}

# ------------------------------------------------------------------ images

# A reference as the kubelet asks containerd for it: a first part that names no host (no dot, no
# port, not localhost) is Docker Hub's, a single name there its library/ ("mysql:8.4.7" is pulled as
# "docker.io/library/mysql:8.4.7"; an image imported as "mysql:8.4.7" is never found).
full_ref() { # REF
  local ref=$1 first=${1%%/*}
  if [[ "$ref" != */* ]]; then ref="docker.io/library/$ref"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then ref="docker.io/$ref"
  fi
  echo "$ref"
}

import_archive() { # ARCHIVE REF
  local archive=$1 ref name tmp t0=$SECONDS
  ref=$(full_ref "$2")
  [[ -s "$archive" ]] || { echo "image archive $archive missing" >&2; return 1; }
  ctr_ version >/dev/null 2>&1 || { echo "the node's containerd does not answer on $SOCK: start the node first (.ci/node.sh start)" >&2; return 1; }
  name=$(tar -xOf "$archive" index.json 2>/dev/null | jq -r '[.manifests[]?.annotations["org.opencontainers.image.ref.name"] // empty] | first // empty' 2>/dev/null || true)
  local short=""
  if [[ -n "$name" && "$name" != "$ref" && "$(full_ref "$name")" == "$ref" ]]; then
    short=$name # named as a pod spec writes it: imported, then tagged with the full reference
  elif [[ "$name" != "$ref" ]]; then
    # named otherwise (or a docker archive): copied into an OCI archive named REF
    local transport=oci-archive
    tar -tf "$archive" manifest.json >/dev/null 2>&1 && transport=docker-archive
    tmp=$(mktemp -d "$NODE/import.XXXXXX")
    skopeo copy -q "$transport:$archive" "oci-archive:$tmp/image.tar:$ref" || { rm -rf "$tmp"; return 1; }
    archive="$tmp/image.tar"
  fi
  ctr_ images import --snapshotter overlayfs "$archive" >/dev/null || { rm -rf "${tmp:-}"; return 1; }
  rm -rf "${tmp:-}"
  if [[ -n "$short" ]]; then
    ctr_ images tag --force "$short" "$ref" >/dev/null && ctr_ images rm "$short" >/dev/null || return 1
  fi
  ctr_ images ls -q "name==$ref" | grep -xF "$ref" >/dev/null || { echo "$ref is not in containerd after importing $1" >&2; return 1; }
  log "imported $ref in $((SECONDS - t0)) s"
}

# ------------------------------------------------------------------ objects in the cluster

cluster_objects() {
  cat <<EOF
# default/kubernetes: the API server binds 127.0.0.1 and reconciles no endpoints; pods reach it
# through the forwarder on the node IP (the serving certificate names the Service IP)
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    endpointslice.kubernetes.io/managed-by: jhub-node.sh
addressType: IPv4
endpoints:
  - addresses: ["$NODE_IP"]
    conditions: {ready: true}
ports:
  - name: https
    port: $APISERVER_PORT
    protocol: TCP
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
# kubeadm's Corefile without forward: names outside the cluster are not resolved (nothing leaves)
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        cache 30
        loop
        loadbalance
    }
---
# kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go), one replica
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 1
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      nodeSelector: {kubernetes.io/hostname: $NODE_NAME}
      tolerations: [{key: CriticalAddonsOnly, operator: Exists}]
      dnsPolicy: Default
      terminationGracePeriodSeconds: 10
      containers:
        - name: coredns
          image: $COREDNS_IMAGE
          imagePullPolicy: IfNotPresent
          args: ["-conf", "/etc/coredns/Corefile"]
          resources:
            limits: {memory: 170Mi}
            requests: {cpu: 10m, memory: 30Mi}
          volumeMounts: [{name: config-volume, mountPath: /etc/coredns, readOnly: true}]
          ports:
            - {containerPort: 53, name: dns, protocol: UDP}
            - {containerPort: 53, name: dns-tcp, protocol: TCP}
            - {containerPort: 9153, name: metrics, protocol: TCP}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
            readOnlyRootFilesystem: true
          livenessProbe:
            httpGet: {path: /health, port: 8080, scheme: HTTP}
            initialDelaySeconds: 60
            timeoutSeconds: 5
            failureThreshold: 5
          readinessProbe:
            httpGet: {path: /ready, port: 8181, scheme: HTTP}
            periodSeconds: 1
      volumes:
        - name: config-volume
          configMap:
            name: coredns
            items: [{key: Corefile, path: Corefile}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: $DNS_IP
  ports:
    - {name: dns, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP}
    - {name: metrics, port: 9153, protocol: TCP}
EOF
}

# kwok's fake nodes (cluster.sh labels them type=kwok) take no pod while the real node runs
KWOK_TAINT=jhub.dev/fake-node
taint_kwok() {
  [[ -z "$(kc get nodes -l type=kwok -o name)" ]] || kc taint nodes -l type=kwok "$KWOK_TAINT=kwok:NoSchedule" --overwrite >/dev/null
}
untaint_kwok() { kc taint nodes -l type=kwok "$KWOK_TAINT-" >/dev/null 2>&1 || true; }

node_ready() {
  [[ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
coredns_ready() {
  [[ "$(kc -n kube-system get deploy coredns -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" == 1 ]]
}
# why CoreDNS's pod is not Ready: its container's waiting reason, or the pod's last warning
coredns_reason() {
  local r
  r=$(kc -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}{end}' 2>/dev/null || true)
  if [[ -z "${r#: }" ]]; then
    r=$(kc -n kube-system get events --field-selector type=Warning --sort-by=.lastTimestamp -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}' 2>/dev/null | tail -n 1 || true)
  fi
  printf '%s' "${r:-no pod (see $LOGS/kubelet.log)}"
}

# ------------------------------------------------------------------ start

# start and stop one at a time on this machine (a stop run by a start holds it already)
machine_lock() {
  [[ "${JHUB_NODE_LOCKED:-0}" == 1 ]] && return 0
  exec 9>"$MACHINE_LOCK"
  flock -w 300 9
}

DAEMONS=(containerd kubelet kube-proxy apiserver-forwarder)
all_running() {
  local n
  for n in "${DAEMONS[@]}"; do running_pid "$n" >/dev/null || return 1; done
}

check_started() { # NAME SECONDS CHECK...: the daemon is up, or fail with the reason it gave
  local name=$1 secs=$2 end=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    running_pid "$name" >/dev/null || fail "$name exited: $(exit_reason "$LOGS/$name.log") (log: $LOGS/$name.log)"
    ((SECONDS < end)) || fail "$name not up after $secs s (log: $LOGS/$name.log)"
    sleep 0.5
  done
}

start_node() {
  local t0=$SECONDS t_ready
  machine_lock || fail "another .ci/node.sh start or stop held $MACHINE_LOCK for 5 minutes"

  local r
  r=$(preflight)
  [[ -z "$r" ]] || { echo "node: cannot start: $r" >&2; exit 1; }
  # another node on this machine (the bridge carries its state dir), or ours, killed
  local owner
  owner=$(ip -o link show "$BRIDGE" 2>/dev/null | sed -n 's/.*alias jhub-node:\([^ ]*\).*/\1/p' || true)
  if [[ -n "$owner" && "$owner" != "$NODE" ]]; then
    if [[ -f "$owner/pids/kubelet.pid" ]] && kill -0 "$(cat "$owner/pids/kubelet.pid")" 2>/dev/null; then
      echo "node: cannot start: another node runs on this machine (state $owner): stop it first (JHUB_NODE_DIR=$owner .ci/node.sh stop)" >&2
      exit 1
    fi
    log "cleaning up a node that was not stopped (state $owner)"
    JHUB_NODE_DIR="$owner" JHUB_NODE_LOCKED=1 bash "$HERE/node.sh" stop 9>&- || true
  fi
  if all_running && node_ready && coredns_ready; then
    log "node $NODE_NAME already running"
    return 0
  fi
  if [[ -f "$SAVED/.done" ]]; then
    log "cleaning up this node's previous run (it was not stopped)"
    stop_node
  fi
  # this start's settings: the environment's
  settings_from_env
  derive_paths

  # what the node needs, named when missing
  local b
  [[ -x "$CONTAINERD_BIN" ]] || fail "containerd not found at $CONTAINERD_BIN (Debian package containerd)"
  for b in runc ctr containerd-shim-runc-v2 socat skopeo nft iptables conntrack; do
    command -v "$b" >/dev/null || fail "$b not found on PATH (Debian packages: ${NODE_DEBS[*]})"
  done
  for b in bridge host-local loopback portmap; do
    [[ -x /usr/lib/cni/$b ]] || fail "CNI plugin /usr/lib/cni/$b not found (Debian package containernetworking-plugins)"
  done
  for b in kubelet kube-proxy; do
    [[ -x "$KUBE_BIN_DIR/$b" ]] || fail "$b not found at $KUBE_BIN_DIR/$b (run .ci/toolchain.sh worker)"
  done
  [[ -s "$PAUSE_TAR" ]] || fail "the pause image $PAUSE_IMAGE: no archive at $PAUSE_TAR (run .ci/toolchain.sh worker)"
  [[ -s "$COREDNS_ARCHIVE" ]] || fail "the CoreDNS image $COREDNS_IMAGE: no archive at $COREDNS_ARCHIVE (run .ci/toolchain.sh worker)"
  api_up || fail "the API server at 127.0.0.1:$APISERVER_PORT does not answer (start the cluster: .ci/cluster.sh start)"

  mkdir -p "$NODE" "$PIDS" "$LOGS"
  write_settings
  STARTING=1
  trap 'fail "interrupted"' INT TERM
  save_machine
  node_pki
  write_configs
  setup_network

  launch containerd HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= -- \
    --config "$NODE/containerd/config.toml"
  check_started containerd 30 ctr_ version
  local img
  import_archive "$PAUSE_TAR" "$PAUSE_IMAGE" 2>"$LOGS/import.err" || fail "the pause image $PAUSE_IMAGE: $(tail -n 1 "$LOGS/import.err")"
  import_archive "$COREDNS_ARCHIVE" "$COREDNS_IMAGE" 2>"$LOGS/import.err" || fail "the CoreDNS image $COREDNS_IMAGE: $(tail -n 1 "$LOGS/import.err")"
  for img in "$PAUSE_IMAGE" "$COREDNS_IMAGE"; do
    ctr_ images ls -q "name==$img" | grep -xF "$img" >/dev/null || fail "the image $img is not in the node's containerd"
  done

  launch kubelet -- --config "$NODE/kubelet.yaml" --kubeconfig "$NODE/kubelet.kubeconfig" \
    --root-dir "$NODE/kubelet" --cert-dir "$NODE/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1
  local t_kubelet=$SECONDS
  check_started kubelet 90 node_ready
  t_ready=$((SECONDS - t_kubelet))
  log "node $NODE_NAME Ready ${t_ready} s after the kubelet started"

  launch kube-proxy -- --config "$NODE/kube-proxy.yaml" --v 1
  check_started kube-proxy 60 curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"

  launch apiserver-forwarder -- -d -lf "$LOGS/apiserver-forwarder.log" \
    "TCP-LISTEN:$APISERVER_PORT,bind=$NODE_IP,reuseaddr,fork" "TCP:127.0.0.1:$APISERVER_PORT"
  check_started apiserver-forwarder 10 bash -c "exec 3<>/dev/tcp/$NODE_IP/$APISERVER_PORT"

  taint_kwok || fail "could not taint kwok's nodes (kubectl taint nodes -l type=kwok)"
  cluster_objects | kc apply -f - >/dev/null || fail "could not apply the node's objects (CoreDNS, default/kubernetes EndpointSlice)"
  local end=$((SECONDS + 120))
  until coredns_ready; do
    running_pid kubelet >/dev/null || fail "kubelet exited: $(exit_reason "$LOGS/kubelet.log")"
    ((SECONDS < end)) || fail "CoreDNS not Ready after 120 s: $(coredns_reason)"
    sleep 0.5
  done
  STARTING=0
  trap - INT TERM
  log "node $NODE_NAME ready in $((SECONDS - t0)) s (Node Ready ${t_ready} s after the kubelet started; CoreDNS at $DNS_IP)"
}

# ------------------------------------------------------------------ stop

# pods leave through the kubelet, so that CNI DEL and the unmounts run: the node's own objects
# first (else their controllers put pods back), the node cordoned, then every pod bound to it
NODE_STOP_TAINT=jhub.dev/node-stopping=true:NoExecute
drain_pods() {
  if ! running_pid kubelet >/dev/null || ! api_up; then return 0; fi
  kc get node "$NODE_NAME" >/dev/null 2>&1 || return 0
  kc -n kube-system delete deployment coredns --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kc cordon "$NODE_NAME" >/dev/null 2>&1 || true
  # a DaemonSet's pods tolerate the cordon and come back at once (the chart's image puller): a
  # NoExecute taint of the node's own keeps them off (those that tolerate every taint are not stopped
  # here, and are stopped by force below)
  kc taint nodes "$NODE_NAME" "$NODE_STOP_TAINT" --overwrite >/dev/null 2>&1 || true
  kc delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" --wait=false >/dev/null 2>&1 || true
  if wait_until 90 bash -c "[[ -z \"\$(ctr --address '$SOCK' -n k8s.io tasks ls -q 2>/dev/null)\" ]]"; then
    log "pods stopped by the kubelet"
  else
    log "pods still running after 90 s: stopped by force"
  fi
}

kill_containers() {
  local root="$RUNC_ROOT/k8s.io" id
  [[ -d "$root" ]] || return 0
  for id in $(runc --root "$root" list -q 2>/dev/null); do
    runc --root "$root" kill "$id" KILL 2>/dev/null || true
    runc --root "$root" delete --force "$id" 2>/dev/null || true
  done
}

cleanup_api() {
  api_up || { log "API server not answering: the Node $NODE_NAME and the node's objects stay in the cluster"; return 0; }
  kc delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kc -n default delete endpointslice kubernetes --ignore-not-found >/dev/null 2>&1 || true
  kc -n kube-system delete deployment/coredns service/kube-dns configmap/coredns serviceaccount/coredns \
    --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kc delete clusterrolebinding/system:coredns clusterrole/system:coredns --ignore-not-found >/dev/null 2>&1 || true
  untaint_kwok
}

cleanup_network() {
  local v
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    for v in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link del "$v" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
  fi
  nft delete table inet "$NFT_TABLE" 2>/dev/null || true
  while ip rule show | grep "^$RT_TABLE:" >/dev/null; do ip rule del priority "$RT_TABLE" 2>/dev/null || break; done
  ip route flush table "$RT_TABLE" 2>/dev/null || true
  [[ -f "$SAVED/nft-tables" ]] || return 0
  # tables made since the start (iptables-nft's ip/ip6 filter, nat, mangle of kube-proxy, the
  # kubelet and the portmap plugin): deleted; in tables that were there, only their chains
  local fam table chain rule tool
  while read -r _ fam table; do
    if [[ -n "$table" ]]; then nft delete table "$fam" "$table" 2>/dev/null || true; fi
  done < <(comm -13 "$SAVED/nft-tables" <(nft list tables 2>/dev/null | sort))
  while read -r _ fam table; do
    case $fam in ip) tool=iptables ;; ip6) tool=ip6tables ;; *) continue ;; esac
    while read -r rule; do
      # the rule as iptables -S printed it (its comment quoted): eval splits it as iptables meant
      eval "$tool -t $table -D ${rule#-A }" 2>/dev/null || true
    done < <($tool -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z]+ .*-j (KUBE|CNI)-' || true)
    for chain in $($tool -t "$table" -S 2>/dev/null | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
      $tool -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $($tool -t "$table" -S 2>/dev/null | awk '/^-N (KUBE|CNI)-/ {print $2}'); do
      $tool -t "$table" -X "$chain" 2>/dev/null || true
    done
  done <"$SAVED/nft-tables"
}

# every mount under the node's state, deepest first (netns, shm, rootfs overlays, pod volumes)
unmount_all() {
  local m
  while IFS= read -r m; do
    m=$(printf '%b' "$m")
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done < <(awk -v p="$NODE/" 'index($5, p) == 1 {print length($5) " " $5}' /proc/self/mountinfo | sort -rn | cut -d' ' -f2-)
}

cleanup_cgroups() {
  [[ -f "$SAVED/kubepods-existed" ]] && return 0
  local d pid
  while IFS= read -r d; do
    while IFS= read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    if [[ -d "$d" ]]; then log "could not remove the cgroup $d"; fi
  done < <(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name 'kubepods*' -type d 2>/dev/null)
  return 0
}

restore_sysctls() {
  local kv f
  for f in "$SAVED/sysctl.if" "$SAVED/sysctl"; do
    [[ -f "$f" ]] || continue
    # net.ipv4.ip_forward last: writing it rewrites every interface's forwarding
    while IFS= read -r kv; do
      [[ -n "$kv" && "$kv" != net.ipv4.ip_forward=* ]] || continue
      echo "${kv#*=}" >"/proc/sys/$(tr . / <<<"${kv%%=*}")" 2>/dev/null || true
    done <"$f"
  done
  kv=$(grep '^net.ipv4.ip_forward=' "$SAVED/sysctl" 2>/dev/null || true)
  if [[ -n "$kv" ]]; then
    echo "${kv#*=}" >/proc/sys/net/ipv4/ip_forward
    [[ -f "$SAVED/sysctl.if" ]] && while IFS= read -r kv; do
      echo "${kv#*=}" >"/proc/sys/$(tr . / <<<"${kv%%=*}")" 2>/dev/null || true
    done <"$SAVED/sysctl.if"
  fi
  return 0
}

remove_host_dirs() {
  local d
  # libcni's cache of this node's network (the bridge plugin's results, by network name)
  rm -f /var/lib/cni/results/jhub-node-* 2>/dev/null || true
  if [[ -f "$SAVED/absent" ]]; then
    while IFS= read -r d; do
      [[ -e "$d" ]] || continue
      if awk -v p="$d/" 'index($5, p) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
        log "left $d: something is mounted under it"
      else
        rm -rf "$d"
      fi
    done <"$SAVED/absent"
  fi
  if [[ -f "$SAVED/absent-shared" ]]; then
    while IFS= read -r d; do
      [[ -d "$d" ]] && find "$d" -depth -type d -empty -delete 2>/dev/null
    done <"$SAVED/absent-shared"
  fi
  return 0
}

# unix sockets of shims that are gone (containerd 1.6 keeps them in /run/containerd/s)
remove_stale_shim_sockets() {
  local s listening
  [[ -d /run/containerd/s ]] || return 0
  listening=$(ss -Hxl 2>/dev/null | awk '{print $5}')
  for s in /run/containerd/s/*; do
    [[ -S "$s" ]] && ! grep -qxF "unix://$s" <<<"$listening" && ! grep -qxF "$s" <<<"$listening" && rm -f "$s"
  done
  return 0
}

stop_node() {
  [[ -d "$NODE" ]] || { log "no node state at $NODE: nothing to stop"; return 0; }
  local t0=$SECONDS pid n running=0
  for n in "${DAEMONS[@]}"; do running_pid "$n" >/dev/null && running=1; done
  # $SAVED exists from the first change a start makes to the machine until stop has undone them all
  if [[ ! -f "$SAVED/.done" ]] && ((running == 0)) && [[ -z "$(our_shims)" ]]; then
    log "node $NODE_NAME not running"
    return 0
  fi
  drain_pods
  term_and_wait apiserver-forwarder kube-proxy kubelet
  kill_containers
  term_and_wait containerd
  for pid in $(our_shims); do kill -TERM "$pid" 2>/dev/null || true; done
  local end=$((SECONDS + 10))
  while [[ -n "$(our_shims)" ]] && ((SECONDS < end)); do sleep 0.3; done
  for pid in $(our_shims); do kill -KILL "$pid" 2>/dev/null || true; done
  cleanup_api
  cleanup_network
  unmount_all
  cleanup_cgroups
  restore_sysctls
  remove_stale_shim_sockets
  remove_host_dirs
  rm -rf "$SAVED" "$NODE/cni/ipam" "$NODE/containerd/state" "$RUNC_ROOT"
  log "node $NODE_NAME stopped in $((SECONDS - t0)) s"
}

# ------------------------------------------------------------------ status, usage

node_pids() { # the daemons, the shims and every process below them (the pods)
  local n pid all=()
  for n in "${DAEMONS[@]}"; do pid=$(running_pid "$n") && all+=("$pid"); done
  for pid in $(our_shims); do all+=("$pid"); done
  local i=0 child
  while ((i < ${#all[@]})); do
    # shellcheck disable=SC2013  # children files hold PIDs separated by spaces
    for child in $(cat "/proc/${all[i]}/task/"*/children 2>/dev/null); do all+=("$child"); done
    i=$((i + 1))
  done
  printf '%s\n' "${all[@]}" | sort -un
}

usage() { # SECONDS: CPU share over that time and memory (PSS) of everything the node runs
  local secs=${1:-10} pids t1=0 t2=0 pss=0 pid hz
  hz=$(getconf CLK_TCK)
  pids=$(node_pids)
  [[ -n "$pids" ]] || { echo "node not running"; return 1; }
  cpu_ticks() { local s=0 p; for p in $pids; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$s"; }
  t1=$(cpu_ticks); sleep "$secs"; t2=$(cpu_ticks)
  for pid in $pids; do pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0))); done
  printf 'node usage over %s s: %s%% of a core, %s MiB (PSS of %s processes: daemons, shims, pods)\n' \
    "$secs" "$(awk -v d=$((t2 - t1)) -v s="$secs" -v hz="$hz" 'BEGIN {printf "%.1f", 100 * d / hz / s}')" "$((pss / 1024))" "$(wc -w <<<"$pids")"
}

status() {
  local n pid rc=0
  for n in "${DAEMONS[@]}"; do
    if pid=$(running_pid "$n"); then
      printf '%-22s running (pid %s, %s MiB RSS)\n' "$n" "$pid" "$(($(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") / 1024))"
    else
      printf '%-22s stopped\n' "$n"; rc=1
    fi
  done
  if node_ready; then printf '%-22s Ready\n' "node $NODE_NAME"; else printf '%-22s not Ready\n' "node $NODE_NAME"; rc=1; fi
  if coredns_ready; then printf '%-22s Ready at %s\n' coredns "$DNS_IP"; else printf '%-22s not Ready\n' coredns; rc=1; fi
  return $rc
}

case "${1:-}" in
  preflight) r=$(preflight); [[ -z "$r" ]] || { echo "$r"; exit 1; } ;;
  start) start_node ;;
  stop) machine_lock; stop_node ;;
  clean)
    machine_lock
    stop_node
    if awk -v p="$NODE/" 'index($5, p) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
      die "mounts remain under $NODE: not removing it"
    fi
    rm -rf "$NODE"; log "removed $NODE" ;;
  import)
    [[ $# -eq 3 ]] || { echo "usage: $0 import ARCHIVE REF" >&2; exit 2; }
    import_archive "$2" "$3" ;;
  status) status ;;
  usage) usage "${2:-10}" ;;
  shims) our_shims ;;
  *) echo "usage: $0 preflight|start|stop|clean|status|usage [SECONDS]|import ARCHIVE REF" >&2; exit 2 ;;
esac
