#!/usr/bin/env bash
# Runs the unit tests of every package (packages/*) under one Node.js major, fetched by
# scripts/node.sh, and ends with one summary line per package and the pass's duration.
#
#   bash scripts/test-on-node.sh 26              # every package on Node 26
#   bash scripts/test-on-node.sh 22 futures sync # some packages
#
# Tests read sibling packages from their src/ (vitest aliases), so nothing is built. The
# output of each package's vitest run is printed as it comes; the summary repeats each
# package's "Test Files" and "Tests" lines. Exits non-zero if any package failed.
set -euo pipefail

major="${1:-}"
if [[ ! "$major" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/test-on-node.sh <major> [package...]; got '${major}'" >&2
  exit 2
fi
shift

cd "$(dirname "${BASH_SOURCE[0]}")/.."
node_binary="$(bash scripts/node.sh "$major")"
# Every `node` started below, vitest's workers included, is this binary.
export PATH="$(dirname "$node_binary"):$PATH"
version="$(node -v)"
if [[ "$version" != "v$major".* ]]; then
  echo "test-on-node.sh: node -v is $version on PATH, not v$major" >&2
  exit 1
fi

packages=("$@")
if ((${#packages[@]} == 0)); then
  for manifest in packages/*/package.json; do
    grep -q '"test":' "$manifest" && packages+=("$(basename "$(dirname "$manifest")")")
  done
fi

log_directory="$(mktemp -d)"
trap 'rm -rf "$log_directory"' EXIT
started=$SECONDS
failed=()
for package in "${packages[@]}"; do
  printf '\n--- %s on Node %s ---\n' "$package" "$version"
  package_started=$SECONDS
  # vitest straight from the package (what its `test` script runs), without a pnpm
  # process per package.
  if (cd "packages/$package" && ./node_modules/.bin/vitest run) 2>&1 |
    tee "$log_directory/$package.log"; then
    status=ok
  else
    status=FAILED
    failed+=("$package")
  fi
  echo "$status $((SECONDS - package_started))" >"$log_directory/$package.status"
done

printf '\n=== Node %s: unit tests of %d packages in %d s ===\n' \
  "$version" "${#packages[@]}" "$((SECONDS - started))"
for package in "${packages[@]}"; do
  read -r status seconds <"$log_directory/$package.status"
  # vitest's summary lines, without colours and padding: "Test Files  12 passed (12)".
  summary="$(sed -e 's/\x1b\[[0-9;]*m//g' "$log_directory/$package.log" |
    grep -E '^ *(Test Files|Tests) ' | sed -E 's/^ +//; s/ +/ /g' | paste -sd ';' - || true)"
  printf '  %-11s %-6s %4d s  %s\n' "$package" "$status" "$seconds" "${summary:-no vitest summary}"
done
if ((${#failed[@]} > 0)); then
  echo "FAILED on Node $version: ${failed[*]}" >&2
  exit 1
fi
