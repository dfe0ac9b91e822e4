"""Property test: after random ticket life cycles (the walk of test_reports_properties.py:
assign, reassign, unassign, accept, reject, travel, arrive, work, hold, complete, close, cancel,
reopen), corrections (priority, location), customers' ratings (on the tracking page and with
the signature, second signatures kept as conflicts), new QR reports, and parts (receipts,
transfers, consumption from vans and the warehouse, online, offline by an engineer the job
was taken from, and replayed), all through the real operations at controlled times, the
Customers and Parts reports equal a recomputation in plain Python from the raw rows, following
docs/kpis.md's words rather than its SQL.

Stock-outs are recomputed from the ledger itself (``stock_movements`` replayed in time order,
a use that leaves its location below zero), not read from the ``negative_stock`` flag the
report counts. Each example builds its own customers, assets and parts (SKUs unique per
example) in its own stretch of time, so examples never see each other's rows.
``KPI_PROPERTY_EXAMPLES`` (default 30, about 25 s) raises the count for a longer local run.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from hypothesis import event, given
from sqlalchemy import select

from backend.accounts.models import User
from backend.assets.models import Asset, Site
from backend.db import db
from backend.parts import operations as parts_ops
from backend.parts.models import Part, PartUsage, StockLevel, StockLocation, StockMovement
from backend.public import operations as public_ops
from backend.signoff.models import Signoff
from backend.signoff.operations import SIGNABLE, submit_signoff
from backend.workorders import operations as ops
from backend.workorders.evidence import was_ever_assigned
from backend.workorders.models import Ticket
from backend.workorders.states import Status
from tests.reports import test_reports_properties as walk
from tests.reports.conftest import People, walk_settings
from tests.reports.test_reports_properties import _options, _take, approx
from tests.reports.test_rollups_properties import _correct, _finish, _rate

SETTINGS = walk_settings("KPI_PROPERTY_EXAMPLES", 30)
# Examples 45 days apart (a walk lasts at most 70 x 600 min plus its finishing steps, under
# 30 days), all in the past even when hypothesis runs many more than max_examples.
SPACING = timedelta(days=45)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - SPACING * 400
_windows = itertools.count()
STROKES = [[[10, 10], [60, 40], [120, 20]]]
FINISHED = (Status.COMPLETED, Status.CLOSED)
UNITS = ("pcs", "m", "l")

# (priority, place: 0-2 one of the three assets, 3 a site without an asset, 4 a bare place;
# reported by QR code (assets only), minutes after the example's start)
tickets_st = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4"]),
        st.integers(0, 4),
        st.booleans(),
        st.integers(0, 600),
    ),
    min_size=1,
    max_size=4,
)
# (which ticket; kind: 0-5 the next step of a normal job, 6-7 any other allowed move,
# 8 a correction, 9 a tracking-page rating, 10-11 a sign-off, 12 a new ticket, 13-14 a part
# used on the job, 15 a stock movement, 16 a replayed or offline use, 17-18 the normal way on
# to completed; which option, minutes since the last step)
steps_st = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 18), st.integers(0, 29), st.integers(1, 600)),
    min_size=30,
    max_size=70,
)
CUSTOMER_GROUPS = [
    "none", "priority", "region", "engineer", "customer", "asset_model", "day", "week", "month",
]  # fmt: skip
PARTS_GROUPS = [*CUSTOMER_GROUPS, "part"]
NARROW = ["none", "priority", "engineer", "region", "customer", "asset_model"]


class World:
    """One example's customers, assets, parts and stock locations, and the uses recorded."""

    def __init__(
        self, app: Any, people: People, make_customer: Any, make_site: Any, make_asset: Any
    ):
        self.sla_policy = app.config["SLA_POLICY"]
        dispatcher = db.session.get(User, people.dispatcher.id)
        c1, c2 = make_customer("C1"), make_customer("C2")
        self.customers = [c1, c2]
        # Assets: CX-900 at C1 in region 1; ZX-1 at C2 in region 2; no model at C1 in both.
        self.assets = [
            make_asset(make_site(*walk.PLACES[0], customer=c1)),
            make_asset(make_site(*walk.PLACES[2], customer=c2)),
            make_asset(make_site(*walk.PLACES[1], customer=c1)),
        ]
        self.assets[1].model = "ZX-1"
        self.assets[2].model = None
        # A site of C2 outside every region (tickets at the site, without an asset).
        self.site = make_site(*walk.PLACES[3], customer=c2)
        db.session.commit()
        n = next(_windows)
        self.n = n
        self.parts = [
            parts_ops.create_part(
                actor=dispatcher, sku=f"K{n:04d}-{i}", name=f"Part {i}", unit=UNITS[i]
            )
            for i in range(3)
        ]
        self.warehouse = parts_ops.create_location(
            actor=dispatcher, name=f"Warehouse {n}", kind="warehouse"
        )
        for e in people.engineers:
            if parts_ops.van_of(e.id) is None:
                parts_ops.create_location(
                    actor=dispatcher, name=f"Van {e.name}", kind="van", engineer_id=e.id
                )
        db.session.commit()
        self.usages: list[PartUsage] = []
        self.reports = 0

    def van(self, engineer_id: uuid.UUID) -> StockLocation:
        van = parts_ops.van_of(engineer_id)
        assert van is not None
        return van


