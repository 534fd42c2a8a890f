#!/usr/bin/env bash
# Publishes the release tarball to the npm registry that npm is configured for (.npmrc).
#   bash scripts/publish.sh [npm publish options...] [path/to/package.tgz]
# Without a path: the one tarball in dist/js/ that `npx projen release` (or `npx projen package`) wrote.
# NPM_PACKAGE_NAME=@acme/cdk8s-graceful-shutdown publishes under that name instead (docs/release.md):
# the tarball is unpacked, its package.json renamed, and packed again; nothing else changes.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
tarball=
# The tarball is the argument that names one (*.tgz); every other argument, options and their
# values alike (`--tag next`), goes to npm publish as given.
for a in "$@"; do
  case "$a" in
    *.tgz|*.tar.gz) tarball=$a ;;
    *) args+=("$a") ;;
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
# An internal package must not reach the public registry because nobody configured .npmrc: npm's
# default is registry.npmjs.org, and package.json's publishConfig.access is public.
name=${NPM_PACKAGE_NAME:-cdk8s-graceful-shutdown}
registry=
case "$name" in @*/*) registry=$(npm config get "${name%%/*}:registry" 2>/dev/null || true) ;; esac
case "$registry" in ''|undefined|null) registry=$(npm config get registry) ;; esac
dry_run=false
for a in "${args[@]}"; do [ "$a" = --dry-run ] && dry_run=true; done
case "$registry" in
  *registry.npmjs.org*)
    if [ "$dry_run" = false ] && [ "${PUBLISH_TO_PUBLIC_NPM:-}" != 1 ]; then
      echo "publish: $name would go to the public registry $registry; configure your registry in .npmrc (docs/release.md), or set PUBLISH_TO_PUBLIC_NPM=1 if public is meant" >&2
      exit 1
    fi ;;
esac
echo "publish: $name to $registry" >&2
npm publish "${args[@]}" "$tarball"
