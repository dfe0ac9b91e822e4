"""The batch plan reads tickets' arrival windows from the database: the preview waits for a
window, says whether each planned ticket starts in its window, counts window breaches, and
a window edited after the preview makes apply answer 409 (the window is a planned fact).
Real PostGIS and Redis."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from backend.db import db, utcnow
from backend.workorders.models import Ticket
from tests.factories import BERLIN, square
from tests.optimize.test_optimize_api import URL


def set_window(ticket, start, end) -> None:
    db.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(window_start=start, window_end=end)
    )
    db.session.commit()


def test_preview_waits_for_windows_and_counts_breaches(
    client, auth, make_region, make_engineer, make_ticket, make_user
):
    region = make_region(square(*BERLIN, half=0.2))
    make_engineer(13.40, 52.52, regions=[region])
    booked = make_ticket(lon=13.41, lat=52.52)
    missed = make_ticket(lon=13.42, lat=52.52)
    repair = make_ticket(lon=13.43, lat=52.52)
    now = utcnow()
    set_window(booked, now + timedelta(hours=2), now + timedelta(hours=3))
    set_window(missed, now - timedelta(hours=3), now - timedelta(hours=2))
    headers = auth(make_user("dispatcher"))
    body = {"region_id": str(region.id)}
    res = client.post(URL, json=body, headers=headers)
    assert res.status_code == 200, res.json
    plan = res.json["plan"]
    changes = {c["ticket_id"]: c for c in plan["changes"]}
    ok = changes[str(booked.id)]
    assert ok["window"] == "in_window" and ok["window_breach_min"] == 0
    assert datetime.fromisoformat(ok["window_start"]) == now + timedelta(hours=2)
    stop = next(s for r in plan["routes"] for s in r["tickets"] if s["ticket_id"] == str(booked.id))
    assert datetime.fromisoformat(stop["start"]) >= now + timedelta(hours=2)
    late = changes[str(missed.id)]
    assert late["window"] == "late" and late["window_breach_min"] >= 120
    assert changes[str(repair.id)]["window"] == "none"
    assert plan["summary"]["window_breaches"] == 1

    # Moving a window after the preview is a changed input: apply refuses the stale plan.
    approved = {k: plan[k] for k in ("fingerprint", "inputs", "changes")}
    set_window(booked, now + timedelta(hours=4), now + timedelta(hours=5))
    done = client.post(URL, json={**body, "apply": True, "preview": approved}, headers=headers)
    assert done.status_code == 409, done.json
    assert done.json["kind"] == "plan_changed"
    assert [c["id"] for c in done.json["changed"]] == [str(booked.id)]
