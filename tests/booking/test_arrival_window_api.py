"""The dispatcher's arrival window: set, move, clear; audited with who and why; the version
moves so the phone's sync sees it; bad windows are 422s naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.db import db
from backend.workorders.models import Ticket


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _put(api, user, ticket_id, **body):
    return api("put", f"/api/v1/tickets/{ticket_id}/arrival-window", user, json=body)


def test_set_move_and_clear_is_audited_and_versioned(api, staff, make_ticket):
    ticket = make_ticket()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    r = _put(api, staff, ticket.id, start=_iso(start), end=_iso(start + timedelta(hours=2)),
             reason="customer asked by phone")  # fmt: skip
    assert r.status_code == 200, r.json
    assert r.json["window_start"] == start.isoformat()
    assert r.json["window_end"] == (start + timedelta(hours=2)).isoformat()
    assert r.json["version"] == ticket.version + 1
    assert r.headers["ETag"] == f'"{r.json["version"]}"'

    later = {"start": _iso(start + timedelta(hours=4)), "end": _iso(start + timedelta(hours=6))}
    moved = _put(api, staff, ticket.id, **later, reason="engineer ill", version=r.json["version"])
    assert moved.status_code == 200, moved.json
    same = _put(api, staff, ticket.id, **later)
    assert same.json["version"] == moved.json["version"]  # nothing changed, nothing written

    cleared = _put(api, staff, ticket.id, start=None, end=None, reason="no longer planned")
    assert cleared.status_code == 200
    assert cleared.json["window_start"] is None and cleared.json["window_end"] is None

    events = api("get", f"/api/v1/tickets/{ticket.id}/events", staff).json
    windows = [e for e in events if e["action"] == "arrival_window"]
    assert [e["reason"] for e in windows] == [
        "customer asked by phone",
        "engineer ill",
        "no longer planned",
    ]
    assert all(e["actor_id"] == str(staff.id) for e in windows)
    assert windows[0]["data"]["from"] is None
    assert windows[1]["data"]["from"]["start"] == start.isoformat()
    assert windows[2]["data"]["to"] is None and windows[2]["data"]["by"] == "dispatcher"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "+1d", "end": None}, "end"),
        ({"start": None, "end": "+1d"}, "start"),
        ({"start": "+1d", "end": "+20h"}, "end"),  # ends before it starts
        ({"start": "-3h", "end": "-1h"}, "end"),  # already over
        ({"start": "+1d", "end": "+9d"}, "end"),  # longer than 7 days
        ({"start": "2026-12-24T08:00:00", "end": "2026-12-24T10:00:00"}, "start"),  # naive
    ],
)
def test_bad_windows_are_422_naming_the_field(api, staff, make_ticket, body, field):
    ticket = make_ticket()
    now = datetime.now(UTC)

    def when(v):
        if v is None or v[0] not in "+-":
            return v
        n, unit = int(v[:-1]), v[-1]
        return _iso(now + (timedelta(days=n) if unit == "d" else timedelta(hours=n)))

    r = _put(api, staff, ticket.id, **{k: when(v) for k, v in body.items()})
    assert r.status_code == 422, r.json
    assert field in str(r.json.get("errors")), r.json
    assert db.session.get(Ticket, ticket.id).window_start is None


def test_finished_ticket_and_stale_version_are_409(api, staff, make_ticket):
    ticket = make_ticket()
    start = datetime.now(UTC) + timedelta(days=1)
    body = {"start": _iso(start), "end": _iso(start + timedelta(hours=2))}
    stale = _put(api, staff, ticket.id, **body, version=ticket.version + 5)
    assert stale.status_code == 409 and stale.json["current_version"] == ticket.version
    api("post", f"/api/v1/tickets/{ticket.id}/transitions", staff,
        json={"action": "cancel", "reason": "duplicate"})  # fmt: skip
    r = _put(api, staff, ticket.id, **body)
    assert r.status_code == 409, r.json
    assert r.json["current_status"] == "cancelled"


def test_engineers_may_not_set_windows(api, make_user, make_ticket):
    engineer = make_user("engineer")
    ticket = make_ticket()
    start = datetime.now(UTC) + timedelta(days=1)
    r = _put(api, engineer, ticket.id, start=_iso(start), end=_iso(start + timedelta(hours=1)))
    assert r.status_code == 403
