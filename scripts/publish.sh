#!/usr/bin/env bash
# Publishes the release tarball to the npm registry that npm is configured for (.npmrc).
#   bash scripts/publish.sh [--dry-run] [path/to/package.tgz]
# Without a path: the one tarball in dist/js/ that `npx projen release` (or `npx projen package`) wrote.
# NPM_PACKAGE_NAME=@acme/cdk8s-graceful-shutdown publishes under that name instead (docs/release.md):
# the tarball is unpacked, its package.json renamed, and packed again; nothing else changes.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
tarball=
for a in "$@"; do
  case "$a" in
    --*) args+=("$a") ;;
    *) tarball=$a ;;
  esac
done
if [ -z "$tarball" ]; then
  shopt -s nullglob
  found=(dist/js/*.tgz)
  if [ ${#found[@]} -ne 1 ]; then
    echo "publish: expected one tarball in dist/js/, found ${#found[@]}; run 'npx projen release' (or 'npx projen package') first, or pass a path" >&2
    exit 1
  fi
  tarball=${found[0]}
fi
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
node scripts/check-tarball.js "$tarball"
if [ -n "${NPM_PACKAGE_NAME:-}" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  tar -xzf "$tarball" -C "$work"
  (cd "$work/package" && npm pkg set "name=$NPM_PACKAGE_NAME")
  # --ignore-scripts: the tarball holds the compiled library already; prepack would try to build it.
  renamed=$(cd "$work" && npm pack ./package --ignore-scripts --silent)
  tarball="$work/$renamed"
  echo "publish: renamed to $NPM_PACKAGE_NAME ($renamed)" >&2
fi
npm publish "${args[@]}" "$tarball"
