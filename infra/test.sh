#!/usr/bin/env bash
# The whole suite: ruff, mypy, Python tests (real PostGIS, Redis, rq worker, Chromium) and the PWA's
# unit tests. Uses its own databases (TEST_DATABASE_URL, Redis DB 15), never the demo one.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== ruff"
.venv/bin/ruff check backend tests bench migrations || status=1
echo "== mypy backend"
.venv/bin/mypy backend || status=1
if [ -f mobile_pwa/package.json ]; then
  echo "== vitest (mobile_pwa)"
  (cd mobile_pwa && npm test --silent) || status=1
fi
echo "== pytest"
mkdir -p test-output
.venv/bin/pytest -q -p no:cacheprovider "$@" || status=$?
exit $status
