"""The customer's HTML pages: form, no-JS submission, tracking, rating, PWA hand-over."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.db import db
from backend.workorders.models import Ticket


def test_report_page_is_a_mobile_form(client, make_asset):
    asset = make_asset(name="Lift <A>")
    res = client.get(f"/r/{asset.qr_token}")
    assert res.status_code == 200 and res.mimetype == "text/html"
    html = res.get_data(as_text=True)
    assert 'name="viewport"' in html and "<form" in html and 'name="description"' in html
    assert "Lift &lt;A&gt;" in html and "Head office" in html
    assert 'name="client_report_id"' in html


def test_form_post_redirects_to_tracking_and_is_idempotent(client, make_asset):
    asset = make_asset()
    form = {
        "description": "Water on the floor",
        "contact_name": "Grace",
        "contact_phone": "",
        "contact_email": "",
        "client_report_id": "c6b1a7a0-1",
    }
    first = client.post(f"/r/{asset.qr_token}", data=form)
    assert first.status_code == 303
    assert first.headers["Location"].startswith("/t/") and "new=1" in first.headers["Location"]
    again = client.post(f"/r/{asset.qr_token}", data=form)
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    page = client.get(first.headers["Location"])
    assert page.status_code == 200 and b"Thank you" in page.data
    assert b"new" in page.data


def test_tracking_page_rating_form(client, make_asset, make_user, no_completion_rules):
    from backend.workorders.operations import assign_ticket, transition

    asset = make_asset()
    loc = client.post(
        f"/r/{asset.qr_token}", data={"description": "Noise", "contact_name": "Lin"}
    ).headers["Location"]
    token = loc.split("/t/")[1].split("?")[0]
    early = client.post(f"/t/{token}/rating", data={"score": "5"})
    assert early.status_code == 409 and b"completed" in early.data
    ticket = db.session.scalars(select(Ticket).where(Ticket.tracking_token == token)).one()
    engineer = make_user("engineer")
    assign_ticket(ticket, engineer, actor=None)
    for action in ("accept", "start_travel", "arrive", "start_work", "complete"):
        transition(ticket, engineer, action)
    db.session.commit()
    assert b'name="score"' in client.get(f"/t/{token}").data
    assert client.post(f"/t/{token}/rating", data={"score": "9"}).status_code == 422
    done = client.post(f"/t/{token}/rating", data={"score": "5", "comment": "<i>great</i>"})
    assert done.status_code == 303
    page = client.get(f"/t/{token}")
    assert b'name="score"' not in page.data and b"Thank you for your rating" in page.data
    db.session.refresh(ticket)
    assert ticket.rating == 5 and ticket.rating_comment == "<i>great</i>"


def test_pwa_page_served_when_built(client, app, make_asset, tmp_path):
    asset = make_asset()
    built = tmp_path / "customer.html"
    built.write_text("<!doctype html><title>PWA customer</title>")
    app.config["PUBLIC_PWA_PAGE"] = str(built)
    try:
        res = client.get(f"/r/{asset.qr_token}")
        missing = client.get("/r/unknown-token")
    finally:
        app.config["PUBLIC_PWA_PAGE"] = "/nonexistent/customer.html"
    assert res.status_code == 200 and b"PWA customer" in res.data
    assert missing.status_code == 404


def test_openapi_documents_public_operations(client):
    spec = client.get("/api/v1/openapi.json").json
    report = spec["paths"]["/api/v1/public/assets/{qr_token}/reports"]["post"]["responses"]
    assert {"201", "200", "404", "413", "422", "429"} <= set(report)
    rating = spec["paths"]["/api/v1/public/tracking/{tracking_token}/rating"]["post"]["responses"]
    assert {"201", "409", "422", "429"} <= set(rating)
