"""A real local webhook receiver: a threaded ``http.server`` on 127.0.0.1 that verifies every
request's Standard Webhooks signature with ``standardwebhooks.Webhook(secret).verify``, can be
told to fail (an HTTP status, a slow answer, a redirect) and can go away and come back on the
same port. Loopback targets are allowed for these tests through the real setting
(``WEBHOOK_ALLOWED_NETWORKS``)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

# The API tests' fixtures, one definition for both suites: fresh rate limits per test, the
# ``api(method, path, user)`` caller and an admin.
from tests.api.conftest import _fresh_rate_limits, admin, api  # noqa: F401 (fixtures)
from tests.dispatch.conftest import make_engineer  # noqa: F401 (a fixture: the plan test)


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.redirect_hits = 0
        # What the next requests get: ("status", code), ("sleep", seconds), ("redirect", path),
        # ("drip", seconds between bytes of the answer).
        self.script: deque[tuple[str, Any]] = deque()
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}/hooks?src=fieldops"

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go away: nothing listens on the port any more (connection refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.script.clear()
            self.redirect_hits = 0
            self.secret = None

    def verified(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["verified"]]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/moved"):
                    with receiver.lock:
                        receiver.redirect_hits += 1
                    self._answer(200, b"moved here")
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    assert receiver.secret is not None
                    payload = Webhook(receiver.secret).verify(raw, headers)
                    verified, error = True, None
                except (WebhookVerificationError, AssertionError) as exc:
                    payload, verified, error = json.loads(raw or b"null"), False, str(exc)
                with receiver.lock:
                    action = receiver.script.popleft() if receiver.script else ("status", 200)
                    receiver.received.append(
                        {
                            "headers": headers,
                            "payload": payload,
                            "verified": verified,
                            "error": error,
                            "path": self.path,
                            "answered": action,
                        }
                    )
                kind, value = action
                if kind == "drip":  # the status line a byte at a time, each within the timeout
                    try:
                        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(value)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                    return
                if kind == "sleep":
                    time.sleep(value)
                    self._answer(200, b"late")
                elif kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}{value}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif value >= 400:
                    self._answer(value, b"receiver failed on purpose \x00" + b"x" * 5000)
                else:
                    self._answer(value, b'{"received": true}')

            def _answer(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                    pass

        return Handler


@pytest.fixture(scope="session")
def _receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture()
def receiver(_receiver: Receiver, app, monkeypatch) -> Iterator[Receiver]:
    """The receiver, running, with loopback allowed as a target and quick retries."""
    _receiver.reset()
    if _receiver.server is None:
        _receiver.start()
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_S", 1)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_MAX_INTERVAL_S", 1)
    monkeypatch.setitem(app.config, "WEBHOOK_READ_TIMEOUT_S", 1)
    monkeypatch.setitem(app.config, "WEBHOOK_CONNECT_TIMEOUT_S", 1)
    yield _receiver
    if _receiver.server is None:
        _receiver.start()


@pytest.fixture()
def subscribe(api, admin, receiver):  # noqa: F811 (api, admin: the fixtures imported above)
    """Subscribe the receiver (through the API) and teach it the secret."""

    def _subscribe(*types: str, url: str | None = None) -> dict[str, Any]:
        res = api(
            "post",
            "/api/v1/webhooks",
            admin,
            json={"url": url or receiver.url, "event_types": list(types), "description": "t"},
        )
        assert res.status_code == 201, res.json
        receiver.secret = res.json["secret"]
        return dict(res.json)

    return _subscribe
