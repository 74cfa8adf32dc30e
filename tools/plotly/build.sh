#!/usr/bin/env bash
# Rebuild the vendored Plotly bundle (app/static/vendor/plotly-<version>-descent.min.js) from
# the locked npm packages: needs node and npm, and the npm registry. The result is committed,
# so neither a server nor CI needs node.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
node build.mjs
