#!/usr/bin/env bash
# Stand-ins for docker, podman, kind, kubectl, pulumi, go and curl, for test/scripts/kind-scripts.test.ts:
# one file, linked under each name it plays. Every call is appended to $STANDIN/calls as
# "<name> <args>" (kind adds KIND_EXPERIMENTAL_PROVIDER when set). What they answer follows
# files in $STANDIN, which the test writes:
#   docker-running, podman-running     `<runtime> info` succeeds
#   nfsd-loaded, nfsd-loadable         the node's /proc/filesystems lists nfsd; modprobe nfsd works
#   kind-clusters                      one cluster name per line (kind create/delete edit it)
#   unreachable                        the API server of the current context does not answer
#   skipAwait                          `pulumi config get skipAwait` prints its content (else false)
#   stacks, dataKey                    the stacks (a name a line; `pulumi stack init` adds one) and
#                                      the data key (`pulumi config set --secret dataKey` writes stdin)
#   www/<file name>                    what curl downloads for a URL ending in that name
#   pod-running                        the pod jupyter-demo exists (the test's stand-in hub
#                                      writes it); `kubectl exec` into it runs sh with /home/jovyan
#                                      and /mnt/shared in $STANDIN/pod/home and pod/shared
#   passwords.json                     `pulumi stack output ldapUserPasswords --json`
#   policy-violation                   `pulumi preview --policy-pack ...` fails
#   destroy-swaps-data                 after `pulumi destroy` the pod's files hold other content
# The current context is the "current-context: NAME" line of $KUBECONFIG (else ~/.kube/config),
# which kind create/export write as kind does.
set -euo pipefail
name=$(basename "$0")
provider=""
[ "$name" != kind ] || provider="${KIND_EXPERIMENTAL_PROVIDER:+ [KIND_EXPERIMENTAL_PROVIDER=$KIND_EXPERIMENTAL_PROVIDER]}"
echo "$name$provider $*" >>"$STANDIN/calls"
kubeconfig="${KUBECONFIG:-$HOME/.kube/config}"
set_context() { mkdir -p "$(dirname "$kubeconfig")" && echo "current-context: $1" >"$kubeconfig"; }
clusters() { cat "$STANDIN/kind-clusters" 2>/dev/null || true; }

case "$name" in
  docker | podman)
    case "${1:-}" in
      info) [ -e "$STANDIN/$name-running" ] || { echo "Cannot connect to the $name daemon" >&2; exit 1; } ;;
      -v) echo "Docker version 28.2.2, build stand-in" ;;
      exec)
        shift 2
        case "$*" in
          "grep -qw nfsd /proc/filesystems") [ -e "$STANDIN/nfsd-loaded" ] ;;
          "modprobe nfsd") [ -e "$STANDIN/nfsd-loadable" ] && touch "$STANDIN/nfsd-loaded" ;;
          "modprobe nfs") ;;
          *) echo "stand-in $name: unexpected exec $*" >&2; exit 1 ;;
        esac
        ;;
    esac
    ;;
  kind)
    case "$1 ${2:-}" in
      "version ") echo "kind ${STANDIN_KIND_VERSION:-v0.33.0} go1.26.8 linux/amd64" ;;
      "get clusters") clusters ;;
      "get nodes") clusters | grep -qx "$4" && echo "$4-control-plane" ;;
      "create cluster")
        echo "$4" >>"$STANDIN/kind-clusters"
        set_context "kind-$4"
        ;;
      "export kubeconfig") set_context "kind-$4" ;;
      "delete cluster")
        clusters | grep -vx "$4" >"$STANDIN/kind-clusters.new" || true
        mv "$STANDIN/kind-clusters.new" "$STANDIN/kind-clusters"
        ;;
      *) echo "stand-in kind: unexpected $*" >&2; exit 1 ;;
    esac
    ;;
  kubectl)
    case "$*" in
      "config current-context")
        context=$(sed -n 's/^current-context: //p' "$kubeconfig" 2>/dev/null || true)
        [ -n "$context" ] || { echo "error: current-context is not set" >&2; exit 1; }
        echo "$context"
        ;;
      *"get --raw=/version"*) [ ! -e "$STANDIN/unreachable" ] || { echo "Unable to connect to the server" >&2; exit 1; } ;;
      *" port-forward "*) exec sleep 600 ;;
      *" get pod jupyter-demo") [ -e "$STANDIN/pod-running" ] ;;
      *" exec jupyter-demo "*)
        [ -e "$STANDIN/pod-running" ] || { echo 'Error from server (NotFound): pods "jupyter-demo" not found' >&2; exit 1; }
        shift 7 # -n NS exec jupyter-demo -c notebook --
        mkdir -p "$STANDIN/pod/home" "$STANDIN/pod/shared"
        args=()
        for a in "$@"; do
          a=${a/#\/home\/jovyan/$STANDIN/pod/home}
          args+=("${a/#\/mnt\/shared/$STANDIN/pod/shared}")
        done
        exec "${args[@]}"
        ;;
    esac
    ;;
  pulumi)
    case "$*" in
      # Unset, the CLI prints the default Pulumi.yaml declares (measured with pulumi v3.259.0).
      "config get skipAwait"*) cat "$STANDIN/skipAwait" 2>/dev/null || echo false ;;
      "stack ls --json") sed 's/.*/{"name": "&", "resourceCount": 0}/' "$STANDIN/stacks" 2>/dev/null | paste -sd, | sed 's/^/[/; s/$/]/' ;;
      "stack init "*) echo "$3" >>"$STANDIN/stacks" ;;
      "config get dataKey"*) cat "$STANDIN/dataKey" 2>/dev/null || true ;;
      "config set --secret dataKey"*) cat >"$STANDIN/dataKey" ;;
      "stack output namespaceName"*) echo jupyterhub-dev ;;
      "stack output hubPortForward"*) echo "kubectl -n jupyterhub-dev port-forward service/proxy-public 8080:80  # then open http://localhost:8080/" ;;
      "stack output ldapUserPasswords --show-secrets --json"*) cat "$STANDIN/passwords.json" ;;
      "destroy "*) if [ -e "$STANDIN/destroy-swaps-data" ]; then for f in "$STANDIN"/pod/*/*; do echo other >"$f"; done; fi ;;
      "preview "*"--policy-pack "*) [ ! -e "$STANDIN/policy-violation" ] || { echo "error: preview failed: mandatory policy violation" >&2; exit 1; } ;;
    esac
    ;;
  go)
    # go install sigs.k8s.io/kind@vX: a kind stand-in in $GOBIN
    [ "$1" = install ] && [ -n "${GOBIN:-}" ] && ln -s "$0" "$GOBIN/kind"
    ;;
  curl)
    # curl -fsSL [-o FILE] URL
    url="${*: -1}"
    src="$STANDIN/www/${url##*/}"
    [ -e "$src" ] || { echo "curl: (22) 404 $url" >&2; exit 22; }
    if [ "$2" = -o ]; then cp "$src" "$3"; else cat "$src"; fi
    ;;
esac
