#!/usr/bin/env bash
# Prints the path of a Node.js 24 binary, installing it first if needed: `scripts/node.sh 24`,
# kept for callers that predate it. Set NODE24_VERSION to pin another 24.x.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/node.sh" 24
