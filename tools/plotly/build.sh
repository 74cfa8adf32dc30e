#!/usr/bin/env bash
# Rebuild the vendored Plotly bundles (app/static/vendor/plotly-<version>-<name>.min.js, the
# chunk they share, plotly-<version>-shared-<hash>.min.js, their .br and .gz twins, plotly.json)
# from traces.json and the locked npm packages: needs node, npm and the npm registry, and about
# a minute. The result is committed, so neither a server nor
# CI needs node.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
node build.mjs
