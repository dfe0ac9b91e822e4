"""Who may read /metrics: loopback without a token; with FIELDOPS_METRICS_TOKEN, its bearer."""

from __future__ import annotations

import pytest


def test_loopback_reads_metrics_without_a_token(client):
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/plain")
    assert b"fieldops_http_request_duration_seconds" in resp.data


@pytest.mark.parametrize(
    ("remote", "headers"),
    [("10.1.2.3", {}), ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}), ("::ffff:8.8.8.8", {})],
)
def test_others_are_refused_without_a_token(client, remote, headers):
    resp = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert resp.status_code == 403
    assert "FIELDOPS_METRICS_TOKEN" in resp.get_json()["message"]


def test_with_a_token_configured_only_its_bearer_reads(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    remote = {"REMOTE_ADDR": "10.9.8.7"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 401  # a configured token applies to everybody
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"}, environ_base=remote)
    assert wrong.status_code == 403 and wrong.is_json
    ok = client.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}, environ_base=remote
    )
    assert ok.status_code == 200 and b"fieldops_scrape_source_up" in ok.data
