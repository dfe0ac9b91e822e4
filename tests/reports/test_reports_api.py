"""The KPI reports on hand-built ticket histories whose numbers are worked out by hand below.

History (created at T0, a UTC morning 30 days ago; every step a real operation at a set time):

  A  P3 (respond 8 h, resolve 24 h), eng1: assign +10m, accept +30m, travel +40m, arrive +90m,
     start +100m, complete +300m                      -> both clocks met
  B  P1 (1 h, 4 h): assign eng1 +20m, reassign eng2 +30m, accept +120m (60 late), travel +130m,
     arrive +180m, start +190m, complete +360m (120 late)
  C  P3 created T0+60m, eng1: assign +100m, accept +660m (respond_by +540m: 120 late),
     travel, arrive +720m, start, complete +1740m (resolve_by +1500m: 240 late)
  D  P3 created T0+120m outside every region, never assigned: both clocks overdue

Percentiles are percentile_cont's: sorted x0..x(n-1), p at position p*(n-1), interpolated.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.reports.conftest import act, assign

MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
T0 = MIDNIGHT - timedelta(days=30) + timedelta(hours=8)
PERIOD = {"from": (T0 - timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
LIFE = ("accept", "start_travel", "arrive", "start_work", "complete")


@pytest.fixture()
def history(clock, make_user, make_ticket, make_region, no_completion_rules):
    dispatcher = make_user("dispatcher")
    eng1, eng2 = make_user("engineer"), make_user("engineer")
    region = make_region()

    def at(minutes: float):
        return clock.at(T0 + timedelta(minutes=minutes))

    with at(0):
        a = make_ticket(priority="P3", now=clock.now)
        b = make_ticket(priority="P1", now=clock.now)
    with at(60):
        c = make_ticket(priority="P3", now=clock.now)
    with at(120):
        d = make_ticket(priority="P3", now=clock.now, lon=0.5, lat=0.5)
    steps = [
        (10, lambda: assign(a, eng1, dispatcher)),
        (20, lambda: assign(b, eng1, dispatcher)),
        (30, lambda: assign(b, eng2, dispatcher)),
        (100, lambda: assign(c, eng1, dispatcher)),
        *(
            (m, lambda s=s: act(a, eng1, s))
            for m, s in zip((30, 40, 90, 100, 300), LIFE, strict=True)
        ),
        *(
            (m, lambda s=s: act(b, eng2, s))
            for m, s in zip((120, 130, 180, 190, 360), LIFE, strict=True)
        ),
        *(
            (m, lambda s=s: act(c, eng1, s))
            for m, s in zip((660, 700, 720, 730, 1740), LIFE, strict=True)
        ),
    ]
    for minutes, step in sorted(steps, key=lambda s: s[0]):
        with at(minutes):
            step()
    return {"eng1": eng1, "eng2": eng2, "region": region, "tickets": (a, b, c, d)}


def _one(body):
    assert len(body["groups"]) == 1
    return body["groups"][0]


def _clock(due, met, pct, late_median, late_p90):
    return {
        "due": due,
        "met": met,
        "met_pct": pct,
        "late_median_min": late_median if late_median is None else pytest.approx(late_median),
        "late_p90_min": late_p90 if late_p90 is None else pytest.approx(late_p90),
    }


def test_sla_by_hand(history, report):
    r = report("sla", **PERIOD)
    assert r.status_code == 200, r.get_json()
    g = _one(r.get_json())
    assert g["key"] is None and g["tickets"] == 4
    # respond: A met; B 60 and C 120 late; D overdue -> due 4, met 1
    assert g["respond"] == _clock(4, 1, 25.0, 90.0, 60 + 0.9 * 60)
    # resolve: A met; B 120, C 240 late; D overdue
    assert g["resolve"] == _clock(4, 1, 25.0, 180.0, 120 + 0.9 * 120)
    assert (g["at_risk"], g["breached"]) == (0, 3)


def test_times_by_hand(history, report):
    g = _one(report("times", **PERIOD).get_json())
    assert g["tickets"] == 4
    # to assign: A 10, B 20, C 40 (D never) -> median 20, p90 at 1.8: 20 + 0.8*20
    assert g["to_assign"] == {"n": 3, "median_min": 20.0, "p90_min": pytest.approx(36.0)}
    # to accept (first accept - first assignment): A 20, B 100, C 560
    assert g["to_accept"] == {"n": 3, "median_min": 100.0, "p90_min": pytest.approx(468.0)}
    # to arrive (first arrive - creation): A 90, B 180, C 660
    assert g["to_arrive"] == {"n": 3, "median_min": 180.0, "p90_min": pytest.approx(564.0)}
    # to complete: A 300, B 360, C 1680
    assert g["to_complete"] == {"n": 3, "median_min": 360.0, "p90_min": pytest.approx(1416.0)}


def test_group_by_priority_engineer_region(history, report):
    by_priority = report("sla", group_by="priority", **PERIOD).get_json()["groups"]
    assert [(g["key"], g["tickets"], g["respond"]["met_pct"]) for g in by_priority] == [
        ("P1", 1, 0.0),
        ("P3", 3, pytest.approx(33.33)),
    ]
    eng1, eng2 = str(history["eng1"].id), str(history["eng2"].id)
    by_engineer = report("times", group_by="engineer", **PERIOD).get_json()["groups"]
    # B went to eng2 (current assignee); D is unassigned (null first)
    assert {g["key"]: g["tickets"] for g in by_engineer} == {None: 1, eng1: 2, eng2: 1}
    assert by_engineer[0]["key"] is None
    by_region = report("sla", group_by="region", **PERIOD).get_json()["groups"]
    assert [(g["key"], g["tickets"]) for g in by_region] == [
        (None, 1),
        (str(history["region"].id), 3),
    ]
    by_day = report("times", group_by="day", **PERIOD).get_json()["groups"]
    assert [(g["key"], g["tickets"]) for g in by_day] == [(T0.date().isoformat(), 4)]
    by_month = report("times", group_by="month", **PERIOD).get_json()["groups"]
    assert [g["key"] for g in by_month] == [T0.date().replace(day=1).isoformat()]
    by_week = report("times", group_by="week", **PERIOD).get_json()["groups"]
    monday = T0.date() - timedelta(days=T0.weekday())
    assert [g["key"] for g in by_week] == [monday.isoformat()]


def test_filters(history, report):
    def tickets(**q):
        r = report("times", **PERIOD, **q)
        assert r.status_code == 200, r.get_json()
        groups = r.get_json()["groups"]
        return sum(g["tickets"] for g in groups)

    assert tickets(priority="P1") == 1
    assert tickets(engineer_id=str(history["eng1"].id)) == 2
    assert tickets(region_id=str(history["region"].id)) == 3
    assert tickets(region_id=str(history["region"].id), priority="P3") == 2
    # the period is [from, to): C (T0+60m) and D (T0+120m) only
    later = {"from": (T0 + timedelta(minutes=1)).isoformat(), "to": PERIOD["to"]}
    r = report("times", **later)
    assert _one(r.get_json())["tickets"] == 2
    before = {"from": PERIOD["from"], "to": (T0 + timedelta(minutes=60)).isoformat()}
    assert _one(report("times", **before).get_json())["tickets"] == 2  # A, B; C at `to` is out
    # nothing in the period: no groups at all
    empty = {"from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
    assert report("sla", **empty).get_json()["groups"] == []


def test_backlog_by_status_and_age(clock, make_user, make_ticket, report):
    dispatcher = make_user("dispatcher")
    eng = make_user("engineer")
    now = datetime.now(UTC)
    made = {}
    for label, age in (("1h", 1), ("10h", 10), ("2d", 48), ("5d", 120), ("10d", 240)):
        with clock.at(now - timedelta(hours=age)):
            made[label] = make_ticket(priority="P4", now=clock.now)
    with clock.at(now - timedelta(hours=9)):
        assign(made["10h"], eng, dispatcher)
        assign(made["5d"], eng, dispatcher)
        act(made["5d"], eng, "accept")
    with clock.at(now - timedelta(hours=8)):
        assign(made["2d"], eng, dispatcher)
        act(made["2d"], eng, "accept")
        act(made["2d"], dispatcher, "cancel")  # no longer open
    period = {"from": (now - timedelta(days=11)).isoformat(), "to": now.isoformat()}
    body = report("backlog", **period).get_json()
    rows = {g["status"]: (g["total"], g["ages"]) for g in body["groups"]}
    zero = dict.fromkeys(("lt_4h", "lt_1d", "lt_3d", "lt_7d", "older"), 0)
    assert rows == {
        "new": (2, {**zero, "lt_4h": 1, "older": 1}),
        "assigned": (1, {**zero, "lt_1d": 1}),
        "accepted": (1, {**zero, "lt_7d": 1}),
    }
    assert [g["status"] for g in body["groups"]] == ["new", "assigned", "accepted"]


def test_at_risk_is_the_sla_scan_rule(clock, make_ticket, report):
    now = datetime.now(UTC)
    # P4: respond within 24 h. 20 h used (83% >= 75%): at risk; 10 h used: ok.
    with clock.at(now - timedelta(hours=20)):
        make_ticket(priority="P4", now=clock.now)
    with clock.at(now - timedelta(hours=10)):
        make_ticket(priority="P4", now=clock.now)
    with clock.at(now - timedelta(hours=30)):
        make_ticket(priority="P4", now=clock.now)  # respond_by passed: breached, not at risk
    period = {"from": (now - timedelta(days=2)).isoformat(), "to": now.isoformat()}
    g = _one(report("sla", **period).get_json())
    assert (g["tickets"], g["at_risk"], g["breached"]) == (3, 1, 1)
    assert g["respond"]["due"] == 1 and g["respond"]["met_pct"] == 0.0
    assert g["resolve"] == _clock(0, 0, None, None, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"}, "to"),
        ({"from": "yesterday", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"group_by": "part"}, "group_by"),
        ({"priority": "P9"}, "priority"),
        ({"status": "bogus"}, "status"),
        ({"status": "new,bogus"}, "status"),
        ({"status": ""}, "status"),
        ({"customer_id": "acme"}, "customer_id"),
        ({"asset_model": ""}, "asset_model"),
        ({"engineer_id": "nobody"}, "engineer_id"),
        ({"region_id": "12"}, "region_id"),
    ],
)
@pytest.mark.parametrize("kind", ["sla", "times", "backlog"])
def test_bad_input_is_a_clear_422(report, kind, query, field):
    base = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    if field in (
        "group_by",
        "priority",
        "engineer_id",
        "region_id",
        "status",
        "customer_id",
        "asset_model",
    ):
        query = {**base, **query}
    r = report(kind, **query)
    assert r.status_code == 422, r.get_json()
    assert field in str(r.get_json()), r.get_json()


def test_a_full_year_is_allowed(report):
    r = report("sla", **{"from": "2024-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"})
    assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize("kind", ["sla", "times", "backlog"])
def test_engineers_get_403_and_anonymous_401(client, report, make_user, kind):
    period = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    assert report(kind, user=make_user("engineer"), **period).status_code == 403
    assert client.get(f"/api/v1/reports/{kind}", query_string=period).status_code == 401
    assert report(kind, user=make_user("admin"), **period).status_code == 200


def test_a_reopened_job_counts_its_last_completion(
    clock, make_user, make_ticket, report, no_completion_rules
):
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    start = T0 + timedelta(days=3)
    with clock.at(start) as c:
        t = make_ticket(priority="P3", now=c.now)  # resolve_by start + 24 h
        c.advance(10)
        assign(t, eng, dispatcher)
        for action in LIFE:
            c.advance(10)
            act(t, eng, action)  # first completion at +60m
        c.advance(60)
        act(t, dispatcher, "reopen")  # back to assigned (the engineer stays)
        c.advance(1500)
        for action in LIFE:
            c.advance(10)
            act(t, eng, action)  # completed again at +1670m: 230 min after resolve_by
    period = {"from": start.isoformat(), "to": (start + timedelta(hours=1)).isoformat()}
    times = _one(report("times", **period).get_json())
    assert times["to_complete"] == {"n": 1, "median_min": 1670.0, "p90_min": 1670.0}
    assert times["to_accept"]["median_min"] == 10.0  # the first acceptance
    sla = _one(report("sla", **period).get_json())
    assert sla["resolve"]["late_median_min"] == pytest.approx(230.0)
    assert sla["respond"]["met"] == 1 and sla["breached"] == 1
