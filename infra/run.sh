#!/usr/bin/env bash
# Run the product: migrate, load demo data, start the API (gunicorn) and an rq worker.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/fieldops}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export MEDIA_ROOT="${MEDIA_ROOT:-$PWD/var/media}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$HOST:$PORT}"
if [ -z "${SECRET_KEY:-}" ]; then
  mkdir -p var
  [ -f var/secret_key ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > var/secret_key
  SECRET_KEY="$(cat var/secret_key)"
  export SECRET_KEY
fi

.venv/bin/fieldops db upgrade
.venv/bin/fieldops seed-demo

EXAMPLE_QR="$(.venv/bin/python - <<'PY'
from sqlalchemy import select
from backend import create_app
from backend.assets.models import Asset
from backend.db import db
with create_app().app_context():
    token = db.session.scalars(select(Asset.qr_token).order_by(Asset.name).limit(1)).first()
print(token or "<qr_token>")
PY
)"

# Both run in the background so a signal to this script stops both (bash defers traps while a
# foreground child runs).
.venv/bin/fieldops worker &
WORKER=$!
.venv/bin/fieldops serve --host "$HOST" --port "$PORT" &
SERVER=$!
trap 'kill $WORKER $SERVER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  fieldops is running
    API + docs        $PUBLIC_BASE_URL/api/docs
    engineer app      $PUBLIC_BASE_URL/app/
    dispatcher        $PUBLIC_BASE_URL/dispatch/
    customer QR page  $PUBLIC_BASE_URL/r/$EXAMPLE_QR   (one demo asset's label)
  demo logins
    admin@fieldops.test       / fieldops-admin
    dispatcher@fieldops.test  / fieldops-dispatch
    engineer1@fieldops.test   / fieldops-engineer   (engineer1..8)

MSG
wait -n "$WORKER" "$SERVER"