def _make(make_ticket: Any, world: World, priority: str, place: int, qr: bool, now: datetime):
    if place < 3 and qr:
        world.reports += 1
        ticket = public_ops.submit_report(
            qr_token=world.assets[place].qr_token,
            description=f"Fault {world.reports}",
            contact_name="Dana",
            priority=priority,
            sla_policy=world.sla_policy,
            dedupe_window=timedelta(minutes=10),
            now=now,
        ).ticket
        db.session.commit()
        return ticket
    if place < 3:
        return make_ticket(priority=priority, now=now, asset_id=world.assets[place].id)
    if place == 3:
        return make_ticket(priority=priority, now=now, site_id=world.site.id)
    lon, lat = walk.PLACES[3]
    return make_ticket(priority=priority, now=now, lon=lon, lat=lat)


def _sign(ticket: Ticket, choice: int, people: People, clock: Any) -> None:
    """The customer signs, with a rating or without: online on the phone of whoever holds the
    job (the dispatcher's console when nobody does), or now and then synced from the phone of
    an engineer the job was since taken from (kept as evidence, whatever the job's status). A
    second, different signature is kept as a conflict: its rating must not count. Signing a
    job in progress completes it."""
    ticket = ops.get_ticket(ticket.id)
    signer = {
        "signer_name": f"Signer {choice % 3}",
        "signature": {"strokes": STROKES},
        "rating": (choice % 6) or None,
    }
    if choice % 5 == 4:
        for engineer in _engineers():
            if engineer.id != ticket.assignee_id and was_ever_assigned(ticket, engineer):
                at = clock.now - timedelta(minutes=10)
                submit_signoff(ticket, engineer, offline=True, occurred_at=at, **signer)
                db.session.commit()
                return
    if ticket.status not in SIGNABLE:
        return
    user = db.session.get(User, ticket.assignee_id or people.dispatcher.id)
    submit_signoff(ticket, user, **signer)
    db.session.commit()


def _engineers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "engineer").order_by(User.id)))


def _level(part_id: uuid.UUID, location_id: uuid.UUID) -> Decimal:
    level = db.session.scalar(
        select(StockLevel.quantity).where(
            StockLevel.part_id == part_id, StockLevel.location_id == location_id
        )
    )
    return Decimal(0) if level is None else level


