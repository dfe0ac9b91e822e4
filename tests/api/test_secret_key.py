"""The app refuses to start with the dev ``SECRET_KEY`` (or a short one) outside development
and tests: a forgotten key must stop the deploy, not sign every token with a public string."""

from __future__ import annotations

import pytest

from backend import create_app
from backend.config import DEV_SECRET_KEY, Config, InsecureConfig, check_secret_key

STRONG = "s" * 48


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "short-key", ""])
def test_create_app_refuses_a_weak_key_in_production(key):
    cfg = Config(SECRET_KEY=key, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(InsecureConfig, match="SECRET_KEY"):
        create_app(cfg)


def test_from_env_without_a_key_is_refused():
    cfg = Config.from_env({"DATABASE_URL": "postgresql://x@127.0.0.1:1/none"})
    with pytest.raises(InsecureConfig, match="SECRET_KEY"):
        check_secret_key(cfg.to_flask())


def test_development_and_tests_may_use_the_dev_key():
    dev = Config.from_env({"FIELDOPS_ENV": "development"})
    assert dev.SECRET_KEY == DEV_SECRET_KEY
    check_secret_key(dev.to_flask())  # no error
    check_secret_key(Config(TESTING=True).to_flask())


def test_a_long_random_key_is_accepted_in_production():
    check_secret_key(Config.from_env({"SECRET_KEY": STRONG}).to_flask())


def test_cli_refuses_with_a_clear_message_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELDOPS_ENV"}}
    env["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    run = subprocess.run(
        [sys.executable, "-m", "backend.cli", "seed-demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "SECRET_KEY" in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
