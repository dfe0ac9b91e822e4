"""Settings are one typed object (``backend.config.Config``), converted and checked when the app
starts: a value from the environment arrives as a string and must reach every reader as its
type, and a bad one must stop the start naming the variable (issue #15, types and settings)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend import create_app
from backend.config import Config, SettingError, env_name, setting_names, settings

ROOT = Path(__file__).resolve().parents[1]

# A whole app in a child process: create_app binds process-wide extensions (the engine, the
# limiter, the Redis holder) that the session's app shares.
CHILD = r"""
import json
from flask import request
from flask_jwt_extended import create_access_token, decode_token
from backend import create_app

app = create_app()
out = {"max": app.config["MAX_CONTENT_LENGTH"]}
body = b"--x\r\nContent-Disposition: form-data; name=f\r\n\r\n" + b"v" * 64 + b"\r\n--x--\r\n"
with app.test_request_context(
    "/", method="POST", data=body, content_type="multipart/form-data; boundary=x"
):
    out["form"] = request.form.get("f")  # werkzeug compares the length with the limit
with app.app_context():
    claims = decode_token(create_access_token("someone"))
    out["ttl"] = claims["exp"] - claims["iat"]
print(json.dumps(out))
"""


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDOPS_")}
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",  # never connected
        SECRET_KEY="k" * 48,
        **extra,
    )
    return env


def test_string_values_from_the_environment_reach_the_app_typed():
    """``FIELDOPS_MAX_CONTENT_LENGTH`` and ``FIELDOPS_JWT_ACCESS_TOKEN_EXPIRES`` used to stay
    strings in ``app.config``: every form upload and every login then failed with a 500."""
    env = _child_env(FIELDOPS_MAX_CONTENT_LENGTH="1048576", FIELDOPS_JWT_ACCESS_TOKEN_EXPIRES="900")
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"max": 1048576, "form": "v" * 64, "ttl": 900}


@pytest.mark.parametrize(
    ("var", "value", "reason"),
    [
        ("FIELDOPS_MAX_CONTENT_LENGTH", "25MB", "valid integer"),
        ("FIELDOPS_JWT_ACCESS_TOKEN_EXPIRES", "soon", "timedelta"),
        ("FIELDOPS_TRUSTED_PROXIES", "-1", "greater than or equal to 0"),
        ("FIELDOPS_AUTO_DISPATCH", "perhaps", "boolean"),
        ("FIELDOPS_SLA_POLICY", "{not json", "Expecting property name"),
    ],
)
def test_a_bad_value_stops_create_app_naming_the_variable(monkeypatch, var, value, reason):
    monkeypatch.setenv(var, value)
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    with pytest.raises(SettingError, match=re.escape(var)) as refused:
        create_app()
    assert reason in str(refused.value)


def test_a_bad_value_in_a_config_object_stops_create_app_too():
    cfg = Config(SECRET_KEY="k" * 48, EXTRA={"MAX_JSON_BYTES": "lots"})
    with pytest.raises(SettingError, match="FIELDOPS_MAX_JSON_BYTES"):
        create_app(cfg)


def test_from_env_converts_each_kind():
    cfg = Config.from_env(
        {
            "DATABASE_URL": "postgres://u@db/x",
            "PUBLIC_BASE_URL": "https://example.test/",
            "FIELDOPS_ENV": " Development ",
            "FIELDOPS_JWT_REFRESH_TOKEN_EXPIRES": "P7D",
            "FIELDOPS_AUTO_DISPATCH": "yes",
            "FIELDOPS_SLA_AT_RISK_FRACTION": "0.5",
            "FIELDOPS_PUSH_RETRY_INTERVALS": "5, 50",
            "FIELDOPS_SLA_POLICY": '{"P1": [2, 6]}',
            "FIELDOPS_OPTIMIZE_BUDGET_S": "",  # empty: the default
            "FIELDOPS_SOMETHING_NEW": "x",
        }
    )
    assert cfg.DATABASE_URL == "postgresql+psycopg://u@db/x"
    assert cfg.PUBLIC_BASE_URL == "https://example.test"
    assert cfg.ENVIRONMENT == "development"
    assert cfg.JWT_REFRESH_TOKEN_EXPIRES.total_seconds() == 7 * 86400
    assert cfg.AUTO_DISPATCH is True and cfg.SLA_AT_RISK_FRACTION == 0.5
    assert cfg.PUSH_RETRY_INTERVALS == (5, 50)
    assert cfg.SLA_POLICY == {"P1": (2.0, 6.0)}
    assert cfg.OPTIMIZE_BUDGET_S == Config().OPTIMIZE_BUDGET_S
    assert cfg.EXTRA == {"SOMETHING_NEW": "x"}


def test_a_setting_changed_on_the_running_app_is_converted(app):
    """Tests (and fixtures) change settings on the live app: the same conversion applies and
    ``settings()`` sees the change."""
    with app.app_context():
        before = settings()
        app.config["DISPATCH_K"] = "7"
        try:
            assert app.config["DISPATCH_K"] == 7 and settings().DISPATCH_K == 7
            assert settings() is not before
            with pytest.raises(SettingError, match="FIELDOPS_DISPATCH_K"):
                app.config["DISPATCH_K"] = "many"
        finally:
            app.config["DISPATCH_K"] = before.DISPATCH_K


def test_the_configuration_reference_lists_every_setting():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [env_name(n) for n in setting_names() if f"`{env_name(n)}`" not in doc]
    assert not missing, f"docs/configuration.md does not list {missing}"


@pytest.mark.parametrize(
    ("var", "value"),
    [("FIELDOPS_DISPATCH_WEIGHTS_VERSION", "nope"), ("FIELDOPS_AUTO_DISPATCH_REGIONS", "north")],
)
def test_a_bad_dispatch_setting_stops_the_start(var, value):
    """Dispatch checks what only it knows (weights versions, region ids) as the app is built."""
    done = subprocess.run(
        [sys.executable, "-c", "from backend import create_app; create_app()"],
        env=_child_env(**{var: value}),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert f"SettingError: {var}" in done.stderr or f"SettingError: unknown {var}" in done.stderr


def test_a_public_report_priority_that_is_no_priority_stops_the_start():
    """Every customer report opens its ticket with ``PUBLIC_REPORT_PRIORITY``: a value that is
    no priority must stop the start, not refuse every report afterwards."""
    var = "FIELDOPS_PUBLIC_REPORT_PRIORITY"
    done = subprocess.run(
        [sys.executable, "-c", "from backend import create_app; create_app()"],
        env=_child_env(**{var: "P9"}),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert f"SettingError: {var}='P9' is not valid: one of P1, P2, P3, P4" in done.stderr
