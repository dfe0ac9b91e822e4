"""A checklist's meter item, answered on a job at an asset, is a reading of that asset's meter
(named by the item's key): what meter-based maintenance plans count from. A corrected answer
replaces its reading, a cleared one removes it, and a late answer (evidence after the job moved
on) records none."""

from __future__ import annotations

from sqlalchemy import select

from backend.db import db
from backend.maintenance.models import MeterReading
from backend.workorders import operations as wo
from backend.workorders.models import Ticket
from tests.checklists.test_answers import _answer, _push, planned, put  # noqa: F401 (fixture)


def _readings(asset_id) -> list[tuple[str, float, str]]:
    rows = db.session.scalars(
        select(MeterReading).where(MeterReading.asset_id == asset_id).order_by(MeterReading.at)
    )
    return [(r.meter, r.value, r.source) for r in rows]


def test_a_meter_answer_is_a_reading_of_the_jobs_asset(api, planned, dispatcher):  # noqa: F811
    engineer, ticket = planned
    assert put(api, engineer, ticket, "hours", 10234).status_code == 200
    assert _readings(ticket.asset_id) == [("hours", 10234.0, "checklist")]
    view = api("get", f"/api/v1/assets/{ticket.asset_id}/maintenance", dispatcher)
    assert view.status_code == 200, view.json
    [reading] = view.json["readings"]
    assert (reading["meter"], reading["value"], reading["source"]) == ("hours", 10234, "checklist")
    assert reading["answer_id"] is not None

    # A typo corrected: one reading, the new value (not a lower second one: a "new meter").
    assert put(api, engineer, ticket, "hours", 1023.4).status_code == 200
    assert _readings(ticket.asset_id) == [("hours", 1023.4, "checklist")]
    # Cleared: the item is unanswered, and the asset has no reading from it.
    assert put(api, engineer, ticket, "hours", None).status_code == 200
    assert _readings(ticket.asset_id) == []


def test_a_late_meter_answer_is_evidence_not_a_reading(
    http,
    planned,  # noqa: F811
    dispatcher,
    make_user,
):
    engineer, ticket = planned
    ticket = db.session.get(Ticket, ticket.id)
    wo.assign_ticket(ticket, make_user("engineer"), actor=dispatcher)
    db.session.commit()
    # The first engineer's phone syncs a reading after the job went to someone else: kept as
    # late evidence with a conflict (test_answers), and the asset's meter does not move.
    results = _push(http, engineer, _answer(ticket, "hours", 99999))
    assert results[0]["status"] == "conflict"
    assert _readings(ticket.asset_id) == []


def test_a_meter_answer_synced_in_time_is_a_reading(http, planned):  # noqa: F811
    engineer, ticket = planned
    results = _push(http, engineer, _answer(ticket, "hours", 5120))
    assert results[0]["status"] == "applied"
    assert _readings(ticket.asset_id) == [("hours", 5120.0, "checklist")]
