"""App-wide guards on what a request may carry before any view, parser or query sees it.

It closes a 500 a schemathesis run found, for every blueprint at once, including the plain
flask-smorest ones (public report, media) whose parser is not ``ApiBlueprint``'s: a JSON body
nested thousands deep (``RecursionError`` in the decoder or in any recursive walk after it)
or with an integer literal over Python's 4,300-digit limit (``ValueError`` outside webargs'
JSON error handling) is answered 400: the body is not JSON we will read.
(Text PostgreSQL cannot store, NUL or a lone surrogate, in the query string or the path is
refused by ``schemas_common``'s URL guard, which owns that rule through ``backend.pgtext``.)

A URL longer than ``MAX_URL_BYTES`` (``backend.config``) is answered here with the JSON 414,
app-wide. gunicorn used to answer it first with its own HTML page (a schemathesis run against
gunicorn found ``?q=`` of 10,000 characters): it now lets lines up to 8190 bytes through to this
check, and writes its own refusals of longer ones in the same JSON shape
(``backend.observe.gunicorn_conf.json_error_pages``).

The body is decoded once here with the limits and cached by Flask, so the parser that runs
later reads the same bytes; JSON bodies are small (``MAX_JSON_BYTES``), so this costs little.
This module exposes no ``blp``: API discovery registers nothing from it.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request

from backend.config import MAX_URL_BYTES, settings
from backend.errors import DomainError

# Deep enough for any body this API documents (GeoJSON polygons are 4 levels, sync batches 5).
MAX_JSON_DEPTH = 64


class UriTooLong(DomainError):
    status = 414
    kind = "uri_too_long"


class BadJSON(DomainError):
    """A JSON body we refuse to decode (too deep, a number too long)."""

    status = 400
    kind = "bad_json"


def install(app: Flask) -> None:
    """Call after the blueprints are registered: the body check runs after each blueprint's
    own hooks, so it reads the body under that blueprint's size limit, not a larger one.
    The URL check is app-wide (before every blueprint's hooks, and for unknown paths)."""
    app.before_request(check_url_length)
    for name in app.blueprints:
        app.before_request_funcs.setdefault(name, []).append(check_json_body)


def check_url_length() -> None:
    """414 for a request target over ``MAX_URL_BYTES``, measured as the client sent it
    (``RAW_URI``, which gunicorn and Werkzeug both set; percent-encoded, so bytes)."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        query = environ.get("QUERY_STRING", "")
        raw = request.script_root + request.path + ("?" + query if query else "")
    size = len(raw.encode("utf-8", "surrogateescape")) if isinstance(raw, str) else len(raw)
    if size > MAX_URL_BYTES:
        raise UriTooLong(
            f"the URL is {size} bytes long; at most {MAX_URL_BYTES} are read",
            errors={"url": [f"at most {MAX_URL_BYTES} bytes (path and query string)"]},
            limit_bytes=MAX_URL_BYTES,
        )


def check_json_body() -> None:
    if not request.is_json or request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    # A blueprint's own limit (smaller for the public forms, larger for a sync batch) stands;
    # only the app-wide one, sized for photo uploads, is lowered to the JSON default.
    current = request.max_content_length
    cfg = settings()
    if current is None or current == cfg.MAX_CONTENT_LENGTH:
        limit = cfg.MAX_JSON_BYTES
        if current is None or current > limit:
            request.max_content_length = limit  # Werkzeug answers 413 past it
    raw = request.get_data(cache=True)
    if raw.strip():
        decode_limited(raw)


def decode_limited(raw: bytes | str) -> Any:
    """``json.loads`` that refuses what would crash later: depth over ``MAX_JSON_DEPTH`` and
    integer literals over Python's digit limit. Malformed JSON is left to the parser's own
    400 (``json.JSONDecodeError`` passes through)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError:
        return None
    except ValueError:  # int_max_str_digits
        raise BadJSON(
            "a number in the JSON body is too long to read",
            errors={"json": ["numbers may have at most 4300 digits"]},
        ) from None
    if depth(value) > MAX_JSON_DEPTH:
        raise _too_deep()
    return value


def depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the point is surviving deep input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest


def _too_deep() -> BadJSON:
    return BadJSON(
        f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)",
        errors={"json": [f"at most {MAX_JSON_DEPTH} levels of nesting"]},
    )
