"""Request ids (accepted or generated, echoed, in every log line) and the JSON log format."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask

from backend.logs import accept_or_new, get_request_id, json_handler


@pytest.mark.parametrize(
    "incoming", ["abc-123", "7f1c2a9e-1d7e-4d7e-9a55-0c6f0f1e2d3c", "lb.1:42_x"]
)
def test_a_sane_incoming_id_is_kept(incoming):
    assert accept_or_new(incoming) == incoming


@pytest.mark.parametrize(
    "incoming", [None, "", "has space", 'quote"d', "x" * 129, "-leading-dash", "new\nline"]
)
def test_an_insane_or_missing_id_is_replaced(incoming):
    rid = accept_or_new(incoming)
    assert rid != incoming and len(rid) == 32 and rid.isalnum()


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture()
def captured():
    """A JSON handler on the root logger, as ``configure_logging`` installs in production."""
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_a_log_line_is_one_json_object_with_the_request_id(app: Flask, captured):
    seen: dict[str, str | None] = {}

    # A throwaway app-level route would leak into the session app; use a request context.
    with app.test_request_context("/healthz", headers={"X-Request-ID": "req-77"}):
        app.preprocess_request()
        seen["inside"] = get_request_id()
        logging.getLogger("backend.test").info("inside %s", "a request")
        response = app.process_response(app.make_response({"ok": True}))
        app.do_teardown_request()
    logging.getLogger("backend.test").warning("outside")
    assert seen["inside"] == "req-77"
    assert response.headers["X-Request-ID"] == "req-77"
    assert get_request_id() is None  # reset when the request ended
    inside, outside = _lines(captured)
    for line in (inside, outside):
        assert set(line) >= {"time", "level", "logger", "message", "request_id"}
        assert line["time"].endswith("+00:00") and line["logger"] == "backend.test"
    assert inside["message"] == "inside a request" and inside["level"] == "INFO"
    assert inside["request_id"] == "req-77"
    assert outside["request_id"] is None and outside["level"] == "WARNING"


def test_every_response_echoes_an_id(client):
    given = client.get("/healthz", headers={"X-Request-ID": "from-the-proxy-1"})
    assert given.headers["X-Request-ID"] == "from-the-proxy-1"
    fresh = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert fresh.headers["X-Request-ID"] not in ("", "bad id with spaces")
    other = client.get("/healthz")
    assert other.headers["X-Request-ID"] != fresh.headers["X-Request-ID"]
    missing = client.get("/no/such/path")  # errors carry it too
    assert missing.status_code == 404 and len(missing.headers["X-Request-ID"]) == 32


def test_a_request_refused_by_the_rate_limiter_still_gets_an_id(app, client, monkeypatch):
    # Our hooks are registered before the limiter's: a refused request is one an operator
    # wants to find by its id. (It passed with the old order too: these limits are checked
    # in the view's decorator, after our before_request.)
    monkeypatch.setitem(app.config, "PUBLIC_READ_LIMIT_PER_IP", "1 per minute")
    path = "/api/v1/public/assets/no-such-token"
    client.get(path)
    refused = client.get(path, headers={"X-Request-ID": "limited-1"})
    assert refused.status_code == 429
    assert refused.headers.get("X-Request-ID") == "limited-1"
