"""The public feature's settings as plain values, read from the app config in one place for
the JSON API and the no-JS form alike (they must open tickets the same way)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.config import settings


def report_settings() -> dict[str, Any]:
    """Keyword arguments of ``operations.submit_report`` that come from configuration."""
    cfg = settings()
    return {
        "priority": cfg.PUBLIC_REPORT_PRIORITY,
        "sla_policy": cfg.SLA_POLICY,
        "dedupe_window": timedelta(seconds=cfg.PUBLIC_REPORT_DEDUPE_S),
    }


def tracking_url(token: str) -> str:
    """The link a customer keeps to follow their report (``PUBLIC_BASE_URL``/t/<token>)."""
    return f"{settings().PUBLIC_BASE_URL}/t/{token}"
