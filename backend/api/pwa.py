"""Serves the built front end (``mobile_pwa/dist``): the engineer app at ``/app/`` (its service
worker at ``/app/sw.js`` so the worker's scope is exactly ``/app/``), the dispatcher console
at ``/dispatch/``, the hashed assets both share at ``/assets/``, and Swagger UI's files for
the API reference (``/api/docs``) at ``/swagger-ui/``.

Caching: file names under ``/assets/`` carry a content hash, so they are cached for a year and
marked immutable; HTML, the service worker and the manifest are ``no-cache`` so a deploy is
picked up on the next load (the service worker's precache then updates the offline copy).
Without a build every route answers a JSON 404 that says how to build it, never a 500.

The console's runtime settings (map tile URL, Firebase web config for push) come from
``/app/config.json``, built from ``Config.EXTRA`` (``FIELDOPS_MAP_TILE_URL``,
``FIELDOPS_MAP_TILE_ATTRIBUTION``, ``FIELDOPS_FIREBASE_WEB_CONFIG`` as JSON,
``FIELDOPS_FIREBASE_VAPID_KEY``), so one build works in every deployment.

These are static files, not API operations: they live on a plain Flask blueprint that an empty
flask-smorest one registers on the app (the discovery in ``backend.api`` registers smorest
blueprints only), which keeps them out of the OpenAPI document. ``/app/config.json`` is JSON
the apps read, so it is an operation (``config_blp``, public) with its schema in the document.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, jsonify, send_file
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from backend.config import settings
from backend.notify.schemas import AppConfigOut

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "mobile_pwa" / "dist"
LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

static_bp = FlaskBlueprint("pwa_static", __name__)
blp = Blueprint(
    "pwa",
    __name__,
    description="Front-end files (engineer PWA, dispatcher console); not API operations.",
)
blp.record_once(lambda state: state.app.register_blueprint(static_bp))
config_blp = Blueprint(
    "app_config", __name__, description="The front end's runtime settings (no login)."
)
blueprints = [blp, config_blp]


def dist_dir() -> Path:
    return Path(settings().PWA_DIST or DEFAULT_DIST)


def _not_built(what: str) -> tuple[Response, int]:
    body = {
        "code": 404,
        "status": "Not Found",
        "message": f"{what} is not built: run `npm ci && npm run build` in mobile_pwa/",
    }
    return jsonify(body), 404


def _not_found(path: str) -> tuple[Response, int]:
    return jsonify({"code": 404, "status": "Not Found", "message": f"no such file: {path}"}), 404


def _send(path: Path, cache: str) -> Response:
    response = send_file(path, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _safe(base: Path, rel: str) -> Path | None:
    """``base/rel`` if it is a file inside ``base`` (no ``..`` escapes), else None."""
    target = (base / rel).resolve()
    try:
        target.relative_to(base.resolve())
    except ValueError:
        return None
    return target if target.is_file() else None


def _page(rel: str, what: str) -> Response | tuple[Response, int]:
    page = _safe(dist_dir(), rel)
    if page is None:
        return _not_built(what)
    return _send(page, NO_CACHE)


@static_bp.get("/app/")
@static_bp.get("/app/index.html")
def engineer_app() -> ResponseReturnValue:
    return _page("app/index.html", "the engineer app")


@static_bp.get("/app/sw.js")
def service_worker() -> ResponseReturnValue:
    response = _page("app/sw.js", "the engineer app's service worker")
    if isinstance(response, Response):
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response


# The Firebase *web* config is public by design (it ships in every web app's JS); only these
# keys are passed through, so a service-account key pasted into the wrong variable never leaks.
FIREBASE_WEB_KEYS = (
    "apiKey",
    "authDomain",
    "projectId",
    "storageBucket",
    "messagingSenderId",
    "appId",
    "measurementId",
    "vapidKey",
)


def firebase_web_config(raw: Any) -> dict[str, str] | None:
    """The public Firebase web config from ``FIELDOPS_FIREBASE_WEB_CONFIG`` (JSON), or None
    (no push) when unset, unparsable, or missing what messaging needs."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict):
        return None
    web = {k: str(raw[k]) for k in FIREBASE_WEB_KEYS if raw.get(k)}
    needed = ("apiKey", "projectId", "messagingSenderId", "appId")
    return web if all(k in web for k in needed) else None


@config_blp.route("/app/config.json", methods=["GET"])
@config_blp.doc(security=[])
@config_blp.response(200, AppConfigOut)
def runtime_config() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Map tiles and the push (FCM) web config for this deployment; nulls when unset."""
    cfg = settings()
    firebase = firebase_web_config(cfg.FIREBASE_WEB_CONFIG)
    vapid_key = (firebase or {}).get("vapidKey") or cfg.FIREBASE_VAPID_KEY or None
    body = {
        "tile_url": cfg.MAP_TILE_URL or None,
        "tile_attribution": cfg.MAP_TILE_ATTRIBUTION or None,
        "firebase": firebase,
        "vapid_key": vapid_key if firebase else None,
    }
    return body, 200, {"Cache-Control": NO_CACHE}


@static_bp.get("/app/<path:rel>")
def engineer_file(rel: str) -> ResponseReturnValue:
    found = _safe(dist_dir() / "app", rel)
    if found is not None:
        return _send(found, NO_CACHE)
    if "." in rel.rsplit("/", 1)[-1]:
        return _not_found(f"/app/{rel}")
    # Client-side routes (deep links) get the app shell.
    return engineer_app()


@static_bp.get("/dispatch/")
@static_bp.get("/dispatch/index.html")
def dispatch_console() -> ResponseReturnValue:
    return _page("dispatch/index.html", "the dispatcher console")


def _built_file(folder: str, rel: str, cache: str) -> ResponseReturnValue:
    """``dist/<folder>/<rel>``; without a build, the 404 that says how to make one."""
    found = _safe(dist_dir() / folder, rel)
    if found is None:
        return _not_built(f"/{folder}/{rel}") if not dist_dir().is_dir() else _not_found(rel)
    return _send(found, cache)


@static_bp.get("/assets/<path:rel>")
def asset(rel: str) -> ResponseReturnValue:
    return _built_file("assets", rel, LONG_CACHE)


@static_bp.get("/swagger-ui/<path:rel>")
def swagger_ui(rel: str) -> ResponseReturnValue:
    """Swagger UI's files for ``/api/docs`` (copied from swagger-ui-dist by the build), so the
    API reference needs no CDN. Not hashed: revalidated on every load."""
    return _built_file("swagger-ui", rel, NO_CACHE)


@static_bp.get("/icons/<path:rel>")
def icon(rel: str) -> ResponseReturnValue:
    found = _safe(dist_dir() / "icons", rel)
    if found is None:
        return _not_found(f"/icons/{rel}")
    return _send(found, "public, max-age=86400")
