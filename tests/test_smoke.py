import pytest

from backend.workorders.operations import assign_ticket, transition


def test_ticket_lifecycle_core(make_user, make_region, make_ticket, session, no_completion_rules):
    region = make_region()
    dispatcher = make_user("dispatcher")
    engineer = make_user("engineer")
    ticket = make_ticket(priority="P1")
    assert ticket.region_ids == [region.id]
    assert ticket.number.startswith("T-")
    assign_ticket(ticket, engineer, actor=dispatcher)
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(ticket, engineer, action)
    assert ticket.status == "completed"
    assert ticket.responded_at is not None and ticket.resolved_at is not None


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    checks = client.get("/readyz").json["checks"]
    assert checks == {"database": "ok", "redis": "ok", "rate_limits": "shared"}


def test_no_cookie_session_is_opened_or_written(app, client):
    """Callers authenticate with tokens, so a request opens no Flask session (the default one
    built a signing serializer per request) and nothing can set a session cookie."""
    from flask import session
    from flask.sessions import NullSession

    res = client.get("/healthz", headers={"Cookie": "session=forged.value.here"})
    assert res.status_code == 200 and "Set-Cookie" not in res.headers
    with app.test_request_context("/healthz"):
        assert isinstance(session, NullSession)
        with pytest.raises(RuntimeError):
            session["user"] = "someone"
