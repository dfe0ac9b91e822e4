"""Outbound email against a real SMTP server (aiosmtpd): the customer's status emails in their
language (received, assigned with the arrival window, completed with the report link), staff
emails where push is not available, and the sender job's idempotence and retries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from backend.db import db
from backend.mail.models import OutboundEmail
from backend.mail.tasks import send_email
from backend.notify.models import DeviceToken
from backend.workorders.models import Ticket
from backend.workorders.operations import assign_ticket, transition

REPORTS = "/api/v1/public/assets/{}/reports"


def _report(client, asset, **extra):
    body = {
        "description": "Chiller makes a grinding noise",
        "contact_name": "Li Wei",
        "contact_email": "li.wei@customer.example",
        **extra,
    }
    res = client.post(REPORTS.format(asset.qr_token), json=body)
    assert res.status_code == 201, res.json
    seq = int(res.json["ticket_number"].removeprefix("T-"))
    return db.session.scalars(select(Ticket).where(Ticket.seq == seq)).one()


def _rows(kind: str | None = None) -> list[OutboundEmail]:
    db.session.expire_all()
    stmt = select(OutboundEmail).order_by(OutboundEmail.created_at)
    if kind:
        stmt = stmt.where(OutboundEmail.kind == kind)
    return list(db.session.scalars(stmt))


def _parts(msg):
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return plain.get_content(), html.get_content()


def test_received_email_in_the_customers_language_over_smtp(client, smtp, make_asset, run_jobs):
    asset = make_asset()
    ticket = _report(client, asset, contact_language="zh-CN")
    [row] = _rows()
    assert (row.kind, row.status, row.language) == ("received", "pending", "zh-CN")
    assert row.to_addr == "li.wei@customer.example"
    assert smtp.messages == []  # nothing is sent inside the request

    run_jobs()

    [msg] = smtp.parsed()
    assert smtp.messages[0][1] == ["li.wei@customer.example"]
    assert msg["Subject"] == f"[{ticket.number}] 我们已收到您的报修"
    assert b"=?utf-8?" in smtp.messages[0][2]  # the subject travelled RFC 2047-encoded
    assert msg["Message-ID"].strip() == row.message_id
    assert msg["From"].addresses[0].addr_spec == "service@fieldops.test"
    assert msg["References"].strip() == f"<fieldops.ticket.{ticket.id}@fieldops.test>"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Content-Language"] == "zh-CN" and msg["Auto-Submitted"] == "auto-generated"
    text, html = _parts(msg)
    tracking = f"http://fieldops.test/t/{ticket.tracking_token}"
    assert "Li Wei" in text and "您好" in text and tracking in text and ticket.number in text
    assert f'<a href="{tracking}">' in html
    assert _rows()[0].status == "sent"


def test_language_follows_the_browser_and_defaults_to_english(client, smtp, make_asset):
    asset = make_asset()
    res = client.post(
        REPORTS.format(asset.qr_token),
        json={"description": "Leak", "contact_name": "Wang", "contact_email": "w@c.example"},
        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
    )
    assert res.status_code == 201
    res = client.post(
        REPORTS.format(asset.qr_token),
        json={"description": "Other leak", "contact_name": "Ann", "contact_email": "a@c.example"},
    )
    assert res.status_code == 201
    assert [r.language for r in _rows()] == ["zh-CN", "en"]
    bad = client.post(
        REPORTS.format(asset.qr_token),
        json={"description": "x", "contact_name": "A", "contact_language": "klingon"},
    )
    assert bad.status_code == 422 and "contact_language" in str(bad.json)


def test_user_content_is_escaped_in_html(client, smtp, make_asset, run_jobs):
    asset = make_asset()
    _report(client, asset, contact_name='<img src=x onerror="alert(1)">')
    run_jobs()
    text, html = _parts(smtp.parsed()[0])
    assert '<img src=x onerror="alert(1)">' in text  # plain text is the name as typed
    assert "<img" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_assigned_with_window_and_completed_with_report_link(
    client, smtp, make_asset, make_user, run_jobs, no_completion_rules
):
    asset = make_asset()
    ticket = _report(client, asset)
    engineer, dispatcher = make_user("engineer"), make_user("dispatcher")
    ticket = db.session.get(Ticket, ticket.id)
    ticket.eta = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
    assign_ticket(ticket, engineer, actor=dispatcher)
    db.session.commit()
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(db.session.get(Ticket, ticket.id), db.session.merge(engineer), action)
        db.session.commit()
    run_jobs()

    customer = [r for r in _rows() if r.kind != "staff"]
    assert [r.kind for r in customer] == ["received", "assigned", "completed"]
    assert all(r.status == "sent" for r in _rows())
    by_subject = {m["Subject"]: m for m in smtp.parsed()}
    assigned = by_subject[f"[{ticket.number}] An engineer has been assigned"]
    text, _ = _parts(assigned)
    assert "between 2026-12-04 09:00 CST and 2026-12-04 11:00 CST" in text
    completed = by_subject[f"[{ticket.number}] The work is completed"]
    text, html = _parts(completed)
    report = f"http://fieldops.test/api/v1/public/tracking/{ticket.tracking_token}/report.pdf"
    assert report in text and f'<a href="{report}">' in html
    # Other staff events (accept, travel, ...) send the customer nothing.
    assert len(smtp.messages) == 3 + len(_rows("staff"))


def test_a_retried_job_does_not_send_twice(client, smtp, make_asset, app):
    _report(client, make_asset())
    [row] = _rows()
    assert send_email(str(row.id)) == "sent"
    assert send_email(str(row.id)) == "skipped"  # rq ran it again: the row says sent
    assert len(smtp.messages) == 1
    assert _rows()[0].attempts == 1


def test_transient_refusal_is_retried_and_permanent_is_final(client, smtp, make_asset, run_jobs):
    asset = make_asset()
    smtp.refuse("451 4.3.0 try again later")
    _report(client, asset)
    run_jobs()  # first attempt refused (4xx), rq retries at once (EMAIL_RETRY_INTERVALS=0,0)
    [row] = _rows()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1

    smtp.refuse("550 5.1.1 no such mailbox")
    _report(client, asset, contact_email="gone@customer.example", description="Second fault")
    run_jobs()
    failed = _rows()[1]
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in (failed.last_error or "")
    assert len(smtp.messages) == 1


def test_smtp_down_is_retried_then_failed(client, smtp, make_asset, run_jobs, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_PORT", _closed_port())
    _report(client, make_asset())
    run_jobs()  # three attempts (EMAIL_RETRY_INTERVALS=0,0), every one refused
    [row] = _rows()
    assert (row.status, row.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in (row.last_error or "")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_is_recorded_without_smtp(client, make_asset):
    _report(client, make_asset())
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_rolled_back_event_sends_nothing(smtp, make_asset, app, session):
    from backend.public.operations import submit_report
    from backend.public.settings import report_settings

    asset = make_asset()
    with db.session.begin_nested() as sp:
        submit_report(
            qr_token=asset.qr_token,
            description="x",
            contact_name="A",
            contact_email="a@c.example",
            **report_settings(),
        )
        assert len(_rows()) == 1
        sp.rollback()
    assert _rows() == []


def test_staff_email_where_push_is_not_available(
    client, smtp, make_user, make_ticket, run_jobs, app, monkeypatch
):
    ticket = make_ticket(title="Boiler <down>")
    engineer, dispatcher = make_user("engineer"), make_user("dispatcher")
    assign_ticket(db.session.merge(ticket), engineer, actor=dispatcher)
    db.session.commit()
    run_jobs()
    [row] = _rows("staff")  # push is not configured: the engineer is emailed instead
    assert row.user_id == engineer.id and row.to_addr == engineer.email
    [msg] = [m for m in smtp.parsed() if m["To"] == engineer.email]
    text, html = _parts(msg)
    assert ticket.number in msg["Subject"] and "no phone of yours is registered" in text
    assert "&lt;down&gt;" in html and "<down>" not in html

    # Push configured and a device registered: the push is enough, no email.
    monkeypatch.setitem(app.config, "FIREBASE_CREDENTIALS", "/nonexistent/service-account.json")
    other = make_user("engineer")
    db.session.add(DeviceToken(id=uuid.uuid4(), user_id=other.id, token="t-1", platform="android"))
    db.session.commit()
    second = make_ticket(title="Second")
    assign_ticket(db.session.merge(second), db.session.merge(other), actor=dispatcher)
    db.session.commit()
    assert [r for r in _rows("staff") if r.user_id == other.id] == []
