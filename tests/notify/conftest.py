"""A local stand-in for Google: the OAuth token endpoint and the FCM HTTP v1 send endpoint,
served by a threaded ``http.server`` on 127.0.0.1, plus a freshly generated service-account
key whose ``token_uri`` points at it. The real firebase-admin / google-auth code runs
unchanged against it (``FIELDOPS_FCM_ENDPOINT`` points the messaging service here)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "fieldops-test"
ACCESS_TOKEN = "stub-access-token"


class FcmStub:
    def __init__(self) -> None:
        self.sends: list[dict[str, Any]] = []  # every send request: token, auth, status
        self.token_requests = 0
        self.script: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self.lock = threading.Lock()
        # hold(): sends wait on ``gate`` (a slow FCM) and set ``arrived`` when one is waiting.
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        with self.lock:
            self.sends.clear()
            self.script.clear()
            self.token_requests = 0
        self.release()

    def fail(self, token: str, status: int, error_code: str | None = None, times: int = 1):
        """Answer the next ``times`` sends to ``token`` with an FCM-shaped error."""
        body: dict[str, Any] = {
            "error": {"code": status, "message": f"stub {status}", "status": _STATUS[status]}
        }
        if error_code:
            body["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": error_code,
                }
            ]
        for _ in range(times):
            self.script[token].append((status, body))

    def hold(self) -> None:
        """Make every send wait until ``release()`` (FCM being slow)."""
        self.arrived.clear()
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def delivered(self, token: str) -> list[dict[str, Any]]:
        return [s for s in self.sends if s["token"] == token and s["status"] == 200]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path == "/token":
                    assert b"grant_type=urn" in raw and b"assertion=" in raw
                    with stub.lock:
                        stub.token_requests += 1
                    self._answer(
                        200,
                        {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"},
                    )
                    return
                if self.path != f"/v1/projects/{PROJECT}/messages:send":
                    self._answer(404, {"error": {"code": 404, "message": "no such path"}})
                    return
                payload = json.loads(raw)
                token = payload["message"]["token"]
                stub.arrived.set()
                stub.gate.wait(timeout=120)
                with stub.lock:
                    queued = stub.script[token]
                    status, body = queued.popleft() if queued else (200, {})
                    if status == 200:
                        body = {"name": f"projects/{PROJECT}/messages/{len(stub.sends) + 1}"}
                    stub.sends.append(
                        {
                            "token": token,
                            "status": status,
                            "auth": self.headers.get("Authorization"),
                            "message": payload["message"],
                        }
                    )
                self._answer(status, body)

        return Handler


_STATUS = {404: "NOT_FOUND", 500: "INTERNAL", 503: "UNAVAILABLE", 400: "INVALID_ARGUMENT"}


@pytest.fixture(scope="session")
def fcm_server() -> Iterator[FcmStub]:
    stub = FcmStub()
    stub.thread.start()
    yield stub
    stub.server.shutdown()


def service_account_for(stub: FcmStub) -> dict[str, Any]:
    """A freshly generated service-account key whose ``token_uri`` is the stub's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "stub-key-1",
        "private_key": pem,
        "client_email": f"push@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": f"{stub.url}/token",
    }


@pytest.fixture(scope="session")
def service_account(fcm_server: FcmStub) -> dict[str, Any]:
    return service_account_for(fcm_server)


@pytest.fixture()
def fcm(app, fcm_server: FcmStub, service_account: dict[str, Any]) -> Iterator[FcmStub]:
    """FCM configured against the stub for one test (push retries back off 1 s)."""
    keys = ("FIREBASE_CREDENTIALS", "FCM_ENDPOINT", "PUSH_RETRY_INTERVALS")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(
        FIREBASE_CREDENTIALS=json.dumps(service_account),
        FCM_ENDPOINT=fcm_server.url,
        PUSH_RETRY_INTERVALS="1,1",
    )
    fcm_server.reset()
    yield fcm_server
    app.config.update(saved)
