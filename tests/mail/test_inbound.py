# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""Inbound email: real messages built with the standard library (``EmailMessage``), posted as
a mail service delivers them (raw ``message/rfc822``) to ``POST /api/v1/inbound/email``."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import make_msgid

from PIL import Image
from sqlalchemy import func, select

from backend.db import db
from backend.mail.models import InboundEmail, OutboundEmail
from backend.media.models import Photo
from backend.notify.models import Notification
from backend.workorders.models import Note, Ticket
from tests.mail.conftest import SECRET

URL = "/api/v1/inbound/email"
HEADERS = {"X-Fieldops-Inbound-Secret": SECRET, "Content-Type": "message/rfc822"}


def _png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


def _message(
    *,
    sender: str = "Li Wei <li.wei@customer.example>",
    subject: str = "空调不制冷",
    text: str = "三楼会议室的空调不制冷。",
    html: str | None = None,
    images: int = 0,
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "service@fieldops.test"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mail.customer.example")
    for key, value in (extra or {}).items():
        msg[key] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for i in range(images):
        msg.add_attachment(_png(), maintype="image", subtype="png", filename=f"photo{i}.png")
    return msg


def _post(client, raw: bytes, headers: dict[str, str] | None = None):
    return client.post(URL, data=raw, headers=headers or HEADERS)


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def _ticket(number: str) -> Ticket:
    seq = int(number.removeprefix("T-"))
    return db.session.scalars(select(Ticket).where(Ticket.seq == seq)).one()


def test_new_message_with_qr_link_opens_a_ticket_with_photos(client, inbound_on, make_asset):
    asset = make_asset()
    msg = _message(
        text=f"三楼会议室的空调不制冷。\n标签：http://fieldops.test/r/{asset.qr_token}\n",
        html="<p>三楼会议室的空调不制冷。</p>",
        images=2,
    )
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw  # the Chinese subject is RFC 2047-encoded on the wire
    res = _post(client, raw)
    assert res.status_code == 200, res.json
    body = res.json
    assert (body["outcome"], body["duplicate"], body["photos"]) == ("created", False, 2)
    assert body["skipped"] == []
    ticket = _ticket(body["ticket_number"])
    assert ticket.title == "空调不制冷" and ticket.source == "email"
    assert ticket.asset_id == asset.id and ticket.site_id == asset.site_id
    assert (ticket.contact_email, ticket.contact_name) == ("li.wei@customer.example", "Li Wei")
    assert ticket.contact_language == "zh-CN" and ticket.tracking_token
    assert "三楼会议室" in ticket.description
    photos = list(db.session.scalars(select(Photo).where(Photo.ticket_id == ticket.id)))
    assert len(photos) == 2
    assert {(p.origin, p.registered_via, p.status) for p in photos} == {
        ("public", "email", "uploaded")
    }


def test_a_retried_delivery_opens_one_ticket(client, inbound_on, make_asset):
    asset = make_asset()
    raw = _message(text=f"Broken: /r/{asset.qr_token}", images=1).as_bytes()
    first = _post(client, raw)
    again = _post(client, raw)
    assert first.status_code == again.status_code == 200
    assert again.json["duplicate"] is True
    assert again.json["ticket_number"] == first.json["ticket_number"]
    assert _count(InboundEmail) == 1
    assert db.session.scalar(select(func.count()).where(Ticket.source == "email")) == 1
    assert _count(Photo) == 1


def test_same_bytes_without_message_id_are_one_message(client, inbound_on, make_asset):
    asset = make_asset()
    msg = _message(text=f"Broken: /r/{asset.qr_token}")
    del msg["Message-ID"]
    raw = msg.as_bytes()
    assert _post(client, raw).json["duplicate"] is False
    assert _post(client, raw).json["duplicate"] is True


def test_reply_becomes_a_customer_visible_note(client, inbound_on, smtp, make_asset, run_jobs):
    asset = make_asset()
    created = _post(client, _message(text=f"Broken: /r/{asset.qr_token}").as_bytes()).json
    ticket = _ticket(created["ticket_number"])
    [sent] = list(db.session.scalars(select(OutboundEmail)))  # the "received" email
    assert sent.language == "zh-CN" and sent.to_addr == "li.wei@customer.example"
    run_jobs()

    reply = _message(
        subject=f"Re: [{ticket.number}] 我们已收到您的报修",
        text="下午两点以后有人在。\n\n在 2026年12月3日，Fieldops 写道：\n> 我们已收到您的报修\n",
        images=1,
        extra={"In-Reply-To": sent.message_id, "References": sent.message_id},
    )
    res = _post(client, reply.as_bytes())
    assert res.status_code == 200, res.json
    assert (res.json["outcome"], res.json["ticket_number"]) == ("note", ticket.number)
    [note] = list(db.session.scalars(select(Note).where(Note.ticket_id == ticket.id)))
    assert note.body == "下午两点以后有人在。"  # the quoted message is not repeated
    assert note.customer_visible is True and note.author_id is None
    assert res.json["photos"] == 1
    assert db.session.scalar(select(func.count()).where(Ticket.source == "email")) == 1


def test_reply_by_ticket_number_in_subject_only_from_the_contact(client, inbound_on, make_asset):
    asset = make_asset()
    created = _post(client, _message(text=f"Broken: /r/{asset.qr_token}").as_bytes()).json
    number = created["ticket_number"]
    ok = _post(client, _message(subject=f"RE: {number}", text="Any news?").as_bytes())
    assert (ok.json["outcome"], ok.json["ticket_number"]) == ("note", number)
    stranger = _post(
        client,
        _message(sender="x@elsewhere.example", subject=f"Re: {number}", text="hi").as_bytes(),
    )
    assert stranger.json["outcome"] == "unmatched"  # a stranger cannot write on the ticket


def test_sender_address_matches_the_customers_only_site(
    client, inbound_on, make_customer, make_site
):
    customer = make_customer()  # facilities@acme.example
    site = make_site(customer=customer)
    res = _post(
        client,
        _message(
            sender="Facilities <Facilities@ACME.example>", subject="Leak", text="Roof leak"
        ).as_bytes(),
    )
    assert res.json["outcome"] == "created", res.json
    ticket = _ticket(res.json["ticket_number"])
    assert ticket.site_id == site.id and ticket.contact_language == "en"


def test_unmatched_message_is_kept_and_dispatchers_told(client, inbound_on, make_user):
    make_user("dispatcher")
    msg = _message(sender="nobody@unknown.example", subject="Hello", text="Who are you?", images=1)
    res = _post(client, msg.as_bytes())
    assert res.status_code == 200
    assert res.json["outcome"] == "unmatched" and res.json["ticket_number"] is None
    assert res.json["skipped"] == [{"filename": "photo0.png", "reason": "not kept: no ticket"}]
    row = db.session.scalars(select(InboundEmail)).one()
    assert row.raw == msg.as_bytes()  # nothing lost: the bytes wait for a person
    assert _count(Photo) == 0
    [n] = list(db.session.scalars(select(Notification).where(Notification.role == "dispatcher")))
    assert n.kind == "email_unmatched" and "nobody@unknown.example" in n.title


def test_attachments_go_through_the_photo_validation(client, inbound_on, make_asset):
    asset = make_asset()
    msg = _message(text=f"/r/{asset.qr_token}", images=1)
    msg.add_attachment(
        b"%PDF-1.4 not a photo", maintype="application", subtype="pdf", filename="manual.pdf"
    )
    msg.add_attachment(
        b"\x89PNG\r\n\x1a\n broken", maintype="image", subtype="png", filename="broken.png"
    )
    res = _post(client, msg.as_bytes())
    assert res.status_code == 200, res.json
    assert res.json["photos"] == 1
    skipped = {s["filename"]: s["reason"] for s in res.json["skipped"]}
    assert set(skipped) == {"manual.pdf", "broken.png"}
    assert "photo" in skipped["manual.pdf"]
    assert _count(Photo) == 1


def test_raw_8bit_headers_are_read_and_unstorable_text_refused(client, inbound_on, make_asset):
    asset = make_asset()
    raw = (
        "From: 王 <wang@customer.example>\r\nSubject: 电梯故障\r\nMessage-ID: <u8@x>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n电梯停了 /r/{asset.qr_token}\r\n"
    ).encode()
    res = _post(client, raw)  # raw UTF-8 headers (RFC 6532), no encoded words
    assert res.status_code == 200, res.json
    assert _ticket(res.json["ticket_number"]).title == "电梯故障"
    # Other 8-bit bytes in a header are not guessed at: a replacement character shows where.
    latin1 = f"From: a@b.example\r\nSubject: caf\xe9 /r/{asset.qr_token}\r\n\r\nhi\r\n"
    res = _post(client, latin1.encode("latin-1"))
    assert res.status_code == 200
    assert _ticket(res.json["ticket_number"]).title.startswith("caf\ufffd")
    nul = f"From: a@b.example\r\nSubject: x\r\n\r\n/r/{asset.qr_token} \x00\r\n".encode()
    bad = _post(client, nul)
    assert bad.status_code == 422 and "body" in bad.json["message"]


def test_malformed_input_is_a_clear_4xx_and_records_nothing(client, inbound_on, app, monkeypatch):
    cases = {
        b"": 422,
        b"\x00\xff\xfe garbage without headers": 422,
        b"Subject: no sender\r\n\r\nbody\r\n": 422,
        b"From: a@b.example, c@d.example\r\nSubject: two\r\n\r\nx\r\n": 422,
        b"From: not an address\r\nSubject: x\r\n\r\nx\r\n": 422,
    }
    for raw, status in cases.items():
        res = _post(client, raw)
        assert res.status_code == status, (raw, res.status_code, res.json)
        assert res.json["code"] == status and res.json["message"]
    wrong_type = client.post(
        URL,
        data=b"From: a@b.example\r\n\r\nx",
        headers={"X-Fieldops-Inbound-Secret": SECRET, "Content-Type": "text/plain"},
    )
    assert wrong_type.status_code == 415
    monkeypatch.setitem(app.config, "INBOUND_EMAIL_MAX_BYTES", 1000)
    big = _post(client, _message(text="x" * 5000).as_bytes())
    assert big.status_code == 413
    assert _count(InboundEmail) == 0 and _count(Ticket) == 0


def test_the_secret_is_checked_before_anything_is_read(client, inbound_on, make_asset):
    raw = _message(text=f"/r/{make_asset().qr_token}").as_bytes()
    assert _post(client, raw, {"Content-Type": "message/rfc822"}).status_code == 401
    wrong = {**HEADERS, "X-Fieldops-Inbound-Secret": "guess"}
    assert _post(client, raw, wrong).status_code == 403
    # Even garbage of the wrong type is answered by the secret check first.
    assert _post(client, b"\x00", {"Content-Type": "text/plain"}).status_code == 401
    assert _count(InboundEmail) == 0


def test_off_without_a_configured_secret(client, make_asset):
    res = _post(client, _message().as_bytes())
    assert res.status_code == 403


def test_rate_limited(client, inbound_on, app, monkeypatch):
    monkeypatch.setitem(app.config, "INBOUND_EMAIL_LIMIT", "2 per minute")
    codes = [_post(client, _message(sender="n@u.example").as_bytes()).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_html_only_message_is_read_as_its_visible_text(client, inbound_on, make_asset):
    asset = make_asset()
    msg = EmailMessage()
    msg["From"] = "ops@customer.example"
    msg["Subject"] = "Fwd: Pump"
    msg["Message-ID"] = make_msgid()
    msg.set_content(
        f"<html><head><style>p {{color: red}}</style></head><body><p>Pump &amp; valve"
        f"<script>alert(1)</script></p><p>label /r/{asset.qr_token}</p></body></html>",
        subtype="html",
    )
    res = _post(client, msg.as_bytes())
    assert res.json["outcome"] == "created", res.json
    ticket = _ticket(res.json["ticket_number"])
    assert ticket.title == "Pump"  # "Fwd:" dropped
    assert ticket.description.startswith("Pump & valve")
    assert "alert" not in ticket.description and "color" not in ticket.description


def test_auto_replies_and_bounces_are_kept_quietly(client, inbound_on, make_asset, make_user):
    make_user("dispatcher")
    asset = make_asset()
    created = _post(client, _message(text=f"/r/{asset.qr_token}").as_bytes()).json
    number = created["ticket_number"]
    away = _message(
        subject=f"Automatic reply: [{number}] 我们已收到您的报修",
        text="I am out of office until Monday.",
        extra={"Auto-Submitted": "auto-replied"},
    )
    bounce = _message(sender="MAILER-DAEMON@mx.customer.example", subject="Undelivered", text="x")
    for msg in (away, bounce):
        res = _post(client, msg.as_bytes())
        assert res.status_code == 200 and res.json["outcome"] == "unmatched", res.json
    assert _count(Note) == 0 and _count(Notification) == 0
    assert db.session.scalar(select(func.count()).where(Ticket.source == "email")) == 1
