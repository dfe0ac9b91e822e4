"""One HTTP attempt: the SSRF check, the Standard Webhooks signature, the POST.

No database here: the attempt job calls ``send`` between two short transactions.

SSRF: the target's host is resolved once; every address it resolves to must be public
(not private, loopback, link-local, multicast, reserved or unspecified; an IPv4-mapped IPv6
address is judged as its IPv4 address) unless it lies in ``WEBHOOK_ALLOWED_NETWORKS``. The
connection then goes to the checked address itself (the Host header and TLS name stay the
URL's), so a name that resolves differently a moment later (DNS rebinding) cannot move the
request elsewhere. Redirects are never followed (``http.client`` follows none): a 3xx is a
failed attempt. Timeouts: connect and each read are bounded, and a watchdog shuts the socket
when connect + read timeout have passed, so the whole attempt is bounded too (a target
dripping its answer byte by byte); only the first ``EXCERPT_BYTES`` of the body are read.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks import Webhook

EXCERPT_BYTES = 1024
USER_AGENT = "fieldops-webhooks/1"
SCHEMES = {"http": 80, "https": 443}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be called: malformed, unresolvable, or an address not allowed."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL, or TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("the URL must start with http:// or https://")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry a user name or password")
    if parts.fragment:
        raise TargetRefused("the URL must not have a fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or SCHEMES[scheme], path


def forbidden(address: Address) -> str | None:
    """Why an address is not a public one (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:  # e.g. 100.64.0.0/10 (carrier-grade NAT), documentation ranges
        return "not global"
    return None


def _allowed(address: Address, networks: Iterable[str]) -> bool:
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def resolve(url: str, allowed_networks: Sequence[str]) -> Target:
    """Resolve the URL's host and check every address; the first one is the target."""
    scheme, host, port, path = parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {host} does not resolve ({exc})") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"the host {host} does not resolve")
    for address in addresses:
        why = forbidden(address)
        if why is not None and not _allowed(address, allowed_networks):
            raise TargetRefused(
                f"{host} resolves to {address} ({why}); such targets are refused unless "
                "FIELDOPS_WEBHOOK_ALLOWED_NETWORKS allows them"
            )
    return Target(scheme, host, port, path, str(addresses[0]))


def body_of(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def sign(secret: str, msg_id: str, at: datetime, body: str) -> str:
    return Webhook(secret).sign(msg_id, at, body)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a given address, with the certificate checked for the URL's host name."""

    def __init__(self, address: str, host: str, port: int, *, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = host

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=self._server_name
        )


def _text(raw: bytes) -> str:
    # NUL cannot be stored in PostgreSQL text; invalid UTF-8 becomes U+FFFD.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def send(
    target: Target,
    *,
    msg_id: str,
    at: datetime,
    body: str,
    secret: str,
    connect_timeout: float,
    read_timeout: float,
) -> Outcome:
    """POST the signed body; never raises for what the target does."""
    headers = {
        "Host": target.host
        if target.port == SCHEMES[target.scheme]
        else (f"{target.host}:{target.port}"),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": sign(secret, msg_id, at, body),
    }
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPS(target.address, target.host, target.port, timeout=connect_timeout)
    else:
        conn = http.client.HTTPConnection(target.address, target.port, timeout=connect_timeout)
    started = time.monotonic()
    deadline = started + connect_timeout + read_timeout
    # Each read waits at most read_timeout, but a target dripping its answer a byte at a time
    # would never hit it: at the deadline the socket is shut, and the attempt has timed out.
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        if conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(connect_timeout + read_timeout, expire)
    watchdog.daemon = True

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    watchdog.start()
    try:
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(read_timeout)
        conn.request("POST", target.path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        status = response.status
        raw = b""
        while len(raw) < EXCERPT_BYTES and time.monotonic() < deadline:
            chunk = response.read1(EXCERPT_BYTES - len(raw))
            if not chunk:
                break
            raw += chunk
        latency = elapsed_ms()
        if expired.is_set():
            return Outcome(False, status, latency, _text(raw) or None, "timed out")
        excerpt = _text(raw) if raw else None
        if 200 <= status < 300:
            return Outcome(True, status, latency, excerpt, None)
        error = f"HTTP {status}"
        if 300 <= status < 400:
            location = response.getheader("Location") or ""
            error += f": redirect to {location[:200]!r} not followed"
        return Outcome(False, status, latency, excerpt, error)
    except TimeoutError:
        return Outcome(False, None, elapsed_ms(), None, "timed out")
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            return Outcome(False, None, elapsed_ms(), None, "timed out")
        return Outcome(False, None, elapsed_ms(), None, f"{exc.__class__.__name__}: {exc}"[:500])
    finally:
        watchdog.cancel()
        conn.close()
