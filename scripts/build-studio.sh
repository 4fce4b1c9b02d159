#!/usr/bin/env bash
# Build the studio (studio/ -> src/mlyard/server/static/studio/): install its pinned npm packages
# when package-lock.json changed, type-check and bundle (npm run build), run its component tests
# (npm test). Without node or npm (or with a node older than 20.19) it skips with a note and exits
# 0, and the server answers / with a page naming this command; with CI set, that is a failure.
#   bash scripts/build-studio.sh            install if needed, build, test
#   bash scripts/build-studio.sh --no-test  install if needed, build
set -euo pipefail
cd "$(dirname "$0")/../studio"
skip() {
  if [ -n "${CI:-}" ]; then echo "error: $1" >&2; exit 1; fi
  echo "note: $1; the studio is not built (the API works, and / says how to build it)" >&2
  exit 0
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  skip "node and npm are needed to build the studio (Node.js 20.19 or later)"
fi
# Vite 8 needs Node.js 20.19 or later (Debian 12's own nodejs is 18: use NodeSource's or nvm's).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  skip "the studio needs Node.js 20.19 or later, this is $(node --version)"
fi
# npm ci wipes node_modules: only when package-lock.json changed since the last install here.
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.mlyard-lock 2>/dev/null)" != "$lock" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock" >node_modules/.mlyard-lock
fi
npm run --silent build
if [ "${1:-}" != "--no-test" ]; then
  npm test --silent
fi
