#!/usr/bin/env bash
# One-time (idempotent) set-up of a Debian/Ubuntu machine for fieldops.
#   infra/setup.sh [--browser] [--no-pwa]
# Installs what is missing (PostGIS and Redis packages when absent and we are root or have
# sudo; Chromium and PgBouncer with --browser, for the tests), the Python venv with the project and its dev/bench extras,
# the PWA's npm packages and build, then waits for PostgreSQL and Redis to answer.
# Point it at existing services with DATABASE_URL and REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

BROWSER=0
PWA=1
for arg in "$@"; do
  case "$arg" in
    --browser) BROWSER=1 ;;
    --no-pwa) PWA=0 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

: "${DATABASE_URL:=postgresql+psycopg://postgres@127.0.0.1:5432/fieldops}"
: "${REDIS_URL:=redis://127.0.0.1:6379/0}"
PY="${PYTHON:-python3}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi

apt_install() {
  # apt_install PKG... : install the Debian packages that are not installed yet.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "!! please install: ${missing[*]} (no root/apt-get here)" >&2
    return 1
  fi
  echo "== apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

pg_major() {
  if command -v pg_config >/dev/null 2>&1; then pg_config --version | sed -E 's/[^0-9]*([0-9]+).*/\1/';
  elif [ -d /etc/postgresql ]; then ls /etc/postgresql | sort -n | tail -1;
  else echo 15; fi
}

# PostGIS for the local PostgreSQL server (only when the database is local).
case "$DATABASE_URL" in
  *@127.0.0.1*|*@localhost*|*:///*)
    if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
      apt_install "postgresql-$(pg_major)-postgis-3" || true
    fi
    ;;
esac
case "$REDIS_URL" in
  *127.0.0.1*|*localhost*)
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server || true ;;
esac
if [ "$BROWSER" = 1 ]; then
  # What the test suite drives: Chromium for the browser tests, PgBouncer and HAProxy for the
  # pooler and cluster tests.
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-noto-cjk || true
  [ -x /usr/sbin/pgbouncer ] || apt_install pgbouncer || true
  [ -x /usr/sbin/haproxy ] || apt_install haproxy || true
fi
[ -d /usr/share/fonts/truetype/dejavu ] || apt_install fonts-dejavu-core || true

# Python environment.
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.fieldops-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== pip install -e .[dev,bench]"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev,bench]'
  touch "$stamp"
fi

# PWA build (needs node + npm).
if [ "$PWA" = 1 ] && [ -f mobile_pwa/package.json ]; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm || true
  if [ ! -d mobile_pwa/node_modules ] || [ mobile_pwa/package-lock.json -nt mobile_pwa/node_modules ]; then
    # Not `npm ci`: the lock file carries no registry URLs (omit-lockfile-registry-resolved),
    # and npm ci then refuses rollup's optional per-platform packages as "missing from lock".
    # `npm install --no-save` installs the locked versions and never rewrites the lock.
    echo "== npm install --no-save (mobile_pwa, locked versions)"
    (cd mobile_pwa && npm install --no-save --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f mobile_pwa/dist/.built ] || [ -n "$(find mobile_pwa/src mobile_pwa/index.html mobile_pwa/*.html mobile_pwa/vite.config.* -newer mobile_pwa/dist/.built 2>/dev/null | head -1)" ]; then
    echo "== building the PWA"
    (cd mobile_pwa && npm run build --silent) && touch mobile_pwa/dist/.built
  fi
fi

# Services must answer.
.venv/bin/python - <<PYEOF
import sys, time
import psycopg, redis
from sqlalchemy.engine import make_url
url = make_url("${DATABASE_URL}")
deadline = time.time() + 30
while True:
    try:
        psycopg.connect(host=url.host or None, port=url.port or 5432, user=url.username,
                        password=url.password, dbname="postgres", connect_timeout=3).close()
        break
    except Exception as exc:
        if time.time() > deadline:
            sys.exit(f"PostgreSQL at {url.host}:{url.port or 5432} does not answer: {exc}")
        time.sleep(1)
try:
    redis.Redis.from_url("${REDIS_URL}", socket_timeout=3).ping()
except Exception as exc:
    sys.exit(f"Redis at ${REDIS_URL} does not answer: {exc}")
print("== PostgreSQL and Redis answer")
PYEOF
