#!/usr/bin/env bash
# The PWA's API types (src/lib/api-schema.d.ts) from the OpenAPI document the app factory serves
# (`fieldops openapi`: no server, database or Redis needed), through openapi-typescript.
#   scripts/gen-api.sh          regenerate the checked-in file
#   scripts/gen-api.sh --check  fail when the checked-in file differs from a fresh generation
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
target="$here/src/lib/api-schema.d.ts"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# development settings give a throwaway SECRET_KEY; the document does not depend on settings.
(cd "$repo" && env FIELDOPS_ENV=development .venv/bin/fieldops openapi -o "$tmp/openapi.json")
(cd "$here" && npx --no-install openapi-typescript "$tmp/openapi.json" -o "$tmp/api-schema.d.ts" --silent)
if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$target" "$tmp/api-schema.d.ts" > "$tmp/diff"; then
    head -n 60 "$tmp/diff"
    echo "src/lib/api-schema.d.ts is out of date with the OpenAPI document: run 'npm run gen:api' in mobile_pwa/ and commit it." >&2
    exit 1
  fi
  echo "src/lib/api-schema.d.ts matches the OpenAPI document"
else
  cp "$tmp/api-schema.d.ts" "$target"
  echo "wrote src/lib/api-schema.d.ts"
fi