def _move_stock(world: World, choice: int, people: People) -> None:
    """Stock in: a receipt at the warehouse or straight into a van, or a transfer from the
    warehouse to a van of what the warehouse holds (staff movements never go below zero)."""
    dispatcher = db.session.get(User, people.dispatcher.id)
    part = world.parts[choice % 3]
    van = world.van(people.engineers[(choice // 3) % 2].id)
    quantity = Decimal(1 + choice % 4)
    match (choice // 6) % 3:
        case 0:
            where: dict[str, Any] = {"to_location_id": world.warehouse.id}
        case 1:
            where = {"to_location_id": van.id}
        case _:
            quantity = min(quantity, _level(part.id, world.warehouse.id))
            if quantity <= 0:
                return
            where = {"from_location_id": world.warehouse.id, "to_location_id": van.id}
    parts_ops.post_movement(actor=dispatcher, part_id=part.id, quantity=quantity, **where)
    db.session.commit()


def _use(world: World, ticket: Ticket, choice: int, people: People) -> None:
    """A part used on the job, recorded online by the engineer holding it (from their van) or
    by the dispatcher at the console (from the warehouse)."""
    if ticket.status in parts_ops.CLOSED_FOR_PARTS:
        return
    part = world.parts[choice % 3]
    quantity = Decimal(1 + choice % 3) if choice % 5 else Decimal("0.5")
    if ticket.assignee_id is not None and choice % 4:
        user = db.session.get(User, ticket.assignee_id)
        location_id = None  # the engineer's own van
    else:
        user = db.session.get(User, people.dispatcher.id)
        location_id = world.warehouse.id
    done = parts_ops.consume_part(
        ops.get_ticket(ticket.id), user, part_id=part.id, quantity=quantity, location_id=location_id
    )
    db.session.commit()
    world.usages.append(done.usage)


def _replay_or_offline(world: World, ticket: Ticket, choice: int, clock: Any) -> None:
    """A phone's push: either a retry of a use already recorded (idempotent by its id: no
    second record), or a use recorded offline 20 minutes ago by an engineer who held the job
    (kept as evidence even if it was since reassigned, cancelled or closed)."""
    if choice % 2 and world.usages:
        u = world.usages[choice % len(world.usages)]
        user = db.session.get(User, u.engineer_id)
        again = parts_ops.consume_part(
            ops.get_ticket(u.ticket_id),
            user,
            part_id=u.part_id,
            quantity=u.quantity,
            usage_id=u.id,
            offline=True,
        )
        db.session.commit()
        assert not again.created
        return
    ticket = ops.get_ticket(ticket.id)
    for engineer in _engineers():
        if ticket.assignee_id == engineer.id or was_ever_assigned(ticket, engineer):
            if parts_ops.van_of(engineer.id) is None:
                continue
            done = parts_ops.consume_part(
                ticket,
                engineer,
                part_id=world.parts[choice % 3].id,
                quantity=Decimal(1 + choice % 2),
                usage_id=uuid.uuid4(),
                offline=True,
                occurred_at=clock.now - timedelta(minutes=20),
            )
            db.session.commit()
            world.usages.append(done.usage)
            return


def _walk(clock, people, make_ticket, world, made, steps, app) -> None:
    for which, kind, choice, delay in steps:
        clock.advance(delay)
        ticket = db.session.get(Ticket, made[which % len(made)].id)
        if kind == 8:
            _correct(ticket, choice, people, app)
        elif kind == 9:  # the customer of a finished QR report, if any, rates it
            rateable = [t for t in made if t.source == "public"]
            for t in rateable[which % max(len(rateable), 1) :] + rateable:
                t = db.session.get(Ticket, t.id)
                if t.status in FINISHED and t.rating is None:
                    _rate(t, choice)
                    break
        elif kind in (10, 11):
            _sign(ticket, choice, people, clock)
        elif kind == 12:
            place, qr = choice % 5, bool(choice % 2)
            made.append(_make(make_ticket, world, f"P{1 + choice % 4}", place, qr, clock.now))
        elif kind in (13, 14):
            _use(world, ticket, choice, people)
        elif kind == 15:
            _move_stock(world, choice, people)
        elif kind == 16:
            _replay_or_offline(world, ticket, choice, clock)
        elif kind >= 17:
            _finish(ticket, people, clock)
        else:
            options = _options(ticket, forward=kind < 6)
            if options:
                _take(ticket, options[choice % len(options)], people)


# ---- the recomputation ----------------------------------------------------------------------


def _where(t: Ticket) -> tuple[Asset | None, Site | None]:
    """The ticket's asset, and the site that names its customer: its own, else its asset's."""
    asset = db.session.get(Asset, t.asset_id) if t.asset_id else None
    site_id = t.site_id or (asset.site_id if asset else None)
    return asset, db.session.get(Site, site_id) if site_id else None


def _kept(t: Ticket, engineer: uuid.UUID | None, q: dict[str, Any]) -> bool:
    """The filters, on the ticket (and on the engineer the report names: the current assignee
    for a ticket cohort, the one who recorded the use for parts)."""
    asset, site = _where(t)
    return (
        (q.get("priority") is None or t.priority == q["priority"])
        and (q.get("engineer_id") is None or str(engineer) == q["engineer_id"])
        and (q.get("region_id") is None or uuid.UUID(q["region_id"]) in t.region_ids)
        and (q.get("customer_id") is None or (site and str(site.customer_id)) == q["customer_id"])
        and (q.get("asset_model") is None or (asset and asset.model) == q["asset_model"])
    )


def _day(at: datetime) -> Any:
    return at.astimezone(UTC).date()


def _keys(
    t: Ticket, group_by: str, q: dict[str, Any], engineer: uuid.UUID | None, at: datetime, part=None
) -> list[str | None]:
    asset, site = _where(t)
    day = _day(at)
    match group_by:
        case "none":
            return [None]
        case "priority":
            return [str(t.priority)]
        case "region":  # once in each region it lies in (only the one asked for), else null
            if not t.region_ids:
                return [None]
            return [str(r) for r in t.region_ids if q.get("region_id") in (None, str(r))]
        case "engineer":
            return [str(engineer) if engineer else None]
        case "customer":
            return [str(site.customer_id) if site else None]
        case "asset_model":
            return [asset.model if asset else None]
        case "part":
            return [str(part)]
        case "day":
            return [day.isoformat()]
        case "week":
            return [(day - timedelta(days=day.weekday())).isoformat()]
        case _:
            return [day.replace(day=1).isoformat()]


def _pct(part: int, whole: int) -> float | None:
    # Python's round of the float, as the other report tests read "2 decimals" (a tie at the
    # third decimal needs 8 or more rated jobs in a group, which these walks do not reach).
    return round(100 * part / whole, 2) if whole else None


def expected_customers(
    start: datetime, end: datetime, group_by: str, q: dict[str, Any]
) -> dict[str | None, dict[str, Any]]:
    out: dict[str | None, dict[str, Any]] = {}
    for t in db.session.scalars(select(Ticket)):
        if not (start <= t.created_at < end) or not _kept(t, t.assignee_id, q):
            continue
        signed = db.session.scalars(
            select(Signoff).where(Signoff.ticket_id == t.id, Signoff.status == "accepted")
        ).all()
        assert len(signed) <= 1  # one accepted signature; later ones are conflicts
        signoff_rating = signed[0].rating if signed else None
        # The tracking page's rating wins; the sign-off's counts when it is the only one.
        score = t.rating if t.rating is not None else signoff_rating
        on = "tracking" if t.rating is not None else "signoff" if score is not None else None
        finished = t.status in FINISHED
        for key in _keys(t, group_by, q, t.assignee_id, t.created_at):
            g = out.setdefault(
                key,
                {"tickets": 0, "qr": 0, "finished": 0, "tracking": 0, "signoff": 0, "ratings": []},
            )
            g["tickets"] += 1
            g["qr"] += t.source == "public"
            if finished:
                g["finished"] += 1
                g["tracking"] += on == "tracking"
                g["signoff"] += on == "signoff"
                if score is not None:
                    g["ratings"].append(score)
    return {
        k: {
            "tickets": g["tickets"],
            "qr_reports": g["qr"],
            "staff_created": g["tickets"] - g["qr"],
            "qr_pct": _pct(g["qr"], g["tickets"]),
            "finished": g["finished"],
            "rated": len(g["ratings"]),
            "rated_on_tracking": g["tracking"],
            "rated_at_signoff": g["signoff"],
            "response_pct": _pct(len(g["ratings"]), g["finished"]),
            "csat_avg": round(sum(g["ratings"]) / len(g["ratings"]), 2) if g["ratings"] else None,
            "scores": {str(n): g["ratings"].count(n) for n in range(1, 6)},
        }
        for k, g in out.items()
    }


def stock_outs(part_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The consumption movements the stock did not cover: the ledger replayed in time order,
    each location's level after the use below zero. Also checks the levels table against the
    replay."""
    moves = db.session.scalars(select(StockMovement).where(StockMovement.part_id.in_(part_ids)))
    level: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = defaultdict(Decimal)
    out = set()
    for m in sorted(moves, key=lambda m: m.created_at):
        if m.to_location_id is not None:
            level[(m.part_id, m.to_location_id)] += m.quantity
        if m.from_location_id is not None:
            level[(m.part_id, m.from_location_id)] -= m.quantity
            if m.kind == "consumption" and level[(m.part_id, m.from_location_id)] < 0:
                out.add(m.id)
    for row in db.session.scalars(select(StockLevel).where(StockLevel.part_id.in_(part_ids))):
        assert row.quantity == level[(row.part_id, row.location_id)]
    return out


def expected_parts(
    start: datetime, end: datetime, group_by: str, q: dict[str, Any], parts: list[Part]
) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in parts}
    short = stock_outs(list(by_id))
    out: dict[tuple[str | None, uuid.UUID], dict[str, Any]] = {}
    for u in db.session.scalars(select(PartUsage).where(PartUsage.part_id.in_(list(by_id)))):
        t = db.session.get(Ticket, u.ticket_id)
        assert t is not None
        # Counted when the server recorded it, for whoever recorded it.
        if not (start <= u.created_at < end) or not _kept(t, u.engineer_id, q):
            continue
        for key in _keys(t, group_by, q, u.engineer_id, u.created_at, part=u.part_id):
            g = out.setdefault(
                (key, u.part_id), {"usages": 0, "quantity": Decimal(0), "tickets": set(), "out": 0}
            )
            g["usages"] += 1
            g["quantity"] += u.quantity
            g["tickets"].add(u.ticket_id)
            g["out"] += u.movement_id in short
    rows = [
        {
            "key": key,
            "part_id": str(part_id),
            "sku": by_id[part_id].sku,
            "name": by_id[part_id].name,
            "unit": by_id[part_id].unit,
            "usages": g["usages"],
            "quantity": float(g["quantity"]),
            "tickets": len(g["tickets"]),
            "stockouts": g["out"],
        }
        for (key, part_id), g in out.items()
    ]
    # by group (null first, then text order), then SKU
    return sorted(rows, key=lambda r: (r["key"] is not None, r["key"] or "", r["sku"]))


# ---- the property -------------------------------------------------------------------------------


@SETTINGS
@given(
    tickets=tickets_st,
    steps=steps_st,
    c_group=st.sampled_from(CUSTOMER_GROUPS),
    c_group2=st.sampled_from(CUSTOMER_GROUPS),
    p_group=st.sampled_from(PARTS_GROUPS),
    p_group2=st.sampled_from(PARTS_GROUPS),
    narrow=st.sampled_from(NARROW),
    c_hours=st.tuples(st.sampled_from([0, 0, 3, 7]), st.sampled_from([24 * 45, 24, 9])),
    p_hours=st.tuples(st.sampled_from([0, 0, 13, 40]), st.sampled_from([24 * 45] * 3 + [48, 5])),
)
def test_customers_and_parts_equal_a_recomputation(
    app, clock, people, make_ticket, make_customer, make_site, make_asset, report,
    no_completion_rules, tickets, steps, c_group, c_group2, p_group, p_group2, narrow, c_hours,
    p_hours,
):  # fmt: skip
    world = World(app, people, make_customer, make_site, make_asset)
    start = START + SPACING * world.n
    made = []
    for priority, place, qr, offset in tickets:
        with clock.at(start + timedelta(minutes=offset)):
            made.append(_make(make_ticket, world, priority, place, qr, clock.now))
    with clock.at(start + timedelta(minutes=601)):
        # stock to begin with: a little in the warehouse and in engineer 0's van
        _move_stock(world, 0, people)
        _move_stock(world, 6 + 1, people)
        _walk(clock, people, make_ticket, world, made, steps, app)

    q: dict[str, Any] = {}
    if narrow == "priority":
        q["priority"] = tickets[0][0]
    elif narrow == "engineer":
        q["engineer_id"] = str(people.engineers[0].id)
    elif narrow == "region":
        q["region_id"] = str(people.regions[0])
    elif narrow == "customer":
        q["customer_id"] = str(world.customers[len(steps) % 2].id)
    elif narrow == "asset_model":
        q["asset_model"] = "ZX-1" if len(steps) % 2 else "CX-900"

    whole = (start, start + SPACING)
    c_period = tuple(start + timedelta(hours=h) for h in c_hours)
    for group_by, query, period in ((c_group, q, c_period), (c_group2, {}, whole)):
        groups = _check_customers(report, group_by, query, period)
    for what in ("finished", "rated", "rated_on_tracking", "rated_at_signoff", "qr_reports"):
        event(f"customers {what}: {'some' if any(g[what] for g in groups) else 'none'}")

    p_from = start + timedelta(hours=p_hours[0])
    p_period = (p_from, min(p_from + timedelta(hours=p_hours[1]), start + SPACING))
    for group_by, query, period in ((p_group, q, p_period), (p_group2, {}, whole)):
        rows = _check_parts(report, group_by, query, period, world.parts)
    event(f"parts rows: {min(len(rows), 5)}")
    event(f"parts stock-outs: {'some' if any(g['stockouts'] for g in rows) else 'none'}")


def _span(period: tuple[datetime, ...]) -> dict[str, str]:
    return {"from": period[0].isoformat(), "to": period[1].isoformat()}


def _check_customers(report: Any, group_by: str, q: dict[str, Any], period: Any) -> list[Any]:
    r = report("customers", group_by=group_by, **q, **_span(period))
    assert r.status_code == 200, r.get_json()
    groups = r.get_json()["groups"]
    got = {g.pop("key"): g for g in groups}
    assert got == approx(expected_customers(*period, group_by, q))
    # the null group first, the others in text order
    assert list(got) == sorted(got, key=lambda k: (k is not None, k or ""))
    return groups


def _check_parts(report: Any, group_by: str, q: dict[str, Any], period: Any, parts: Any) -> Any:
    r = report("parts", group_by=group_by, **q, **_span(period))
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()["groups"]
    assert rows == expected_parts(*period, group_by, q, parts)
    return rows
