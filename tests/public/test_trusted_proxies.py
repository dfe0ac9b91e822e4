"""Per-IP limits behind a reverse proxy: ``X-Forwarded-For`` counts only when the deployment
says how many proxies it trusts (``FIELDOPS_TRUSTED_PROXIES``); by default nobody can choose
their own address by sending the header."""

from __future__ import annotations

import pytest

from backend import trust_proxies
from backend.extensions import limiter

URL = "/api/v1/public/tracking/no-such-token"


@pytest.fixture()
def two_reads_per_minute(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_READ_LIMIT_PER_IP", "2 per minute")
    limiter.reset()


def _codes(client, addresses):
    return [client.get(URL, headers={"X-Forwarded-For": a}).status_code for a in addresses]


def test_the_header_is_ignored_by_default(client, two_reads_per_minute):
    # Three "different" clients that are really one: the third is refused.
    assert _codes(client, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [404, 404, 429]


def test_behind_one_trusted_proxy_each_customer_has_their_own_limit(
    app, client, monkeypatch, two_reads_per_minute
):
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    trust_proxies(app, "1")
    assert _codes(client, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [404, 404, 404]
    # One customer (the proxy appends the real peer; a forged first entry changes nothing).
    assert _codes(client, ["6.6.6.6, 198.51.100.9", "7.7.7.7, 198.51.100.9"]) == [404, 404]
    assert _codes(client, ["8.8.8.8, 198.51.100.9"]) == [429]


def test_a_bad_setting_fails_at_start_up(app):
    with pytest.raises(ValueError, match="whole number of proxies"):
        trust_proxies(app, "yes")
    with pytest.raises(ValueError, match="must not be negative"):
        trust_proxies(app, -1)
