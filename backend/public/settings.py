"""The public feature's settings as plain values, read from the app config in one place for
the JSON API and the no-JS form alike (they must open tickets the same way). The defaults are
``backend.config.Config``'s (the one owner of every setting's default); what only this
feature knows about a value (that the report priority is a priority) is checked here, as the
app is built (``check``) and on every read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from backend.config import Config, SettingError, env_name, settings
from backend.workorders.models import PRIORITIES


def report_settings(config: Config | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments of ``operations.submit_report`` that come from configuration."""
    cfg = settings(config)
    priority = cfg.PUBLIC_REPORT_PRIORITY
    if priority not in PRIORITIES:
        raise SettingError(
            f"{env_name('PUBLIC_REPORT_PRIORITY')}={priority!r} is not valid: "
            f"one of {', '.join(PRIORITIES)}"
        )
    return {
        "priority": priority,
        "sla_policy": cfg.SLA_POLICY,
        "dedupe_window": timedelta(seconds=cfg.PUBLIC_REPORT_DEDUPE_S),
    }


def check(state: Any) -> None:
    """``record_once`` hook of the public blueprints: a bad setting stops the start instead
    of refusing every customer's report."""
    report_settings(state.app.config)


def tracking_url(token: str) -> str:
    """The link a customer keeps to follow their report (``PUBLIC_BASE_URL``/t/<token>)."""
    return f"{settings().PUBLIC_BASE_URL}/t/{token}"
