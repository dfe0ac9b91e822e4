"""Public QR intake and tracking over HTTP: exact key sets, limits, replays, ratings."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.db import db
from backend.public.models import PublicReport
from backend.workorders.models import Ticket, TicketEvent
from backend.workorders.operations import assign_ticket, transition

REPORT = {"description": "Chiller makes a loud noise", "contact_name": "Ada Lovelace"}


@pytest.fixture()
def asset(make_region, make_asset):
    make_region()
    return make_asset()


def _report(client, asset, **body):
    return client.post(f"/api/v1/public/assets/{asset.qr_token}/reports", json={**REPORT, **body})


def _ticket_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_asset_lookup_reveals_only_names(client, asset):
    res = client.get(f"/api/v1/public/assets/{asset.qr_token}")
    assert res.status_code == 200
    assert res.json == {"asset_name": "Chiller 3", "site_name": "Head office"}


def test_unknown_tokens_are_404(client):
    assert client.get("/api/v1/public/assets/nope").status_code == 404
    res = client.post("/api/v1/public/assets/nope/reports", json=REPORT)
    assert res.status_code == 404 and res.json["code"] == 404
    assert client.get("/api/v1/public/tracking/nope").status_code == 404
    page = client.get("/r/nope")
    assert page.status_code == 404 and b"could not find this code" in page.data
    assert client.get("/t/nope").status_code == 404


def test_report_creates_routed_public_ticket_with_sla(client, app, asset):
    res = _report(client, asset, contact_phone="+49 30 1234567", contact_email="ada@example.com")
    assert res.status_code == 201, res.json
    assert set(res.json) == {"ticket_number", "tracking_token", "tracking_url"}
    token = res.json["tracking_token"]
    assert len(token) >= 22 and res.json["tracking_url"] == f"http://fieldops.test/t/{token}"
    ticket = db.session.scalars(select(Ticket).where(Ticket.tracking_token == token)).one()
    assert ticket.number == res.json["ticket_number"]
    assert (ticket.priority, ticket.source, ticket.status) == ("P3", "public", "new")
    assert ticket.asset_id == asset.id and ticket.site_id == asset.site_id
    assert ticket.region_ids and ticket.contact_phone == "+49 30 1234567"
    respond_h, resolve_h = app.config["SLA_POLICY"]["P3"]
    assert (ticket.resolve_by - ticket.created_at).total_seconds() == resolve_h * 3600
    assert (ticket.respond_by - ticket.created_at).total_seconds() == respond_h * 3600


def test_tracking_reveals_only_contract_fields(client, asset, make_user):
    token = _report(client, asset).json["tracking_token"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.tracking_token == token)).one()
    assign_ticket(ticket, make_user("engineer", name="Secret Engineer"), actor=None)
    db.session.commit()
    res = client.get(f"/api/v1/public/tracking/{token}")
    assert res.status_code == 200
    assert set(res.json) == {
        "ticket_number",
        "status",
        "updated_at",
        "eta",
        "failed_checks",
        "report_url",
        "can_rate",
        "rated",
        "window_start",
        "window_end",
        "can_book",
    }
    assert res.json["status"] == "assigned"
    assert res.json["report_url"] is None and res.json["can_rate"] is False
    assert "Secret" not in res.get_data(as_text=True)
    page = client.get(f"/t/{token}")
    assert page.status_code == 200 and b"assigned" in page.data
    assert b"Secret" not in page.data and b"Ada" not in page.data


def test_replay_same_client_id_returns_same_ticket(client, asset):
    rid = str(uuid.uuid4())
    first = _report(client, asset, client_report_id=rid)
    again = _report(client, asset, client_report_id=rid, description="edited text")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert _ticket_count() == 1


def test_replay_same_content_within_window_returns_same_ticket(client, asset):
    first = _report(client, asset)
    # Re-posted form: whitespace/case differences do not make it a new report.
    again = _report(client, asset, description="  chiller makes a LOUD  noise ")
    other = _report(client, asset, description="Door is broken")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json["ticket_number"] == first.json["ticket_number"]
    assert other.json["ticket_number"] != first.json["ticket_number"]
    assert db.session.scalar(select(func.count()).select_from(PublicReport)) == 2


def test_replay_by_client_id_wins_over_a_newer_report_with_the_same_content(client, asset):
    """The replay of report X whose text was edited into the text of a later report Y answers
    X's ticket: the client's id names the report; the content match is only the fallback."""
    x_id = str(uuid.uuid4())
    x = _report(client, asset, client_report_id=x_id)
    y = _report(client, asset, client_report_id=str(uuid.uuid4()), description="Door is broken")
    x_again = _report(client, asset, client_report_id=x_id, description="Door is broken")
    assert (x.status_code, y.status_code, x_again.status_code) == (201, 201, 200)
    assert x_again.json["ticket_number"] == x.json["ticket_number"] != y.json["ticket_number"]


def test_replay_outside_window_opens_new_ticket(client, app, asset):
    app.config["PUBLIC_REPORT_DEDUPE_S"] = 0
    try:
        assert _report(client, asset).status_code == 201
        assert _report(client, asset).status_code == 201
    finally:
        app.config.pop("PUBLIC_REPORT_DEDUPE_S")
    assert _ticket_count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"contact_name": "n" * 201}, "contact_name"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_phone": "call me maybe"}, "contact_phone"),
        ({"client_report_id": "a b"}, "client_report_id"),
        ({"priority": "P1"}, "priority"),
        ({"description": "stuck\x00"}, "description"),
        ({"contact_name": "Ada\x07"}, "contact_name"),
        ({"contact_email": "a\x00@example.com"}, "contact_email"),
        ({"description": 5}, "description"),
    ],
)
def test_bad_report_fields_are_422(client, asset, body, field):
    res = _report(client, asset, **body)
    assert res.status_code == 422
    assert field in res.json["errors"]["json"]
    assert _ticket_count() == 0


def test_missing_required_fields_are_422(client, asset):
    res = client.post(f"/api/v1/public/assets/{asset.qr_token}/reports", json={})
    assert res.status_code == 422
    assert set(res.json["errors"]["json"]) == {"description", "contact_name"}


def test_malformed_bodies_are_4xx(client, asset):
    url = f"/api/v1/public/assets/{asset.qr_token}/reports"
    assert client.post(url, data="{bad", content_type="application/json").status_code == 400
    assert client.post(url, json=[1, 2]).status_code == 422
    assert client.post(url, data="x", content_type="text/plain").status_code == 422
    form = client.post(f"/r/{asset.qr_token}", data={"description": "a\x00", "contact_name": "x"})
    assert form.status_code == 422 and b"control characters" in form.data
    # over MAX_URL_BYTES (4096): the JSON 414 of any over-long URL, before routing
    long = client.get("/api/v1/public/assets/" + "x" * 5000)
    assert long.status_code == 414 and long.get_json()["kind"] == "uri_too_long"
    assert client.get("/api/v1/public/assets/" + "x" * 3000).status_code == 404
    assert _ticket_count() == 0


def test_oversized_body_is_413(client, asset):
    res = _report(client, asset, description="x" * 20_000)
    assert res.status_code == 413
    assert res.json["code"] == 413
    assert _ticket_count() == 0


def test_report_rate_limit_per_ip_with_retry_after(client, app, asset):
    app.config["PUBLIC_REPORT_LIMIT_PER_IP"] = "3 per hour"
    try:
        codes = [_report(client, asset, description=f"fault {i}").status_code for i in range(3)]
        res = _report(client, asset, description="one too many")
    finally:
        app.config["PUBLIC_REPORT_LIMIT_PER_IP"] = "10 per hour"
    assert codes == [201, 201, 201]
    assert res.status_code == 429
    assert 0 < int(res.headers["Retry-After"]) <= 3600
    assert res.json["code"] == 429
    assert _ticket_count() == 3


def test_report_rate_limit_per_qr_token_across_ips(client, app, asset, make_asset):
    app.config["PUBLIC_REPORT_LIMIT_PER_TOKEN"] = "2 per hour"
    try:
        codes = [
            client.post(
                f"/api/v1/public/assets/{asset.qr_token}/reports",
                json={**REPORT, "description": f"fault {i}"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code
            for i in range(3)
        ]
        # Another label is unaffected.
        other = _report(client, make_asset(name="Boiler"))
    finally:
        app.config["PUBLIC_REPORT_LIMIT_PER_TOKEN"] = "20 per hour"
    assert codes == [201, 201, 429]
    assert other.status_code == 201


def test_read_rate_limit(client, app, asset):
    app.config["PUBLIC_READ_LIMIT_PER_IP"] = "2 per minute"
    try:
        url = f"/api/v1/public/assets/{asset.qr_token}"
        codes = [client.get(url).status_code for _ in range(3)]
        page = client.get(f"/r/{asset.qr_token}")
    finally:
        app.config["PUBLIC_READ_LIMIT_PER_IP"] = "120 per minute"
    assert codes == [200, 200, 429]
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert b"Too many requests" in page.data


def test_html_and_sql_stored_verbatim_and_escaped(client, asset):
    nasty = "<script>alert('x')</script> '; DROP TABLE tickets; --"
    res = _report(client, asset, description=nasty, contact_name="<b>Bob</b>")
    assert res.status_code == 201
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.description == nasty and ticket.contact_name == "<b>Bob</b>"
    # The form re-rendered with an error shows the submitted text escaped.
    page = client.post(
        f"/r/{asset.qr_token}",
        data={"description": nasty, "contact_name": "<b>Bob</b>", "contact_email": "bad"},
    )
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html


def test_rating_only_after_completion_and_once(client, asset, make_user, no_completion_rules):
    token = _report(client, asset).json["tracking_token"]
    url = f"/api/v1/public/tracking/{token}/rating"
    early = client.post(url, json={"score": 5})
    assert early.status_code == 409 and "completed" in early.json["message"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.tracking_token == token)).one()
    engineer = make_user("engineer")
    assign_ticket(ticket, engineer, actor=None)
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(ticket, engineer, action)
    db.session.commit()
    assert client.post(url, json={"score": 6}).status_code == 422
    assert client.post(url, json={"score": "5"}).status_code == 422
    assert client.post(url, json={"score": 5, "comment": "\x00"}).status_code == 422
    res = client.post(url, json={"score": 4, "comment": "quick and tidy"})
    assert res.status_code == 201
    assert set(res.json) == {"ticket_number", "score", "rated_at"}
    again = client.post(url, json={"score": 1})
    assert again.status_code == 409 and "already" in again.json["message"]
    db.session.refresh(ticket)
    assert (ticket.rating, ticket.rating_comment) == (4, "quick and tidy")
    events = db.session.scalars(
        select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert "rate" in events


def test_an_answer_within_the_limits_carries_no_retry_after(client, asset):
    """Retry-After means "not now" (429, 503): on a 200 it would tell a client to wait. Only
    a refusal asks the limit's storage when its window ends (one Redis call, not two a read)."""
    res = client.get(f"/api/v1/public/assets/{asset.qr_token}")
    assert res.status_code == 200
    assert "Retry-After" not in res.headers
    assert not [k for k, _ in res.headers if k.lower().startswith("x-ratelimit")]
