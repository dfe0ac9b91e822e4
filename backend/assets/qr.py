"""QR labels for assets, made with segno.

The label encodes ``<PUBLIC_BASE_URL>/r/<qr_token>``: the public report page, reachable by any
phone camera. Error correction "Q" (25%) because labels live on dirty, scratched equipment.
"""

from __future__ import annotations

import io

import segno

from backend.assets.models import Asset

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def report_url(asset: Asset, public_base_url: str) -> str:
    return f"{public_base_url.rstrip('/')}/r/{asset.qr_token}"


def make_qr(url: str) -> segno.QRCode:
    return segno.make(url, error="q", micro=False)


def render(url: str, kind: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR code for ``url`` as ``svg`` or ``png`` bytes."""
    if kind not in CONTENT_TYPES:
        raise ValueError(f"unknown QR image kind {kind!r}")
    buffer = io.BytesIO()
    options = {"title": url} if kind == "svg" else {}
    make_qr(url).save(buffer, kind=kind, scale=scale, border=border, **options)
    return buffer.getvalue()
