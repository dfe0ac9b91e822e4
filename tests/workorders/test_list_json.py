"""The ticket list's JSON written by PostgreSQL (``workorders.list_json``) is ``TicketOut``'s
dump: the SLA clocks at their edges, timestamps with and without microseconds, numbers past
six digits, tickets without regions or skills, every status's engineer actions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from backend.db import db
from backend.workorders.list_json import ticket_page, verify_page
from backend.workorders.models import Ticket
from backend.workorders.queries import LIST_COLUMNS, TicketRow
from backend.workorders.sla import ticket_state
from backend.workorders.states import Actor, Status, allowed_actions

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _page(ids, now, fraction=0.75):
    t = Ticket.__table__.c
    ids = sorted(ids)
    body = [json.loads(text) for text in db.session.scalars(ticket_page(ids, now, fraction))]
    rows = [
        TicketRow(dict(r._mapping))
        for r in db.session.execute(
            select(*(t[c] for c in LIST_COLUMNS)).where(t.id.in_(ids)).order_by(t.id)
        )
    ]
    return body, rows


def _set(ticket, **values):
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(**values))
    db.session.commit()


def test_sla_edges_match_ticket_state(make_ticket):
    """Each branch of ``clock_state`` and the exact at-risk boundary, both clocks."""
    h = timedelta(hours=1)
    cases = [
        # (respond_by, resolve_by, responded_at, resolved_at) around created_at = T0
        (T0 + h, T0 + 4 * h, None, None),  # used 0.5 of 1 h at now = T0 + 30 min: ok
        (T0 + h, T0 + 4 * h, T0 + h, None),  # responded exactly at the deadline: met
        (T0 + h, T0 + 4 * h, T0 + h + timedelta(microseconds=1), None),  # a microsecond late
        (T0, T0 + 4 * h, None, None),  # zero window: at risk until late
        (T0 - h, T0 + 4 * h, None, None),  # deadline before creation: late
        (T0 + h, T0 + 4 * h, T0, T0 + 2 * h),  # both clocks met
        (T0 + 40 * timedelta(minutes=1), T0 + 4 * h, None, None),  # 30/40 = 0.75 exactly
        (T0 + 40 * timedelta(minutes=1) + timedelta(microseconds=1), T0 + 4 * h, None, None),
    ]
    now = T0 + timedelta(minutes=30)
    tickets = []
    for respond_by, resolve_by, responded_at, resolved_at in cases:
        ticket = make_ticket()
        _set(
            ticket,
            created_at=T0,
            respond_by=respond_by,
            resolve_by=resolve_by,
            responded_at=responded_at,
            resolved_at=resolved_at,
        )
        tickets.append(ticket)
    body, rows = _page([t.id for t in tickets], now)
    states = [item["sla"]["state"] for item in body]
    expected = [
        ticket_state(now, T0, r.respond_by, r.resolve_by, r.responded_at, r.resolved_at, 0.75)
        for r in rows
    ]
    assert states == [s.value for s in expected]
    assert {"ok", "met", "breached", "at_risk"} <= set(states)
    verify_page(body, rows, now, 0.75)


def test_timestamps_numbers_and_empty_values_are_dumped_as_the_schema_does(make_ticket):
    whole = make_ticket()
    _set(whole, created_at=T0, updated_at=T0 + timedelta(microseconds=120000), seq=1_234_567)
    bare = make_ticket()
    _set(bare, region_ids=[], required_skills=[])
    body, rows = _page([whole.id, bare.id], T0)
    by_id = {item["id"]: item for item in body}
    assert by_id[str(whole.id)]["created_at"] == "2026-03-29T00:30:00+00:00"
    assert by_id[str(whole.id)]["updated_at"] == "2026-03-29T00:30:00.120000+00:00"
    assert by_id[str(whole.id)]["number"] == "T-1234567"
    assert by_id[str(bare.id)]["required_skills"] == []
    assert by_id[str(bare.id)]["unrouted"] is True
    verify_page(body, rows, T0, 0.75)


def test_every_status_offers_the_state_machines_engineer_actions(make_ticket):
    tickets = [make_ticket() for _ in Status]
    for ticket, status in zip(tickets, Status, strict=True):
        _set(ticket, status=status.value)
    body, rows = _page([t.id for t in tickets], T0)
    for item in body:
        assert item["allowed_actions"] == allowed_actions(item["status"], Actor.ENGINEER)
    verify_page(body, rows, T0, 0.75)


_offsets = st.integers(min_value=-10 * 3600 * 10**6, max_value=10 * 3600 * 10**6)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    respond=_offsets,
    resolve=_offsets,
    responded=st.none() | _offsets,
    resolved=st.none() | _offsets,
    now=_offsets,
    fraction=st.sampled_from([0.5, 0.75, 0.9, 1.0]),
)
def test_random_clocks_agree_with_ticket_state(
    make_ticket, respond, resolve, responded, resolved, now, fraction
):
    def at(us):
        return None if us is None else T0 + timedelta(microseconds=us)

    ticket = make_ticket()
    _set(
        ticket,
        created_at=T0,
        respond_by=at(respond),
        resolve_by=at(resolve),
        responded_at=at(responded),
        resolved_at=at(resolved),
    )
    body, rows = _page([ticket.id], at(now), fraction)
    verify_page(body, rows, at(now), fraction)


def test_a_drifted_rule_is_caught(make_ticket):
    """``verify_page`` fails when the SQL says something the schema would not."""
    ticket = make_ticket()
    body, rows = _page([ticket.id], T0)
    body[0]["allowed_actions"] = ["fly"]
    try:
        verify_page(body, rows, T0, 0.75)
    except AssertionError:
        return
    raise AssertionError("verify_page accepted a page whose allowed_actions differ")
