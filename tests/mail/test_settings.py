"""Email settings are checked as the app is built: a bad one stops the start naming its
variable, instead of failing the first request that would send an email."""

from __future__ import annotations

import dataclasses

import pytest

from backend import create_app
from backend.config import SettingError
from backend.mail.settings import mail_settings


@pytest.mark.parametrize(
    ("key", "value", "variable"),
    [
        ("EMAIL_FROM", "fieldops", "FIELDOPS_EMAIL_FROM"),
        ("EMAIL_TIME_ZONE", "Mars/Olympus", "FIELDOPS_EMAIL_TIME_ZONE"),
        ("SMTP_SECURITY", "maybe", "FIELDOPS_SMTP_SECURITY"),
    ],
)
def test_bad_setting_stops_the_start(test_config, key, value, variable):
    with pytest.raises(SettingError, match=variable):
        create_app(dataclasses.replace(test_config, **{key: value}))


def test_defaults_are_off_and_valid(test_config):
    cfg = mail_settings(test_config)
    assert not cfg.enabled and cfg.domain == "fieldops.invalid"
    assert mail_settings(dataclasses.replace(test_config, SMTP_HOST="smtp.example")).enabled
