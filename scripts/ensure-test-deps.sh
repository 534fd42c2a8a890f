#!/usr/bin/env bash
# Installs the real programs the test suite runs (shells, shellcheck, nginx, wrk, curl, wget)
# when any is missing. Debian packages only; needs root (CI and the dev machines run as root).
set -euo pipefail
declare -A pkg_of=(
  [dash]=dash [busybox]=busybox [shellcheck]=shellcheck [nginx]=nginx
  [wrk]=wrk [curl]=curl [wget]=wget [ip]=iproute2 [unshare]=util-linux
)
missing=()
for cmd in "${!pkg_of[@]}"; do
  # nginx lives in /usr/sbin, which is not on every PATH.
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${pkg_of[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-test-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-test-deps: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
