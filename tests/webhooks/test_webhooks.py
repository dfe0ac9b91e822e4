"""Webhooks against a real receiver (tests/webhooks/conftest.py), real PostgreSQL, Redis and
an rq worker (``run_jobs``): outbox in the event's transaction, signatures, failures on
purpose, a receiver that goes away and comes back, SSRF refusals, redelivery, auto-disable."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from rq.scheduler import RQScheduler
from sqlalchemy import func, select
from standardwebhooks import Webhook

from backend.db import db, utcnow
from backend.jobs import QUEUES
from backend.jobs.models import JobOutbox
from backend.notify.models import Notification
from backend.webhooks.delivery import TargetRefused, forbidden, resolve
from backend.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from backend.workorders.operations import create_ticket

BASE = "/api/v1/webhooks"


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def _attempts(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(
        db.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.number)
        )
    )


def _outbox_rows(func_name: str = "backend.webhooks.tasks.deliver") -> int:
    return db.session.scalar(
        select(func.count()).select_from(JobOutbox).where(JobOutbox.func == func_name)
    )


def _promote_due(redis_client: Any, wait_s: float = 1.6) -> None:
    """Let the backoff pass, then move due scheduled jobs to their queue (rq's scheduler)."""
    time.sleep(wait_s)
    scheduler = RQScheduler(list(QUEUES), connection=redis_client)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()


def _new_ticket(api: Any, user: Any, title: str = "Chiller down") -> dict[str, Any]:
    res = api(
        "post",
        "/api/v1/tickets",
        user,
        json={
            "title": title,
            "priority": "P2",
            "location": {"type": "Point", "coordinates": [13.4, 52.52]},
        },
    )
    assert res.status_code == 201, res.json
    return dict(res.json)


# -- API: create, read, auth, validation ------------------------------------------------------


def test_create_shows_a_whsec_secret_once_and_the_openapi_lists_every_operation(
    api, admin, receiver
):
    res = api(
        "post",
        BASE,
        admin,
        json={"url": receiver.url, "event_types": ["ticket.created", "ticket.rated"]},
    )
    assert res.status_code == 201, res.json
    secret = res.json["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    Webhook(secret)  # the package accepts it
    sub_id = res.json["id"]
    again = api("get", f"{BASE}/{sub_id}", admin)
    assert again.status_code == 200 and "secret" not in again.json
    assert again.json["event_types"] == ["ticket.created", "ticket.rated"]
    listed = api("get", BASE, admin)
    assert [s["id"] for s in listed.json] == [sub_id] and "secret" not in listed.json[0]
    other = api("post", BASE, admin, json={"url": receiver.url, "event_types": ["plan.applied"]})
    assert other.json["secret"] != secret  # generated per subscription

    doc = api("get", "/api/v1/openapi.json").json
    ops = {
        f"{m.upper()} {p}"
        for p, item in doc["paths"].items()
        if p.startswith(BASE)
        for m in item
        if m in ("get", "post", "patch", "delete")
    }
    assert ops == {
        "GET /api/v1/webhooks",
        "POST /api/v1/webhooks",
        "GET /api/v1/webhooks/event-types",
        "GET /api/v1/webhooks/{subscription_id}",
        "PATCH /api/v1/webhooks/{subscription_id}",
        "DELETE /api/v1/webhooks/{subscription_id}",
        "GET /api/v1/webhooks/{subscription_id}/deliveries",
        "POST /api/v1/webhooks/{subscription_id}/redeliver-failed",
        "GET /api/v1/webhooks/deliveries/{delivery_id}/attempts",
        "POST /api/v1/webhooks/deliveries/{delivery_id}/redeliver",
    }
    created = doc["paths"][BASE]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"]["$ref"].endswith("/SubscriptionCreatedOut")


@pytest.mark.parametrize("role", [None, "dispatcher", "engineer"])
def test_only_admins_reach_webhooks(api, make_user, receiver, role):
    user = make_user(role) if role else None
    expected = 401 if role is None else 403
    some = uuid.uuid4()
    for method, path, body in [
        ("get", BASE, None),
        ("post", BASE, {"url": receiver.url, "event_types": ["ticket.created"]}),
        ("get", f"{BASE}/event-types", None),
        ("get", f"{BASE}/{some}", None),
        ("patch", f"{BASE}/{some}", {"active": False}),
        ("delete", f"{BASE}/{some}", None),
        ("get", f"{BASE}/{some}/deliveries", None),
        ("post", f"{BASE}/{some}/redeliver-failed", None),
        ("get", f"{BASE}/deliveries/{some}/attempts", None),
        ("post", f"{BASE}/deliveries/{some}/redeliver", None),
    ]:
        res = api(method, path, user, **({"json": body} if body is not None else {}))
        assert res.status_code == expected, (method, path, res.status_code)
    assert db.session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_types": ["ticket.created"]}, "url"),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["ticket.exploded"]}, "event_types"),
        ({"url": "http://127.0.0.1:9/x", "event_types": []}, "event_types"),
        ({"url": "ftp://127.0.0.1/x", "event_types": ["ticket.created"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1/x", "event_types": ["ticket.created"]}, "url"),
        ({"url": "not a url", "event_types": ["ticket.created"]}, "url"),
        (
            {"url": "http://127.0.0.1/x", "event_types": ["ticket.created"], "active": "maybe"},
            "active",
        ),
    ],
)
def test_invalid_subscriptions_are_422_naming_the_field(api, admin, receiver, body, field):
    res = api("post", BASE, admin, json=body)
    assert res.status_code == 422, res.json
    assert field in res.json["errors"] or field in str(res.json["errors"]), res.json


def test_patch_and_delete(api, admin, subscribe):
    sub = subscribe("ticket.created")
    res = api("patch", f"{BASE}/{sub['id']}", admin, json={"active": False, "description": "x"})
    assert res.status_code == 200 and res.json["active"] is False
    assert res.json["description"] == "x"
    bad = api("patch", f"{BASE}/{sub['id']}", admin, json={"event_types": ["nope"]})
    assert bad.status_code == 422
    private = api("patch", f"{BASE}/{sub['id']}", admin, json={"url": "http://10.1.1.1/x"})
    assert private.status_code == 422 and "10.1.1.1" in private.json["errors"]["url"][0]
    assert api("get", f"{BASE}/{sub['id']}", admin).json["url"] == sub["url"]
    assert api("delete", f"{BASE}/{sub['id']}", admin).status_code == 204
    assert api("get", f"{BASE}/{sub['id']}", admin).status_code == 404
    assert api("delete", f"{BASE}/{sub['id']}", admin).status_code == 404


# -- SSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.5", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not global"),
    ],
)
def test_non_public_addresses_are_named(address, why):
    import ipaddress

    assert forbidden(ipaddress.ip_address(address)) == why


def test_public_address_passes():
    import ipaddress

    assert forbidden(ipaddress.ip_address("93.184.216.34")) is None
    assert forbidden(ipaddress.ip_address("2606:4700::1111")) is None


def test_loopback_and_private_targets_are_refused_unless_allowed(api, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", "")
    for url in (
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://10.0.0.7/x",
        "https://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/",
    ):
        res = api("post", BASE, admin, json={"url": url, "event_types": ["ticket.created"]})
        assert res.status_code == 422, (url, res.json)
        assert "FIELDOPS_WEBHOOK_ALLOWED_NETWORKS" in res.json["errors"]["url"][0]
    with pytest.raises(TargetRefused, match="does not resolve"):
        resolve("http://no-such-host.invalid/x", ())
    # Allowed by the setting: only the networks it names.
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    ok = api(
        "post", BASE, admin, json={"url": "http://127.0.0.1:9/x", "event_types": ["plan.applied"]}
    )
    assert ok.status_code == 201
    still = api(
        "post", BASE, admin, json={"url": "http://10.0.0.7/x", "event_types": ["plan.applied"]}
    )
    assert still.status_code == 422


def test_delivery_time_check_refuses_a_target_no_longer_allowed(
    api, admin, subscribe, receiver, run_jobs, app, monkeypatch
):
    """The check runs again before every attempt (a setting changed, or DNS now answers
    another address): nothing reaches the target."""
    subscribe("ticket.created")
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", "")
    _new_ticket(api, admin)
    run_jobs()
    (delivery,) = _deliveries()
    (attempt,) = _attempts(delivery)
    assert not attempt.ok and attempt.error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert receiver.received == []
    assert delivery.status == "pending"  # retried later, like any failure


# -- delivery ---------------------------------------------------------------------------------


def test_event_is_delivered_signed_from_the_outbox_after_commit(
    api, admin, subscribe, receiver, run_jobs
):
    sub = subscribe("ticket.created", "ticket.assigned")
    ticket = _new_ticket(api, admin)
    # Written with the ticket, in its transaction: the delivery and its job outbox row.
    (delivery,) = _deliveries()
    assert delivery.status == "pending" and delivery.event_type == "ticket.created"
    assert _outbox_rows() == 1
    assert receiver.received == []  # nothing sent before a worker runs the job
    run_jobs()
    (got,) = receiver.received
    assert got["verified"], got["error"]
    assert got["path"] == "/hooks?src=fieldops"
    assert got["headers"]["webhook-id"] == f"msg_{delivery.id.hex}"
    assert got["headers"]["content-type"] == "application/json"
    payload = got["payload"]
    assert payload["type"] == "ticket.created"
    assert payload["data"]["ticket"]["number"] == ticket["number"]
    assert payload["data"]["ticket"]["id"] == ticket["id"]
    assert payload["data"]["event"]["action"] == "create"
    assert payload["timestamp"]
    (delivery,) = _deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.last_latency_ms is not None
    assert delivery.last_response == '{"received": true}'
    assert _outbox_rows() == 0
    # The log through the API.
    log = api("get", f"{BASE}/{sub['id']}/deliveries", admin)
    assert log.status_code == 200 and log.headers["X-Pagination"]
    assert log.json[0]["status"] == "succeeded"
    assert log.json[0]["webhook_id"] == f"msg_{delivery.id.hex}"
    attempts = api("get", f"{BASE}/deliveries/{delivery.id}/attempts", admin).json
    assert [(a["number"], a["ok"], a["status_code"]) for a in attempts] == [(1, True, 200)]
    run_jobs()
    assert len(receiver.received) == 1  # exactly once


def test_a_rolled_back_write_delivers_nothing(session, subscribe, receiver, run_jobs, app):
    subscribe("ticket.created")
    before = _outbox_rows()
    nested = session.begin_nested()
    create_ticket(
        actor=None,
        title="never happened",
        priority="P3",
        location=__import__("backend.geo", fromlist=["Location"]).Location(13.4, 52.5),
        sla_policy=app.config["SLA_POLICY"],
    )
    session.flush()
    assert len(_deliveries()) == 1 and _outbox_rows() == before + 1  # same transaction
    nested.rollback()
    session.commit()
    assert _deliveries() == [] and _outbox_rows() == before
    run_jobs()
    assert receiver.received == []


def test_inactive_subscriptions_and_other_types_get_nothing(api, admin, subscribe, receiver):
    sub = subscribe("ticket.created")
    subscribe("plan.applied")
    api("patch", f"{BASE}/{sub['id']}", admin, json={"active": False})
    _new_ticket(api, admin)
    assert _deliveries() == []


def test_failure_is_retried_with_backoff_and_the_log_keeps_every_attempt(
    api, admin, subscribe, receiver, run_jobs, redis_client
):
    subscribe("ticket.created")
    receiver.script.append(("status", 500))
    _new_ticket(api, admin)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > utcnow() - timedelta(seconds=1)
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    # The excerpt is capped (the answer was 5 KB) and storable (its NUL replaced).
    assert len(delivery.last_response.encode()) <= 1024 + 3 and "\x00" not in delivery.last_response
    run_jobs()
    assert len(receiver.received) == 1  # not yet: the retry waits for its backoff
    _promote_due(redis_client)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert second["verified"]
    assert [(a.ok, a.status_code) for a in _attempts(delivery)] == [(False, 500), (True, 200)]
    sub = db.session.get(WebhookSubscription, delivery.subscription_id)
    assert sub.consecutive_failures == 0 and sub.last_success_at is not None


def test_a_slow_receiver_times_out(api, admin, subscribe, receiver, run_jobs):
    subscribe("ticket.created")
    receiver.script.append(("sleep", 5))  # read timeout is 1 s
    _new_ticket(api, admin)
    started = time.monotonic()
    run_jobs()
    assert time.monotonic() - started < 4
    (delivery,) = _deliveries()
    (attempt,) = _attempts(delivery)
    assert not attempt.ok and attempt.error == "timed out" and attempt.status_code is None
    assert 900 <= attempt.latency_ms < 2400
    assert delivery.status == "pending"


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(
    api, admin, subscribe, receiver, run_jobs
):
    """Each byte arrives within the read timeout (1 s), the whole answer would take 15 s:
    the attempt ends at connect + read timeout (2 s)."""
    subscribe("ticket.created")
    receiver.script.append(("drip", 0.3))
    _new_ticket(api, admin)
    started = time.monotonic()
    run_jobs()
    assert time.monotonic() - started < 4
    (delivery,) = _deliveries()
    (attempt,) = _attempts(delivery)
    assert not attempt.ok and attempt.error == "timed out"
    assert 1900 <= attempt.latency_ms < 3500


def test_a_redirect_is_not_followed(api, admin, subscribe, receiver, run_jobs):
    subscribe("ticket.created")
    receiver.script.append(("redirect", "/moved"))
    _new_ticket(api, admin)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.last_status_code == 302 and delivery.status == "pending"
    assert "not followed" in delivery.last_error and "/moved" in delivery.last_error
    assert receiver.redirect_hits == 0


def test_receiver_goes_away_and_comes_back(api, admin, subscribe, receiver, run_jobs, redis_client):
    subscribe("ticket.created")
    receiver.stop()
    _new_ticket(api, admin)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "ConnectionRefused" in delivery.last_error
    _promote_due(redis_client)
    run_jobs()  # still away: another failed attempt, another retry scheduled
    (delivery,) = _deliveries()
    assert delivery.attempts == 2 and delivery.status == "pending"
    receiver.start()
    _promote_due(redis_client)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    (got,) = receiver.received
    assert got["verified"] and got["payload"]["type"] == "ticket.created"


def test_retries_stop_at_the_window_then_redeliver_one_and_all(
    api, admin, subscribe, receiver, run_jobs, app, monkeypatch
):
    sub = subscribe("ticket.created")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_WINDOW_S", 0)  # no retry at all
    receiver.script.extend([("status", 503)] * 3)
    for n in range(3):
        _new_ticket(api, admin, title=f"T{n}")
    run_jobs()
    deliveries = _deliveries()
    assert [d.status for d in deliveries] == ["failed"] * 3
    assert all(d.finished_at is not None for d in deliveries)
    # Redeliver one.
    res = api("post", f"{BASE}/deliveries/{deliveries[0].id}/redeliver", admin)
    assert res.status_code == 202 and res.json["status"] == "pending"
    again = api("post", f"{BASE}/deliveries/{deliveries[0].id}/redeliver", admin)
    assert again.status_code == 409  # still pending
    run_jobs()
    assert [d.status for d in _deliveries()] == ["succeeded", "failed", "failed"]
    # Redeliver every failed one.
    res = api("post", f"{BASE}/{sub['id']}/redeliver-failed", admin)
    assert res.status_code == 202 and res.json == {"queued": 2}
    run_jobs()
    assert [d.status for d in _deliveries()] == ["succeeded"] * 3
    assert all(r["verified"] for r in receiver.received) and len(receiver.received) == 6
    filtered = api("get", f"{BASE}/{sub['id']}/deliveries?status=failed", admin)
    assert filtered.status_code == 200 and filtered.json == []
    assert api("post", f"{BASE}/deliveries/{uuid.uuid4()}/redeliver", admin).status_code == 404


def test_a_redelivery_makes_the_scheduled_retry_a_no_op(
    api, admin, subscribe, receiver, run_jobs, redis_client, app, monkeypatch
):
    subscribe("ticket.created")
    receiver.script.append(("status", 500))
    _new_ticket(api, admin)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "pending"
    # Turned into failed by hand would be faking; instead make the retry outdated the real
    # way: the window ends, the next failure gives up, and a redelivery bumps the sequence.
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_WINDOW_S", 0)
    receiver.script.append(("status", 500))
    _promote_due(redis_client)
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "failed" and delivery.attempts == 2
    assert api("post", f"{BASE}/deliveries/{delivery.id}/redeliver", admin).status_code == 202
    run_jobs()
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert len(receiver.received) == 3


def test_sustained_failure_disables_the_subscription_and_tells_admins(
    api, admin, subscribe, receiver, run_jobs, app, monkeypatch
):
    sub = subscribe("ticket.created")
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_AFTER_S", 0)
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_MIN_FAILURES", 2)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_WINDOW_S", 0)
    receiver.script.extend([("status", 500)] * 5)
    _new_ticket(api, admin, title="one")
    run_jobs()
    assert db.session.get(WebhookSubscription, uuid.UUID(sub["id"])).active  # 1 failure
    _new_ticket(api, admin, title="two")
    run_jobs()
    db.session.expire_all()
    row = db.session.get(WebhookSubscription, uuid.UUID(sub["id"]))
    assert not row.active and row.disabled_at is not None
    assert "2 attempts in a row failed" in row.disabled_reason
    notes = list(
        db.session.scalars(select(Notification).where(Notification.kind == "webhook_disabled"))
    )
    assert len(notes) == 1 and notes[0].role == "admin"
    assert notes[0].data["subscription_id"] == sub["id"] and receiver.url in notes[0].body
    # Admins see it in their notifications.
    seen = api("get", "/api/v1/notifications", admin).json
    assert any(n["kind"] == "webhook_disabled" for n in seen)
    # Disabled: new events are not queued, redelivery is refused until it is on again.
    _new_ticket(api, admin, title="three")
    assert len(_deliveries()) == 2
    assert api("post", f"{BASE}/{sub['id']}/redeliver-failed", admin).status_code == 409
    on = api("patch", f"{BASE}/{sub['id']}", admin, json={"active": True})
    assert on.json["active"] and on.json["consecutive_failures"] == 0
    assert on.json["disabled_reason"] is None
    receiver.script.clear()
    assert api("post", f"{BASE}/{sub['id']}/redeliver-failed", admin).json == {"queued": 2}
    run_jobs()
    assert [d.status for d in _deliveries()] == ["succeeded", "succeeded"]


def test_an_attempt_for_a_disabled_subscription_is_not_sent(
    api, admin, subscribe, receiver, run_jobs
):
    sub = subscribe("ticket.created")
    _new_ticket(api, admin)
    api("patch", f"{BASE}/{sub['id']}", admin, json={"active": False})
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "failed" and delivery.last_error == "subscription disabled: not sent"
    assert receiver.received == []


def test_deleting_a_subscription_drops_its_pending_attempts(
    api, admin, subscribe, receiver, run_jobs
):
    sub = subscribe("ticket.created")
    _new_ticket(api, admin)
    assert api("delete", f"{BASE}/{sub['id']}", admin).status_code == 204
    run_jobs()
    assert receiver.received == [] and _deliveries() == []


def test_a_claim_left_by_a_dead_job_is_recovered_and_delivered(
    api, admin, subscribe, receiver, run_jobs, redis_client
):
    """A worker that died between the claim and the record leaves the delivery ``sending``;
    its rq retry finds the fresh claim and skips, and the periodic recovery queues it again
    once the claim is stale."""
    from sqlalchemy import update

    from backend.webhooks import tasks

    subscribe("ticket.created")
    _new_ticket(api, admin)
    redis_client.flushdb()  # the job is lost with its worker (the outbox row stays)
    (delivery,) = _deliveries()
    assert tasks._claim(delivery.id, delivery.job_seq) is not None  # the dead job's claim
    assert tasks.deliver(str(delivery.id), delivery.job_seq) == "skipped"  # its retry
    assert tasks.recover_stale_claims() == 0  # too fresh: it may still be sending
    db.session.commit()
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(claimed_at=utcnow() - tasks.CLAIM_STALE - timedelta(seconds=1))
    )
    db.session.commit()
    assert tasks.recover_stale_claims() == 1
    db.session.commit()
    run_jobs()
    (delivery,) = _deliveries()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert len(receiver.verified()) == 1
