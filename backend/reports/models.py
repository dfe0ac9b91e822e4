"""The report rollups' tables (docs/kpis.md, "Rollups"): written only by ``backend.reports``'s
catch-up (raw SQL), declared here so Alembic's metadata and the migrations agree.

- ``ticket_facts``: one row per ticket, the milestones every KPI reads (from the ticket row and
  its audit trail), recomputed whole whenever the ticket changes: a late or corrected event is
  just another change of that ticket.
- ``report_rollups``: per UTC day and one dimension value, the counts and the exact duration
  values of the *settled* facts of that day (packed float8, sorted), rebuilt per day from
  ``ticket_facts``.
- ``ticket_work``: per ticket, UTC day and engineer, the seconds travelling, on site, working
  and paused and the jobs completed (workload), recomputed whole whenever the ticket changes;
  none for a ticket whose stretch is still running (it is read live).
- ``workload_rollups``: per UTC day, one dimension value and engineer, the sums of
  ``ticket_work``, kept by difference.
- ``workload_day_rollups``: the same summed over the engineers (kept as a sorted array), per
  UTC day and dimension value, rebuilt per day from ``workload_rollups``.
- ``part_rollups``: per UTC day, one dimension value (all, engineer, asset model) and part, the
  uses, quantity and stock-outs recorded that day and the day's tickets (sorted ids, so
  distinct tickets over many days are exact), rebuilt per day from ``part_usages``.
- ``report_rollup_state``: the watermark, a position in the sync change log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from backend.db import Base

# Summable counts (the SLA's at_risk is always 0 for a settled ticket, so it is not kept).
COUNT_COLUMNS = (
    "tickets",
    "respond_due",
    "respond_met",
    "resolve_due",
    "resolve_met",
    "breached",
    "to_assign_n",
    "to_accept_n",
    "to_arrive_n",
    "to_complete_n",
)
# Packed big-endian float8 minutes (float8send), ascending; NULL when the day has none.
VALUE_COLUMNS = (
    "respond_late",
    "resolve_late",
    "to_assign",
    "to_accept",
    "to_arrive",
    "to_complete",
)

SHARE_COUNTS = tuple(c for c in COUNT_COLUMNS if c != "tickets")

# Customers (docs/kpis.md#customers): summable counts of a day's settled facts. ``score_sum``
# over ``rated`` is the CSAT average.
CUSTOMER_COLUMNS = (
    "qr_reports",
    "staff_created",
    "finished",
    "rated",
    "rated_on_tracking",
    "rated_at_signoff",
    "score_sum",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "score_5",
)
# First-time fix (docs/kpis.md#first-time-fix): summable counts of a day's settled facts, the
# repeat faults with the window the rollups were built with (report_rollup_state.window_s).
# ``window_open`` depends on "now" and is not kept: served.py counts it from the facts.
FIRST_FIX_COLUMNS = ("completed", "one_visit", "repeat_faults", "first_time_fix")
KPI_COLUMNS = (*CUSTOMER_COLUMNS, *FIRST_FIX_COLUMNS)

ticket_facts = Table(
    "ticket_facts",
    Base.metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("day", Date(), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("assignee_id", UUID(as_uuid=True)),
    Column("region_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("customer_id", UUID(as_uuid=True)),
    Column("asset_model", String(200)),
    Column("respond_by", DateTime(timezone=True), nullable=False),
    Column("resolve_by", DateTime(timezone=True), nullable=False),
    Column("responded_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("first_assign", DateTime(timezone=True)),
    Column("first_accept", DateTime(timezone=True)),
    Column("first_arrive", DateTime(timezone=True)),
    Column("last_complete", DateTime(timezone=True)),
    Column("rating", SmallInteger()),
    # First-time fix and customers (migration 0022): the asset, how the ticket came in, the
    # customer's score (the tracking page's rating, else the accepted sign-off's), the number
    # of arrivals in the trail and the first other ticket on the same asset created after
    # this one's resolution (its repeat fault when within the window).
    Column("asset_id", UUID(as_uuid=True)),
    Column("source", String(20)),
    Column("score", SmallInteger()),
    Column("visits", Integer()),
    Column("next_on_asset", DateTime(timezone=True)),
    # No KPI of a settled ticket depends on "now": closed out and both clocks stopped, or
    # cancelled. Only settled facts go into report_rollups; the rest is read live.
    Column("settled", Boolean(), nullable=False),
    # A settled fact's shares of each KPI (backend/reports/facts.py SHARES), NULL otherwise.
    *(Column(name, SmallInteger()) for name in SHARE_COUNTS),
    *(Column(name, Float(precision=53)) for name in VALUE_COLUMNS),
    Index("ix_ticket_facts_day", "day"),
    Index("ix_ticket_facts_live", "created_at", postgresql_where=text("NOT settled")),
    # The facts whose repeat fault a new ticket on their asset may decide (catch-up, served).
    Index("ix_ticket_facts_asset_resolved", "asset_id", "resolved_at"),
    # First-time fix's window_open of the rolled-up days: the recently resolved settled facts.
    # (Not on "settled" alone: the day rebuild's "settled AND day = ANY(...)" would AND it in.)
    Index(
        "ix_ticket_facts_settled_resolved",
        "resolved_at",
        postgresql_where=text("settled AND status IN ('completed', 'closed')"),
    ),
)

report_rollups = Table(
    "report_rollups",
    Base.metadata,
    Column("day", Date(), nullable=False),
    # all | priority | region | engineer | customer | asset_model
    Column("dim", String(12), nullable=False),
    Column("value", String(200)),
    *(Column(name, Integer(), nullable=False) for name in COUNT_COLUMNS),
    *(Column(name, LargeBinary()) for name in VALUE_COLUMNS),
    *(Column(name, Integer(), nullable=False, server_default="0") for name in KPI_COLUMNS),
    Index("ix_report_rollups_dim_day", "dim", "day"),
    Index("ix_report_rollups_dim_value_day", "dim", "value", "day"),
)

report_rollup_state = Table(
    "report_rollup_state",
    Base.metadata,
    Column("name", String(20), primary_key=True),
    # The change log position (xid, id) read up to: every ticket change at or before it is in
    # ticket_facts and report_rollups.
    Column("wm_xid", BigInteger(), nullable=False),
    Column("wm_id", BigInteger(), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The first-time-fix window (seconds) report_rollups' repeat_faults were counted with; a
    # catch-up under another FIELDOPS_FIRST_FIX_WINDOW_DAYS rebuilds everything.
    Column("window_s", Integer()),
)

# Workload (docs/kpis.md#workload-and-utilization): exact seconds (numeric, as extract(epoch)
# gives them) of each kind of time, and the jobs completed.
WORK_SECONDS = ("travel_s", "on_site_s", "work_s", "paused_s")
WORK_COLUMNS = (*WORK_SECONDS, "completed")
# The first and last instant of a work row's day it covers (a piece's start or end, a
# completion): a period that cuts the day uses the row whole when both lie inside it.
WORK_SPAN = ("first_at", "last_at")
# The ticket's dimensions a work row is grouped and filtered by, copied from its fact.
WORK_DIMENSIONS = ("priority", "status", "region_ids", "customer_id", "asset_model")


def _work_measures() -> list[Column[Any]]:
    seconds: list[Column[Any]] = [
        Column(name, Numeric(), nullable=False, server_default="0") for name in WORK_SECONDS
    ]
    return [*seconds, Column("completed", Integer(), nullable=False, server_default="0")]


ticket_work = Table(
    "ticket_work",
    Base.metadata,
    Column("ticket_id", UUID(as_uuid=True), nullable=False),
    Column("day", Date(), nullable=False),
    # The engineer the job was assigned to when the stretch began (NULL: unassigned).
    Column("engineer_id", UUID(as_uuid=True)),
    *_work_measures(),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("priority", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("region_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("customer_id", UUID(as_uuid=True)),
    Column("asset_model", String(200)),
    Index("ix_ticket_work_ticket", "ticket_id"),
    Index("ix_ticket_work_day", "day"),
)

workload_rollups = Table(
    "workload_rollups",
    Base.metadata,
    Column("day", Date(), nullable=False),
    # all | priority | region | asset_model
    Column("dim", String(12), nullable=False),
    Column("value", String(200)),
    Column("engineer_id", UUID(as_uuid=True)),
    *_work_measures(),
    Index("ix_workload_rollups_dim_day", "dim", "day"),
    Index("ix_workload_rollups_dim_value_day", "dim", "value", "day"),
    # One row per key: the catch-up adds a ticket's difference to it (ON CONFLICT).
    Index(
        "ux_workload_rollups_key",
        "day",
        "dim",
        "value",
        "engineer_id",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)

workload_day_rollups = Table(
    "workload_day_rollups",
    Base.metadata,
    Column("day", Date(), nullable=False),
    # all | priority | region | asset_model
    Column("dim", String(12), nullable=False),
    Column("value", String(200)),
    # The day's engineers with work in this group (sorted, distinct, none NULL).
    Column("engineers", ARRAY(UUID(as_uuid=True)), nullable=False),
    *_work_measures(),
    Index("ix_workload_day_rollups_dim_day", "dim", "day"),
    Index("ix_workload_day_rollups_dim_value_day", "dim", "value", "day"),
)

# Parts (docs/kpis.md#parts): per UTC day of the use's recording, one dimension value and part.
part_rollups = Table(
    "part_rollups",
    Base.metadata,
    Column("day", Date(), nullable=False),
    # all | engineer (who recorded the use) | asset_model (the ticket's asset's)
    Column("dim", String(12), nullable=False),
    Column("value", String(200)),
    Column("part_id", UUID(as_uuid=True), nullable=False),
    Column("usages", Integer(), nullable=False),
    Column("quantity", Numeric(), nullable=False),
    Column("stockouts", Integer(), nullable=False),
    # The day's tickets with a use of the part in this group, sorted and distinct: a ticket
    # with uses on two days is one ticket of the week.
    Column("tickets", ARRAY(UUID(as_uuid=True)), nullable=False),
    Index("ix_part_rollups_dim_day", "dim", "day"),
    Index("ix_part_rollups_dim_value_day", "dim", "value", "day"),
)
