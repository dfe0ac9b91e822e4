"""The email feature's settings as one plain value, read from the app config in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.config import Config, SettingError, env_name, settings

SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int
    security: str
    username: str | None
    password: str | None
    timeout_s: float
    sender: str  # the From header, e.g. "fieldops <no-reply@example.com>"
    domain: str  # of every Message-ID we make
    retry: tuple[int, ...]
    default_language: str
    time_zone: ZoneInfo
    arrival_window_min: int
    public_base_url: str

    @property
    def enabled(self) -> bool:
        """Outbound email is on: an SMTP host is configured."""
        return bool(self.host)


def mail_settings(config: Config | Mapping[str, Any] | None = None) -> MailSettings:
    cfg = settings(config)
    if cfg.SMTP_SECURITY not in SECURITY:
        raise SettingError(
            f"{env_name('SMTP_SECURITY')}={cfg.SMTP_SECURITY!r} is not valid: "
            f"one of {', '.join(SECURITY)}"
        )
    _, addr = parseaddr(cfg.EMAIL_FROM)
    try:
        domain = Address(addr_spec=addr).domain if addr else ""
    except (ValueError, IndexError):
        domain = ""
    if not domain:
        raise SettingError(
            f"{env_name('EMAIL_FROM')}={cfg.EMAIL_FROM!r} is not valid: an address such as "
            "'fieldops <no-reply@example.com>'"
        )
    try:
        zone = ZoneInfo(cfg.EMAIL_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingError(
            f"{env_name('EMAIL_TIME_ZONE')}={cfg.EMAIL_TIME_ZONE!r} is not an IANA time zone"
        ) from exc
    return MailSettings(
        host=cfg.SMTP_HOST or None,
        port=cfg.SMTP_PORT,
        security=cfg.SMTP_SECURITY,
        username=cfg.SMTP_USERNAME or None,
        password=cfg.SMTP_PASSWORD or None,
        timeout_s=cfg.SMTP_TIMEOUT_S,
        sender=cfg.EMAIL_FROM,
        domain=domain,
        retry=tuple(cfg.EMAIL_RETRY_INTERVALS),
        default_language=cfg.EMAIL_DEFAULT_LANGUAGE,
        time_zone=zone,
        arrival_window_min=cfg.EMAIL_ARRIVAL_WINDOW_MIN,
        public_base_url=cfg.PUBLIC_BASE_URL,
    )
