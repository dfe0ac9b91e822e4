"""A real SMTP server (aiosmtpd) on a free local port, in a thread of the test process, that
records every message it accepts and can be told to refuse the next ones (4xx: try later,
5xx: never), and the settings that point the app at it."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

SECRET = "inbound-secret-0123456789abcdef"


class SmtpStub:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []  # (mail from, rcpt tos, bytes)
        self.refusals: deque[str] = deque()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals:
                return self.refusals.popleft()
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 Message accepted for delivery"

    def refuse(self, answer: str, times: int = 1) -> None:
        with self.lock:
            self.refusals.extend([answer] * times)

    def parsed(self) -> list[EmailMessage]:
        with self.lock:
            raw = [m[2] for m in self.messages]
        return [BytesParser(policy=policy.default).parsebytes(b) for b in raw]  # type: ignore[misc]

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.refusals.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[SmtpStub, int]]:
    stub = SmtpStub()
    with socket.socket() as probe:  # a free port (aiosmtpd's readiness check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(stub, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield stub, port
    finally:
        controller.stop()


@pytest.fixture()
def smtp(app, monkeypatch, smtp_server) -> SmtpStub:
    """Outbound email on, pointed at the local server; retries immediate (0 s)."""
    stub, port = smtp_server
    stub.reset()
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "EMAIL_FROM": "Fieldops Service <service@fieldops.test>",
        "EMAIL_RETRY_INTERVALS": "0,0",
        "EMAIL_TIME_ZONE": "Asia/Shanghai",
        "INBOUND_EMAIL_SECRET": SECRET,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return stub


@pytest.fixture()
def inbound_on(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "INBOUND_EMAIL_SECRET", SECRET)
    return SECRET
