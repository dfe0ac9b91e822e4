"""A ticket list page as JSON text written by PostgreSQL, for the busiest staff read.

Why: the dispatcher's board asks for 50 tickets every few seconds. In Python each page cost
psycopg's conversion of ~1,000 values into objects (UUIDs, datetimes, arrays, WKB), one
generated dump per ticket (``fastdump``) and orjson's encoding: about half of the list
request's CPU in the web process, which is the scarce resource (issue #13: CPU per request).
PostgreSQL already has the values in its own representation and writes JSON in C; the web
process then joins 50 strings.

The rules stay Python's. Each derived value is compiled from its Python definition here:
``number`` from ``ticket_number``'s format, ``allowed_actions`` from the state machine's
table (one ``CASE`` generated from ``states.allowed_actions`` for every status), ``sla.state``
from ``sla.ticket_state`` (the same comparisons, in the same floating-point arithmetic), and
the JSON is ``TicketOut``'s. With ``fastdump.VERIFY`` on (the test suite turns it on) every
page is also dumped by ``TicketOut`` from the same rows at the same instant and the two must be
equal (``verify_page``), so any drift between the SQL and the Python rule fails the request
that showed it; ``tests/workorders/test_list_json.py`` walks the SLA clocks' edges.

Timestamps are written in UTC (``+00:00``), as Python writes the values psycopg reads on a
UTC session; microseconds are omitted when zero, as ``datetime.isoformat`` does.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text

from backend.workorders.models import ticket_number
from backend.workorders.sla import STATE_RANK, SlaState, ticket_state
from backend.workorders.states import Actor, Status, allowed_actions


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _iso(col: str) -> str:
    """``datetime.isoformat()`` of a UTC ``timestamptz``: no fraction when it is zero."""
    utc = f"({col} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE WHEN date_trunc('second', {col}) = {col} THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00'"
    )  # NULL stays NULL


def _number() -> str:
    """``ticket_number``: ``T-`` and at least six digits."""
    assert ticket_number(7) == "T-000007", "ticket_number changed: update this compilation"
    return "'T-' || lpad(t.seq::text, greatest(6, length(t.seq::text)), '0')"


def _engineer_actions() -> str:
    """``allowed_actions(status, ENGINEER)`` as a JSON array, from the state machine itself."""
    arrays = {s.value: json.dumps(allowed_actions(s.value, Actor.ENGINEER)) for s in Status}
    whens = " ".join(f"WHEN {_quote(k)} THEN {_quote(v)}::json" for k, v in arrays.items())
    return f"CASE t.status {whens} ELSE '[]'::json END"


_NOW = "CAST(:list_now AS timestamptz)"
_FRACTION = "CAST(:list_at_risk AS float8)"


def _seconds(interval: str) -> str:
    # timedelta.total_seconds(): exact microseconds, then one rounding to a double.
    return f"extract(epoch FROM {interval})::float8"


def _clock_rank(deadline: str, done: str) -> str:
    """``sla.clock_state``'s state, as its rank in ``ticket_state``'s order."""
    window = _seconds(f"{deadline} - t.created_at")
    used = _seconds(f"{_NOW} - t.created_at")
    r = STATE_RANK
    return (
        f"CASE WHEN {done} IS NOT NULL THEN"
        f" CASE WHEN {done} <= {deadline} THEN {r[SlaState.MET]} ELSE {r[SlaState.BREACHED]} END"
        f" WHEN {_NOW} > {deadline} THEN {r[SlaState.BREACHED]}"
        f" WHEN {window} <= 0 THEN {r[SlaState.AT_RISK]}"
        f" WHEN {used} / {window} >= {_FRACTION} THEN {r[SlaState.AT_RISK]}"
        f" ELSE {r[SlaState.OK]} END"
    )


def _sla() -> tuple[str, str]:
    """``{breached, resolve_by, respond_by, state}`` of the row's ``sla.rank``, and that
    rank: ``ticket_state`` is the worse of the two clocks."""
    names = " ".join(f"WHEN {rank} THEN {_quote(s.value)}" for s, rank in STATE_RANK.items())
    ranked = (
        f"greatest({_clock_rank('t.respond_by', 't.responded_at')},"
        f" {_clock_rank('t.resolve_by', 't.resolved_at')})"
    )
    return (
        f"json_build_object('breached', sla.rank = {STATE_RANK[SlaState.BREACHED]},"
        f" 'resolve_by', {_iso('t.resolve_by')}, 'respond_by', {_iso('t.respond_by')},"
        f" 'state', CASE sla.rank {names} END)"
    ), ranked


def _ticket_json() -> tuple[str, str]:
    """``TicketOut`` (keys in the order the API's encoder sorts them), and the SLA rank it
    reads, computed once per row (the ``LATERAL`` of ``PAGE_SQL``)."""
    sla, rank = _sla()
    regions = "coalesce(t.region_ids, '{}'::uuid[])"
    fields = {
        "allowed_actions": _engineer_actions(),
        "asset_id": "t.asset_id",
        "assignee_id": "t.assignee_id",
        "created_at": _iso("t.created_at"),
        "description": "t.description",
        "id": "t.id",
        "job_type_id": "t.job_type_id",
        "job_type_version_id": "t.job_type_version_id",
        # ``tickets.location`` is NOT NULL: every ticket has a place.
        "location": "json_build_object('coordinates',"
        " json_build_array(ST_X(t.location), ST_Y(t.location)), 'type', 'Point')",
        "number": _number(),
        "priority": "t.priority",
        "region_ids": regions,
        "required_skills": "coalesce(t.required_skills, '{}'::text[])",
        "site_id": "t.site_id",
        "sla": sla,
        "source": "t.source",
        "status": "t.status",
        "title": "t.title",
        "unrouted": f"cardinality({regions}) = 0",
        "updated_at": _iso("t.updated_at"),
        "version": "t.version",
        "window_end": _iso("t.window_end"),
        "window_start": _iso("t.window_start"),
    }
    pairs = ", ".join(f"{_quote(k)}, {v}" for k, v in fields.items())
    return f"json_build_object({pairs})::text", rank


# Built once: the statement's text is the same for every request (psycopg prepares it) and
# SQLAlchemy caches one text node, not a tree of a few hundred expressions.
_JSON, _SLA_RANK = _ticket_json()
PAGE_SQL = (
    f"SELECT {_JSON} AS ticket_json FROM tickets AS t"
    f" CROSS JOIN LATERAL (SELECT {_SLA_RANK} AS rank) AS sla"
    " WHERE t.id = ANY(CAST(:list_ids AS uuid[]))"
    " ORDER BY array_position(CAST(:list_ids AS uuid[]), t.id)"
)


def ticket_page(ids: list[Any], now: datetime, at_risk_fraction: float) -> TextClause:
    """The tickets ``ids`` (a list page, in its order) as ``TicketOut`` JSON texts, their SLA
    evaluated at ``now``."""
    return text(PAGE_SQL).bindparams(list_ids=ids, list_now=now, list_at_risk=at_risk_fraction)


def verify_page(body: list[Any], rows: list[Any], now: datetime, at_risk_fraction: float) -> None:
    """The test suite's proof that the SQL page is ``TicketOut``'s dump of the same rows at
    ``now``: ``sla.state`` from ``ticket_state`` at that instant (``TicketOut`` reads the clock
    itself, a moment later), everything else from the schema."""
    from backend.workorders.schemas import TicketOut

    expected = TicketOut(many=True).dump(rows)
    for item, row in zip(expected, rows, strict=True):
        state = ticket_state(
            now,
            row.created_at,
            row.respond_by,
            row.resolve_by,
            row.responded_at,
            row.resolved_at,
            at_risk_fraction,
        )
        item["sla"] = {**item["sla"], "state": state.value, "breached": state == "breached"}
    got = [_plain(item) for item in body]
    if got != [_plain(item) for item in expected]:
        raise AssertionError(f"ticket list JSON differs from TicketOut:\n{got}\n!=\n{expected}")


def _plain(value: Any) -> Any:
    """JSON values compared as JSON means them (``13`` and ``13.0`` are one number)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
