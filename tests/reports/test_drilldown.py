"""The ticket list behind each report number (the Insights screen's drill-down): for the same
rows at (nearly) the same instant, ``GET /api/v1/tickets`` with the report's period and
filters plus ``sla``/``reached``/``status`` lists exactly as many tickets as the report counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.reports.test_reports_api import PERIOD, history  # noqa: F401  (a fixture)


def _listed(client, headers, **query) -> list[dict]:
    r = client.get("/api/v1/tickets", query_string={"page_size": 100, **query}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _cohort(period: dict) -> dict:
    return {"created_from": period["from"], "created_to": period["to"]}


def test_sla_and_times_numbers_equal_their_lists(history, report, client, auth, make_user):  # noqa: F811
    staff = auth(make_user("dispatcher"))
    sla = report("sla", **PERIOD).get_json()["groups"][0]
    times = report("times", **PERIOD).get_json()["groups"][0]
    count = lambda **q: len(_listed(client, staff, **_cohort(PERIOD), **q))  # noqa: E731
    assert count() == sla["tickets"] == 4
    assert count(sla="breached") == sla["breached"] == 3
    assert count(sla="at_risk") == sla["at_risk"]
    for clock in ("respond", "resolve"):
        assert count(sla=f"{clock}_due") == sla[clock]["due"]
        assert count(sla=f"{clock}_met") == sla[clock]["met"]
        late = sla[clock]["due"] - sla[clock]["met"]
        # The late clocks that stopped (D's are still running: due, breached, not yet late).
        assert count(sla=f"{clock}_late") == late - 1
    assert count(reached="assign") == times["to_assign"]["n"] == 3
    assert count(reached="accept") == times["to_accept"]["n"]
    assert count(reached="arrive") == times["to_arrive"]["n"]
    assert count(reached="complete", status="completed,closed") == times["to_complete"]["n"]
    # Several values match any of them; filters combine with the report's own.
    assert count(sla="respond_met,breached") == 4
    eng1 = str(history["eng1"].id)
    by_engineer = report("sla", engineer_id=eng1, **PERIOD).get_json()["groups"][0]
    assert count(assignee_id=eng1, sla="breached") == by_engineer["breached"] == 1
    assert count(unassigned=True) == 1  # D
    assert count(status="new") == 1  # the backlog's one open ticket (D)


def test_at_risk_list_equals_the_report(clock, make_ticket, report, client, auth, make_user):
    now = datetime.now(UTC)
    with clock.at(now - timedelta(minutes=50)):
        risky = make_ticket(priority="P1")  # respond within 1 h: 83 % of the window used
    with clock.at(now - timedelta(minutes=10)):
        make_ticket(priority="P1")  # 17 %: ok
    period = {"from": (now - timedelta(hours=2)).isoformat(), "to": now.isoformat()}
    sla = report("sla", **period).get_json()["groups"][0]
    listed = _listed(client, auth(make_user("dispatcher")), **_cohort(period), sla="at_risk")
    assert sla["at_risk"] == 1
    assert [t["id"] for t in listed] == [str(risky.id)]


def test_drilldown_filters_refuse_bad_input_and_engineers_see_only_theirs(
    history,  # noqa: F811
    client,
    auth,
):
    eng2 = auth(history["eng2"])
    # An engineer asking for every breach of the period gets only their own (B).
    mine = _listed(client, eng2, **_cohort(PERIOD), sla="breached")
    assert [t["assignee_id"] for t in mine] == [str(history["eng2"].id)]
    for bad in (
        {"sla": "late"},
        {"reached": "teleport"},
        {"created_from": "not a date"},
        {"created_from": PERIOD["to"], "created_to": PERIOD["from"]},
    ):
        r = client.get("/api/v1/tickets", query_string=bad, headers=eng2)
        assert r.status_code == 422, (bad, r.get_json())
