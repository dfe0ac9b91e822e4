"""Sending one push through Firebase Cloud Messaging (HTTP v1) with ``firebase-admin``.

``FIREBASE_CREDENTIALS`` is a service-account key: a path to the JSON file or the JSON itself.
``FIELDOPS_FCM_ENDPOINT`` (optional) replaces ``https://fcm.googleapis.com`` - firebase-admin
has no emulator setting for messaging, so the messaging service's ``_fcm_url`` is pointed at
it; the OAuth token endpoint comes from the key's own ``token_uri``. Tests use both to drive
the real library against a local stub.

firebase-admin retries 500/503 inside the HTTP call (urllib3, up to 4 times, sleeping). We
turn that off for the send endpoint: the backoff lives in one place, the rq job's ``Retry``,
so a worker never sleeps inside a send and every attempt is visible in the job's history.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import firebase_admin
import requests
from firebase_admin import credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions
from urllib3.util.retry import Retry

DEFAULT_HOST = "https://fcm.googleapis.com"
_TRANSIENT = (
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
    exceptions.ResourceExhaustedError,
    exceptions.UnknownError,
)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None
    error: str | None = None
    transient: bool = False  # worth retrying later (5xx, quota, timeout)
    unregistered: bool = False  # the token is dead: forget the device


def load_service_account(raw: str) -> dict[str, Any]:
    """The key as a dict, from inline JSON or a file path."""
    text = raw.strip()
    if not text.startswith("{"):
        text = Path(text).expanduser().read_text(encoding="utf-8")
    info = json.loads(text)
    if not isinstance(info, dict) or not info.get("project_id"):
        raise ValueError("FIREBASE_CREDENTIALS must be a service-account key with a project_id")
    return info


class FcmSender:
    def __init__(self, service_account: dict[str, Any], endpoint: str | None = None):
        self.project_id = str(service_account["project_id"])
        digest = hashlib.sha256(
            json.dumps([service_account, endpoint], sort_keys=True).encode()
        ).hexdigest()[:16]
        name = f"fieldops-{digest}"
        try:
            self.app = firebase_admin.get_app(name)
        except ValueError:
            self.app = firebase_admin.initialize_app(
                credentials.Certificate(service_account),
                {"projectId": self.project_id, "httpTimeout": 15},
                name=name,
            )
        service = messaging._get_messaging_service(self.app)
        host = (endpoint or DEFAULT_HOST).rstrip("/")
        if endpoint:
            service._fcm_url = f"{host}/v1/projects/{self.project_id}/messages:send"
        no_status_retries = Retry(total=2, connect=2, read=0, status=0, redirect=0)
        service._client.session.mount(
            host + "/", requests.adapters.HTTPAdapter(max_retries=no_status_retries)
        )

    def send(self, token: str, title: str, body: str, data: dict[str, Any]) -> SendResult:
        with warnings.catch_warnings():
            # firebase-admin 7.7 prefers ``fid`` (installation ids), but phones register FCM
            # registration tokens (``getToken()``), which the v1 API still takes as ``token``.
            warnings.simplefilter("ignore", DeprecationWarning)
            message = messaging.Message(
                token=token,
                notification=messaging.Notification(title=title, body=body),
                data={str(k): str(v) for k, v in (data or {}).items()},
            )
        try:
            message_id = messaging.send(message, app=self.app)
        except messaging.UnregisteredError as exc:
            return SendResult(False, error=f"UNREGISTERED: {exc}", unregistered=True)
        except _TRANSIENT as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {exc}", transient=True)
        except auth_exceptions.GoogleAuthError as exc:  # token endpoint down or refusing
            return SendResult(False, error=f"oauth: {exc}", transient=True)
        except exceptions.FirebaseError as exc:
            status = getattr(getattr(exc, "http_response", None), "status_code", 0) or 0
            return SendResult(False, error=f"{type(exc).__name__}: {exc}", transient=status >= 500)
        return SendResult(True, message_id=message_id)


_senders: dict[tuple[str, str | None], FcmSender] = {}
_lock = threading.Lock()


def sender_for(raw_credentials: str | None, endpoint: str | None) -> FcmSender | None:
    """A cached sender, or None without credentials (pushes are then recorded as unsent)."""
    if not raw_credentials:
        return None
    key = (raw_credentials, endpoint)
    with _lock:
        if key not in _senders:
            _senders[key] = FcmSender(load_service_account(raw_credentials), endpoint)
        return _senders[key]
