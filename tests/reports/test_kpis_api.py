"""First-time fix, customers, workload and parts on hand-built histories (every step a real
operation at a set time; the expected numbers are worked out by hand in each test)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from backend.db import db
from backend.dispatch.engineers import ShiftSpec, create_profile
from backend.dispatch.operations import dispatch_ticket
from backend.dispatch.optimize.pins import PLAN_REASON
from backend.dispatch.settings import current_settings
from backend.parts import operations as parts_ops
from backend.public import operations as public_ops
from backend.signoff.operations import submit_signoff
from backend.workorders import operations as ops
from backend.workorders.operations import Location
from tests.reports.conftest import act, assign

LIFE = ("accept", "start_travel", "arrive", "start_work", "complete")
# A Monday, far enough back that every 30-day window has closed.
MONDAY = (datetime.now(UTC) - timedelta(days=70)).replace(hour=0, minute=0, second=0, microsecond=0)
MONDAY -= timedelta(days=MONDAY.weekday())
DAY = {"from": MONDAY.isoformat(), "to": (MONDAY + timedelta(days=1)).isoformat()}
STROKES = [[[10, 10], [60, 40], [120, 20]]]


def _one(body):
    assert len(body["groups"]) == 1, body
    return body["groups"][0]


def _groups(r):
    assert r.status_code == 200, r.get_json()
    return {g["key"]: g for g in r.get_json()["groups"]}


def _run(clock, steps):
    for minutes, step in sorted(steps, key=lambda s: s[0]):
        with clock.at(MONDAY + timedelta(minutes=minutes)):
            step()


def _life(ticket, engineer, start, every=10, actions=LIFE):
    return [
        (start + every * i, lambda a=a: act(ticket, engineer, a)) for i, a in enumerate(actions)
    ]


# -- first-time fix ------------------------------------------------------------------------


@pytest.fixture()
def fixes(clock, make_user, make_ticket, make_asset, make_site, no_completion_rules):
    """T1 on asset A1 (one visit; T2 on A1 created 10 days after T1's completion: a repeat);
    T3 on A2 (model ZX-1; completed, reopened, back on site: two visits); T4 on A2 40 days
    after T3 (outside the 30-day window); T5 without an asset (one visit)."""
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    a1, a2 = make_asset(name="Chiller 1"), make_asset(name="Chiller 2")
    a2.model = "ZX-1"
    db.session.commit()
    with clock.at(MONDAY + timedelta(hours=8)):
        t1 = make_ticket(asset_id=a1.id)
        t3 = make_ticket(asset_id=a2.id)
        t5 = make_ticket()
    steps = [
        (490, lambda: assign(t1, eng, dispatcher)),
        (490, lambda: assign(t3, eng, dispatcher)),
        (490, lambda: assign(t5, eng, dispatcher)),
        *_life(t1, eng, 500),  # completed at 540
        *_life(t3, eng, 600),  # completed at 640
        (700, lambda: act(t3, dispatcher, "reopen")),
        *_life(t3, eng, 800),  # second arrival at 820, completed again at 840
        *_life(t5, eng, 900),
        (540 + 10 * 24 * 60, lambda: make_ticket(asset_id=a1.id)),  # T2: repeat of T1
        (840 + 40 * 24 * 60, lambda: make_ticket(asset_id=a2.id)),  # T4: too late to count
    ]
    _run(clock, steps)
    return {"a1": a1, "a2": a2, "eng": eng}


def test_first_time_fix_by_hand(fixes, report):
    g = _one(report("first-fix", **DAY).get_json())
    assert g == {
        "key": None,
        "completed": 3,
        "one_visit": 2,  # T1, T5
        "repeat_faults": 1,  # T1
        "first_time_fix": 1,  # T5
        "first_time_fix_pct": 33.33,
        "repeat_fault_pct": 33.33,
        "window_open": 0,
    }
    by_asset = _groups(report("first-fix", group_by="asset", **DAY))
    a1, a2 = str(fixes["a1"].id), str(fixes["a2"].id)
    assert {
        k: (g["completed"], g["repeat_faults"], g["one_visit"]) for k, g in by_asset.items()
    } == {
        None: (1, 0, 1),
        a1: (1, 1, 1),
        a2: (1, 0, 0),
    }
    by_model = _groups(report("first-fix", group_by="asset_model", **DAY))
    assert {k: g["repeat_fault_pct"] for k, g in by_model.items()} == {
        None: 0.0,
        "CX-900": 100.0,
        "ZX-1": 0.0,
    }
    only = _one(report("first-fix", asset_model="ZX-1", **DAY).get_json())
    assert (only["completed"], only["first_time_fix"]) == (1, 0)


def test_the_repeat_window_is_a_setting(fixes, report, app, monkeypatch):
    monkeypatch.setitem(app.config, "FIRST_FIX_WINDOW_DAYS", 5)  # T2 came 10 days later
    body = report("first-fix", **DAY).get_json()
    assert body["window_days"] == 5
    g = _one(body)
    assert (g["repeat_faults"], g["first_time_fix"]) == (0, 2)


def test_a_recent_completion_has_an_open_window(
    clock, make_user, make_ticket, make_asset, report, no_completion_rules
):
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    now = datetime.now(UTC)
    with clock.at(now - timedelta(days=2)) as c:
        t = make_ticket(asset_id=make_asset().id)
        assign(t, eng, dispatcher)
        for a in LIFE:
            c.advance(5)
            act(t, eng, a)
    period = {"from": (now - timedelta(days=3)).isoformat(), "to": now.isoformat()}
    g = _one(report("first-fix", **period).get_json())
    assert (g["completed"], g["first_time_fix"], g["window_open"]) == (1, 1, 1)


# -- customers -----------------------------------------------------------------------------


def test_customers_by_hand(
    clock,
    app,
    make_user,
    make_ticket,
    make_asset,
    make_customer,
    make_site,
    client,
    report,
    no_completion_rules,
):
    """Q1 reported by QR code: signed with 2 stars, then rated 5 on the tracking page (the
    tracking rating wins); S1 staff-made, signed with 4; S2 finished, unrated; S3 open; S4 at
    another customer, finished and unrated."""
    dispatcher, eng = make_user("dispatcher"), make_user("engineer")
    acme, other = make_customer("ACME"), make_customer("Other")
    asset = make_asset(site=make_site(customer=acme))
    site = asset.site_id
    with clock.at(MONDAY + timedelta(hours=8)) as c:
        q1 = public_ops.submit_report(
            qr_token=asset.qr_token,
            description="Leaking water",
            contact_name="Dana",
            priority="P3",
            sla_policy=app.config["SLA_POLICY"],
            dedupe_window=timedelta(minutes=10),
        ).ticket
        db.session.commit()
        s1, s2, s3 = (make_ticket(site_id=site) for _ in range(3))
        s4 = make_ticket(site_id=make_site(customer=other).id)
        for t in (q1, s1, s2, s3, s4):
            assign(t, eng, dispatcher)
        for t, stars in ((q1, 2), (s1, 4), (s2, None), (s4, None)):
            for a in LIFE[:-1]:
                c.advance(1)
                act(t, eng, a)
            c.advance(1)
            if stars:  # the sign-off completes the job (nothing else is missing)
                done = submit_signoff(
                    ops.get_ticket(t.id),
                    eng,
                    signer_name="Dana",
                    signature={"strokes": STROKES},
                    rating=stars,
                )
                db.session.commit()
                assert done.completed
            else:
                act(t, eng, "complete")
    tracking = db.session.get(type(q1), q1.id).tracking_token
    r = client.post(f"/api/v1/public/tracking/{tracking}/rating", json={"score": 5})
    assert r.status_code < 300, r.get_json()

    by_customer = _groups(report("customers", group_by="customer", **DAY))
    assert set(by_customer) == {str(acme.id), str(other.id)}
    g = by_customer[str(acme.id)]
    assert g == {
        "key": str(acme.id),
        "tickets": 4,
        "qr_reports": 1,
        "staff_created": 3,
        "qr_pct": 25.0,
        "finished": 3,
        "rated": 2,
        "rated_on_tracking": 1,
        "rated_at_signoff": 1,
        "response_pct": 66.67,
        "csat_avg": 4.5,
        "scores": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    all_ = _one(report("customers", **DAY).get_json())
    assert (all_["tickets"], all_["finished"], all_["rated"], all_["response_pct"]) == (
        5,
        4,
        2,
        50.0,
    )
    one = _one(report("customers", customer_id=str(other.id), **DAY).get_json())
    assert (one["tickets"], one["rated"], one["csat_avg"]) == (1, 0, None)


# -- workload ------------------------------------------------------------------------------


def _engineer(make_user, admin, start, end, days=(0, 1, 2, 3, 4)):
    user = make_user("engineer")
    create_profile(
        actor=admin,
        user_id=user.id,
        home=Location(13.4, 52.52),
        shift=ShiftSpec("UTC", list(days), time(start), time(end)),
    )
    db.session.commit()
    return user


def test_workload_by_hand(clock, make_user, make_ticket, report, no_completion_rules):
    """Monday, UTC. E1 (shift 08-17, 540 min), E2 (12-20, 480 min).
    A, E1: assign 8:00, accept 8:10, travel 8:20-8:50, on site 8:50-9:00, work 9:00-10:00,
       hold 10:00-10:30, work 10:30-11:00, complete 11:00.
    B, E1 then E2: assign 12:00, accept, travel 12:10-12:40, on site 12:40-13:00 when it is
       reassigned to E2: accept 13:05, travel 13:10-13:40, on site -13:45, work -14:45, done.
    C, E1: travel from 23:30 Monday to 0:30 Tuesday (30 min inside the day)."""
    admin, dispatcher = make_user("admin"), make_user("dispatcher")
    e1, e2 = _engineer(make_user, admin, 8, 17), _engineer(make_user, admin, 12, 20)
    with clock.at(MONDAY + timedelta(hours=7)):
        a, b, c = make_ticket(), make_ticket(), make_ticket()
    h = 60
    steps = [
        (8 * h, lambda: assign(a, e1, dispatcher)),
        (8 * h + 10, lambda: act(a, e1, "accept")),
        (8 * h + 20, lambda: act(a, e1, "start_travel")),
        (8 * h + 50, lambda: act(a, e1, "arrive")),
        (9 * h, lambda: act(a, e1, "start_work")),
        (10 * h, lambda: act(a, e1, "hold")),
        (10 * h + 30, lambda: act(a, e1, "resume")),
        (11 * h, lambda: act(a, e1, "complete")),
        (12 * h, lambda: assign(b, e1, dispatcher)),
        (12 * h + 5, lambda: act(b, e1, "accept")),
        (12 * h + 10, lambda: act(b, e1, "start_travel")),
        (12 * h + 40, lambda: act(b, e1, "arrive")),
        (13 * h, lambda: assign(b, e2, dispatcher)),
        (13 * h + 5, lambda: act(b, e2, "accept")),
        (13 * h + 10, lambda: act(b, e2, "start_travel")),
        (13 * h + 40, lambda: act(b, e2, "arrive")),
        (13 * h + 45, lambda: act(b, e2, "start_work")),
        (14 * h + 45, lambda: act(b, e2, "complete")),
        (23 * h, lambda: assign(c, e1, dispatcher)),
        (23 * h + 10, lambda: act(c, e1, "accept")),
        (23 * h + 30, lambda: act(c, e1, "start_travel")),
        (24 * h + 30, lambda: act(c, e1, "arrive")),
    ]
    _run(clock, steps)
    by_engineer = _groups(report("workload", group_by="engineer", **DAY))
    g1, g2 = by_engineer[str(e1.id)], by_engineer[str(e2.id)]
    assert g1["minutes"] == {"travel": 90.0, "on_site": 30.0, "work": 90.0, "paused": 30.0}
    assert (g1["completed"], g1["engineer_days"], g1["jobs_per_engineer_day"]) == (1, 1, 1.0)
    assert g1["shift_min"] == 540.0
    assert g1["shares"] == {"travel": 16.67, "on_site": 5.56, "work": 16.67}
    assert g2["minutes"] == {"travel": 30.0, "on_site": 5.0, "work": 60.0, "paused": 0.0}
    assert g2["shift_min"] == 480.0 and g2["shares"]["work"] == 12.5
    assert g2["completed"] == 1

    total = _one(report("workload", **DAY).get_json())
    assert total["minutes"] == {"travel": 120.0, "on_site": 35.0, "work": 150.0, "paused": 30.0}
    assert (total["completed"], total["engineers"], total["engineer_days"]) == (2, 2, 2)
    assert total["shift_min"] >= 1020.0  # every active engineer's roster counts
    # Tuesday: the rest of C's travel (30 min); the shift of each engineer on Tuesday
    tuesday = {"from": DAY["to"], "to": (MONDAY + timedelta(days=2)).isoformat()}
    tue = _groups(report("workload", group_by="engineer", **tuesday))[str(e1.id)]
    assert (tue["minutes"]["travel"], tue["shift_min"], tue["completed"]) == (30.0, 540.0, 0)
    # the engineer filter is the engineer who did the work: B's first half stays with E1
    only = _one(report("workload", engineer_id=str(e1.id), **DAY).get_json())
    assert only["minutes"]["travel"] == 90.0 and only["shift_min"] == 540.0
    # grouped by a ticket field: no shift share
    by_priority = _groups(report("workload", group_by="priority", **DAY))
    assert by_priority["P3"]["shift_min"] is None and by_priority["P3"]["shares"]["work"] is None
    # by hour bucket of the day
    by_day = _groups(report("workload", group_by="day", **DAY))
    assert list(by_day) == [MONDAY.date().isoformat()]


def test_shift_time_stops_at_now(make_user, report):
    """A period running into the future counts the shifts so far, as it counts the work so far
    (shifts to come would dilute the shares)."""
    engineer = _engineer(make_user, make_user("admin"), 0, 0, days=range(7))  # always on
    now = datetime.now(UTC)
    period = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=5)).isoformat(),
    }
    body = report("workload", engineer_id=str(engineer.id), **period).get_json()
    (g,) = body["groups"]  # the roster alone makes the group
    assert g["shift_min"] == pytest.approx(60, abs=1)


def test_batch_plans_kept_and_overridden(clock, app, make_user, make_ticket, make_region, report):
    """09:00 a plan assigns P1, P2, P3 to E2; 10:00 a dispatcher moves P1 to E1 (override);
    15:00 a second plan moves P3 to E1 (a plan, not a person)."""
    admin, dispatcher = make_user("admin"), make_user("dispatcher")
    make_region()
    e1, e2 = _engineer(make_user, admin, 0, 0), _engineer(make_user, admin, 0, 0)
    settings = current_settings()
    with clock.at(MONDAY + timedelta(hours=8)):
        p1, p2, p3 = make_ticket(), make_ticket(), make_ticket()

    def assign_by(ticket, engineer, *, plan):
        """As the plan's apply assigns (mode plan, reason "batch plan"), or as a person."""
        dispatch_ticket(
            ops.get_ticket(ticket.id),
            actor=dispatcher,
            settings=settings,
            engineer_id=engineer.id,
            reason=PLAN_REASON if plan else "customer asked for E1",
            now=clock.now,
            plan=plan,
        )
        db.session.commit()

    with clock.at(MONDAY + timedelta(hours=9)):
        for t in (p1, p2, p3):
            assign_by(t, e2, plan=True)
    with clock.at(MONDAY + timedelta(hours=10)):
        assign_by(p1, e1, plan=False)
    with clock.at(MONDAY + timedelta(hours=15)):
        assign_by(p3, e1, plan=True)
    g = _one(report("workload", **DAY).get_json())
    assert g["plans"] == {
        "applies": 2,
        "assignments": 4,
        "overridden": 1,
        "kept": 3,
        "overridden_pct": 25.0,
    }
    by_engineer = _groups(report("workload", group_by="engineer", **DAY))
    assert by_engineer[str(e2.id)]["plans"]["overridden"] == 1
    assert by_engineer[str(e2.id)]["plans"]["assignments"] == 3
    assert by_engineer[str(e1.id)]["plans"]["assignments"] == 1
    assert by_engineer[str(e1.id)]["plans"]["overridden"] == 0


# -- parts ---------------------------------------------------------------------------------


def test_parts_by_hand(clock, make_user, make_ticket, make_asset, report):
    """E1's van holds 5 filters: uses 2 on T1 and 4 on T2 (the van goes to -1: a stock-out);
    E2's empty van: 1 valve on T3 (a stock-out)."""
    dispatcher = make_user("dispatcher")
    e1, e2 = make_user("engineer"), make_user("engineer")
    with clock.at(MONDAY + timedelta(hours=8)):
        flt = parts_ops.create_part(actor=dispatcher, sku="FLT-10", name="Filter")
        valve = parts_ops.create_part(actor=dispatcher, sku="VLV-2", name="Valve")
        vans = {
            e: parts_ops.create_location(
                actor=dispatcher, name=f"Van {e.name}", kind="van", engineer_id=e.id
            )
            for e in (e1, e2)
        }
        parts_ops.post_movement(
            actor=dispatcher, part_id=flt.id, quantity=Decimal(5), to_location_id=vans[e1].id
        )
        db.session.commit()
        t1, t2 = make_ticket(asset_id=make_asset().id), make_ticket()
        t3 = make_ticket(asset_id=make_asset().id)
        for t, e in ((t1, e1), (t2, e1), (t3, e2)):
            assign(t, e, dispatcher)
            act(t, e, "accept")
        for t, e, part, qty in ((t1, e1, flt, 2), (t2, e1, flt, 4), (t3, e2, valve, 1)):
            parts_ops.consume_part(ops.get_ticket(t.id), e, part_id=part.id, quantity=Decimal(qty))
            db.session.commit()
    rows = report("parts", **DAY).get_json()["groups"]
    assert [(r["sku"], r["usages"], r["quantity"], r["tickets"], r["stockouts"]) for r in rows] == [
        ("FLT-10", 2, 6.0, 2, 1),
        ("VLV-2", 1, 1.0, 1, 1),
    ]
    by_engineer = report("parts", group_by="engineer", **DAY).get_json()["groups"]
    assert [(r["key"], r["sku"], r["quantity"]) for r in by_engineer] == sorted(
        [(str(e1.id), "FLT-10", 6.0), (str(e2.id), "VLV-2", 1.0)]
    )
    by_model = report("parts", group_by="asset_model", **DAY).get_json()["groups"]
    assert [(r["key"], r["sku"], r["quantity"]) for r in by_model] == [
        (None, "FLT-10", 4.0),
        ("CX-900", "FLT-10", 2.0),
        ("CX-900", "VLV-2", 1.0),
    ]
    by_part = report("parts", group_by="part", engineer_id=str(e2.id), **DAY).get_json()
    assert [(r["key"], r["quantity"]) for r in by_part["groups"]] == [(str(valve.id), 1.0)]


# -- access and input ----------------------------------------------------------------------

KINDS = ("first-fix", "workload", "customers", "parts")


@pytest.mark.parametrize("kind", KINDS)
def test_staff_only(client, report, make_user, kind):
    assert report(kind, user=make_user("engineer"), **DAY).status_code == 403
    assert client.get(f"/api/v1/reports/{kind}", query_string=DAY).status_code == 401
    r = report(kind, user=make_user("admin"), **DAY)
    assert r.status_code == 200 and r.get_json()["groups"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": DAY["to"]}, "from"),
        ({**DAY, "to": DAY["from"]}, "to"),
        ({**DAY, "group_by": "colour"}, "group_by"),
        ({**DAY, "customer_id": "acme"}, "customer_id"),
        ({**DAY, "asset_model": ""}, "asset_model"),
        ({**DAY, "engineer_id": "7"}, "engineer_id"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_is_a_clear_422(report, kind, query, field):
    r = report(kind, **query)
    assert r.status_code == 422, r.get_json()
    assert field in str(r.get_json()["errors"])


def test_each_report_offers_its_own_groups(report):
    assert report("parts", group_by="part", **DAY).status_code == 200
    assert report("first-fix", group_by="part", **DAY).status_code == 422
    assert report("first-fix", group_by="asset", **DAY).status_code == 200
    assert report("workload", group_by="asset", **DAY).status_code == 422
