#!/usr/bin/env bash
# The suite: ruff, mypy, import-linter (the layers, see docs/architecture.md), the PWA's type check
# (tsc), its API types against the OpenAPI document, its unit tests (vitest), and the Python tests
# (real PostGIS, Redis, rq worker, Chromium). Uses its own databases (TEST_DATABASE_URL, Redis DB 15), never the demo one.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== ruff"
.venv/bin/ruff check backend tests bench migrations || status=1
echo "== mypy backend"
.venv/bin/mypy backend || status=1
echo "== lint-imports (layer contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache || status=1
if [ -f mobile_pwa/package.json ]; then
  echo "== tsc (mobile_pwa, strict)"
  (cd mobile_pwa && npm run --silent typecheck) || status=1
  echo "== API types match the OpenAPI document (mobile_pwa/src/lib/api-schema.d.ts)"
  (cd mobile_pwa && npm run --silent check:api) || status=1
  echo "== vitest (mobile_pwa)"
  (cd mobile_pwa && npm test --silent) || status=1
fi
echo "== pytest"
mkdir -p test-output
# Checks marked `slow` (the fault suite with its real processes, the schemathesis run, the load
# bench's smoke run) run in CI (CI=true) and with FIELDOPS_TEST_ALL=1; a plain `make test`
# leaves them out to stay quick. Arguments (a file, -k, -m) always run as given.
select=()
if [ $# -eq 0 ] && [ "${CI:-}" != "true" ] && [ "${FIELDOPS_TEST_ALL:-}" != "1" ]; then
  select=(-m "not slow")
  echo "   (slow checks left out: CI=true or FIELDOPS_TEST_ALL=1 runs them too)"
fi
.venv/bin/pytest -q -p no:cacheprovider --durations=15 "${select[@]}" "$@" || status=$?
exit $status
