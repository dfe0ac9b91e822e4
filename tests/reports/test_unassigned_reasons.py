"""The backlog's unassigned tickets and why (docs/kpis.md, "Unassigned and why"): each reason on
a constructed scenario, the first reason that holds wins, the filters apply, and the reasons
are computed set-based (one statement for the whole cohort)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from backend.db import db
from backend.dispatch.engineers import ShiftSpec
from backend.dispatch.operations import unassign_ticket
from backend.reports.unassigned import REASONS
from backend.workorders import operations as ops
from tests.dispatch.conftest import make_engineer  # noqa: F401  (fixture)
from tests.factories import square
from tests.reports.conftest import act, assign

# Each scenario in a region of its own, a degree apart, so engineers never overlap.
SPOTS = {reason: (10.0 + i, 40.0) for i, reason in enumerate(REASONS)}


def _never_now() -> ShiftSpec:
    """A one-hour shift every day that is not running now (two hours from now)."""
    h = (datetime.now(UTC).hour + 2) % 24
    return ShiftSpec("UTC", [0, 1, 2, 3, 4, 5, 6], time(h, 0), time((h + 1) % 24, 0))


@pytest.fixture()
def scenarios(make_region, make_engineer, make_ticket, make_skill, make_user):  # noqa: F811
    dispatcher = make_user("dispatcher")
    make_skill("hv")
    region = {r: make_region(square(*SPOTS[r], half=0.2)) for r in REASONS if r != "unrouted"}
    made = {}

    def ticket(reason, **kw):
        lon, lat = SPOTS[reason]
        t = make_ticket(lon=lon, lat=lat, **kw)
        made.setdefault(reason, []).append(t.id)
        return t

    ticket("unrouted")
    # no_skill: the region's engineer lacks the required skill (another with it elsewhere).
    make_engineer(*SPOTS["no_skill"], regions=[region["no_skill"]], skills=[])
    make_engineer(
        *SPOTS["off_shift"], regions=[region["off_shift"]], skills=["hv"], shift=_never_now()
    )
    ticket("no_skill", required_skills=["hv"])
    # off_shift: skilled engineers in the region, one off shift, one off duty.
    make_engineer(*SPOTS["off_shift"], regions=[region["off_shift"]], shift=_never_now())
    make_engineer(*SPOTS["off_shift"], regions=[region["off_shift"]], status="off_duty")
    ticket("off_shift")
    # at_capacity: the one engineer on shift has max_open_jobs open jobs.
    busy = make_engineer(*SPOTS["at_capacity"], regions=[region["at_capacity"]], max_open_jobs=1)
    lon, lat = SPOTS["at_capacity"]
    assign(make_ticket(lon=lon, lat=lat), busy, dispatcher)
    ticket("at_capacity")
    # declined: the engineer rejected it (and could take it again).
    eng = make_engineer(*SPOTS["declined"], regions=[region["declined"]])
    t = ticket("declined")
    assign(t, eng, dispatcher)
    act(t, eng, "reject", reason="not my kind of job")
    # unassigned: a dispatcher took it off its engineer.
    eng = make_engineer(*SPOTS["unassigned"], regions=[region["unassigned"]])
    t = ticket("unassigned")
    assign(t, eng, dispatcher)
    unassign_ticket(ops.get_ticket(t.id), actor=dispatcher, reason="wrong engineer")
    db.session.commit()
    # not_dispatched: someone could take it, nobody was asked yet (two of them).
    make_engineer(*SPOTS["not_dispatched"], regions=[region["not_dispatched"]])
    ticket("not_dispatched", priority="P1")
    ticket("not_dispatched")
    return made


def _period():
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
    }


def test_each_reason_on_its_scenario(scenarios, report):
    r = report("backlog", **_period())
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    got = {u["reason"]: u for u in body["unassigned"]}
    assert [u["reason"] for u in body["unassigned"]] == list(REASONS)  # in the tested order
    for reason, ids in scenarios.items():
        assert got[reason]["count"] == len(ids), (reason, body["unassigned"])
        assert {t["id"] for t in got[reason]["tickets"]} == {str(i) for i in ids}, reason
    first = got["not_dispatched"]["tickets"][0]
    assert first["number"].startswith("T-") and first["status"] == "new"
    assert first["age_min"] >= 0
    # The backlog's own numbers are unchanged: every unassigned open ticket is in "new".
    new = sum(g["total"] for g in body["groups"] if g["status"] == "new")
    assert new == sum(len(ids) for ids in scenarios.values())


def test_filters_narrow_the_unassigned_too(scenarios, report):
    body = report("backlog", priority="P1", **_period()).get_json()
    assert [(u["reason"], u["count"]) for u in body["unassigned"]] == [("not_dispatched", 1)]
    body = report("backlog", status="assigned", **_period()).get_json()
    assert body["unassigned"] == []
    # Grouping does not split the reasons (they are the whole cohort's).
    grouped = report("backlog", group_by="priority", **_period()).get_json()
    plain = report("backlog", **_period()).get_json()
    assert [u["count"] for u in grouped["unassigned"]] == [u["count"] for u in plain["unassigned"]]


def test_reasons_are_one_statement_not_one_per_ticket(scenarios, report, app):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        report("backlog", **_period())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    reasons = [s for s in statements if "not_dispatched" in s]
    assert len(reasons) == 1
    shifts = [s for s in statements if "shift_timezone" in s]
    assert len(shifts) == 1


def test_the_reasons_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["UnassignedReasonOut"]
    assert schema["properties"]["reason"]["enum"] == list(REASONS)


def test_the_documented_reasons_and_sql_are_the_ones_that_run():
    from pathlib import Path

    from backend.reports.filters import ReportFilter
    from backend.reports.unassigned import UNASSIGNED_SQL

    doc = (Path(__file__).parents[2] / "docs" / "kpis.md").read_text()
    f = ReportFilter(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    sql = UNASSIGNED_SQL.format(cohort=f.cohort_sql())
    lines = "\n".join(line.rstrip() for line in sql.splitlines() if line.strip())
    assert f"```sql\n{lines}\n```" in doc
    for reason in REASONS:
        assert f"| `{reason}` |" in doc
