"""Push: device registration, the outbox written with the assignment, and the real
firebase-admin sender against the local FCM/OAuth stub (success, UNREGISTERED, 5xx retry)."""

from __future__ import annotations

import time

import pytest
from rq import Queue
from rq.scheduler import RQScheduler
from sqlalchemy import func, select

from backend.db import db
from backend.notify.models import DeviceToken, Notification, PushMessage
from backend.workorders.operations import assign_ticket
from tests.notify.conftest import ACCESS_TOKEN

DEVICES = "/api/v1/me/devices"


@pytest.fixture()
def crew(make_user, make_ticket, make_region):
    make_region()
    return {
        "engineer": make_user("engineer"),
        "dispatcher": make_user("dispatcher"),
        "ticket": make_ticket(priority="P1", title="Chiller down"),
    }


def _register(client, auth, user, token: str, platform: str = "android"):
    res = client.post(DEVICES, json={"token": token, "platform": platform}, headers=auth(user))
    assert res.status_code == 201, res.json
    return res.json


def _assign(crew) -> None:
    """Assign in one committed transaction, as a request would."""
    ticket = db.session.merge(crew["ticket"])
    assign_ticket(
        ticket, db.session.merge(crew["engineer"]), actor=db.session.merge(crew["dispatcher"])
    )
    db.session.commit()


def _messages() -> list[PushMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(PushMessage).order_by(PushMessage.created_at)))


def _queued(redis_client) -> int:
    return Queue("default", connection=redis_client).count


def test_register_device_validates_and_moves_tokens(client, auth, make_user):
    a, b = make_user("engineer"), make_user("engineer")
    first = _register(client, auth, a, "tok-1")
    bad = client.post(DEVICES, json={"token": "x", "platform": "pager"}, headers=auth(a))
    assert bad.status_code == 422 and "platform" in bad.json["message"]
    assert client.post(DEVICES, json={"platform": "ios"}, headers=auth(a)).status_code == 422
    assert client.post(DEVICES, json={"token": "x", "platform": "ios"}).status_code == 401
    again = _register(client, auth, b, "tok-1", "ios")  # same install, new account
    assert again["id"] == first["id"] and again["platform"] == "ios"
    device = db.session.scalars(select(DeviceToken)).one()
    assert device.user_id == b.id
    gone = client.delete(f"{DEVICES}/{first['id']}", headers=auth(a))
    assert gone.status_code == 404  # not a's device any more
    assert client.delete(f"{DEVICES}/{first['id']}", headers=auth(b)).status_code == 204


def test_without_credentials_pushes_are_recorded_unsent(client, auth, crew, redis_client):
    _register(client, auth, crew["engineer"], "tok-unsent")
    _assign(crew)
    (msg,) = _messages()
    assert msg.status == "unsent" and msg.token == "tok-unsent"
    assert msg.title.startswith("New job T-") and msg.data["ticket_id"] == str(crew["ticket"].id)
    assert _queued(redis_client) == 0
    listed = client.get("/api/v1/notifications", headers=auth(crew["engineer"]))
    assert listed.status_code == 200 and [n["kind"] for n in listed.json] == ["ticket_assigned"]
    other = client.get("/api/v1/notifications", headers=auth(crew["dispatcher"]))
    assert other.json == []


def test_outbox_rolls_back_with_the_assignment(client, auth, crew, fcm, redis_client):
    _register(client, auth, crew["engineer"], "tok-rollback")
    ticket = db.session.merge(crew["ticket"])
    assign_ticket(
        ticket, db.session.merge(crew["engineer"]), actor=db.session.merge(crew["dispatcher"])
    )
    assert db.session.scalar(select(func.count()).select_from(PushMessage)) == 1
    db.session.rollback()
    assert _messages() == [] and _queued(redis_client) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_sent_through_firebase_admin(client, auth, crew, fcm, run_jobs, redis_client):
    _register(client, auth, crew["engineer"], "tok-ok")
    _register(client, auth, crew["engineer"], "tok-ok-2", "web")
    _assign(crew)
    assert {m.status for m in _messages()} == {"pending"}  # outbox written with the assignment
    assert _queued(redis_client) == 2 and fcm.sends == []  # nothing sent before the worker runs
    run_jobs()
    msgs = _messages()
    assert {m.status for m in msgs} == {"sent"}
    assert all(m.fcm_message_id.startswith("projects/fieldops-test/messages/") for m in msgs)
    assert all(m.attempts == 1 and m.sent_at for m in msgs)
    assert sorted(s["token"] for s in fcm.sends) == ["tok-ok", "tok-ok-2"]
    sent = fcm.sends[0]
    assert sent["auth"] == f"Bearer {ACCESS_TOKEN}" and fcm.token_requests >= 1
    assert sent["message"]["notification"]["body"] == "Chiller down"
    assert sent["message"]["data"]["kind"] == "ticket_assigned"
    run_jobs()  # nothing left: no duplicates
    assert len(fcm.sends) == 2


def test_unregistered_token_is_removed(client, auth, crew, fcm, run_jobs):
    _register(client, auth, crew["engineer"], "tok-dead")
    fcm.fail("tok-dead", 404, "UNREGISTERED")
    _assign(crew)
    run_jobs()
    (msg,) = _messages()
    assert msg.status == "failed" and "UNREGISTERED" in msg.last_error
    assert msg.device_id is None  # the message stays, its device is gone
    assert db.session.scalar(select(func.count()).select_from(DeviceToken)) == 0
    assert len(fcm.sends) == 1


def test_server_error_is_retried_with_backoff_and_sent_once(
    client, auth, crew, fcm, run_jobs, redis_client
):
    _register(client, auth, crew["engineer"], "tok-flaky")
    fcm.fail("tok-flaky", 503)
    _assign(crew)
    run_jobs()
    (msg,) = _messages()
    assert msg.status == "pending" and len(fcm.sends) == 1  # no tight retry loop inside the call
    assert _queued(redis_client) == 0  # scheduled for later: backoff, not an immediate retry
    time.sleep(1.2)
    scheduler = RQScheduler(["default"], connection=redis_client)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    run_jobs()
    (msg,) = _messages()
    assert msg.status == "sent" and msg.attempts == 2
    assert [s["status"] for s in fcm.sends] == [503, 200]
    assert len(fcm.delivered("tok-flaky")) == 1


def test_gives_up_after_the_last_retry(client, auth, crew, fcm, run_jobs, redis_client, app):
    app.config["PUSH_RETRY_INTERVALS"] = "0"
    _register(client, auth, crew["engineer"], "tok-down")
    fcm.fail("tok-down", 500, times=5)
    _assign(crew)
    run_jobs()
    (msg,) = _messages()
    assert msg.status == "failed" and msg.attempts == 2 and "InternalError" in msg.last_error
    assert [s["status"] for s in fcm.sends] == [500, 500]


def test_role_notifications_fan_out_to_every_device_of_the_role(client, auth, make_user, fcm):
    from backend.notify.operations import notify

    d1, d2 = make_user("dispatcher"), make_user("dispatcher")
    eng = make_user("engineer")
    _register(client, auth, d1, "tok-d1")
    _register(client, auth, d2, "tok-d2", "web")
    _register(client, auth, eng, "tok-eng")
    notify(kind="no_candidate", title="Nobody can take T-1", role="dispatcher")
    db.session.commit()
    assert sorted(m.token for m in _messages()) == ["tok-d1", "tok-d2"]
