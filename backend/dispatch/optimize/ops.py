"""Batch plan, database side: load engineers and tickets into the pure optimizer's values,
solve, and (on ``apply``) assign through the normal assign operation.

What is planned: open tickets that are ``new`` or ``assigned`` (free to move) plus tickets the
engineer has already ``accepted`` or is ``en_route`` to, or that a dispatcher pinned
(``dispatch_flags.pinned``): those stay with their engineer. Tickets being worked on
(``on_site``/``in_progress``) are not planned; their engineer starts the plan from that site
once the assumed service time has passed. Open tickets outside the plan still count against
``max_open_jobs``.

Applying never unassigns: a ticket the plan cannot place keeps its current engineer (or stays
``new``) and is reported in ``unassigned`` with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.dispatch.models import EngineerProfile, Region
from backend.dispatch.optimize.solver import Engineer, Plan, Problem, Task, solve
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift, current_window, window_on, zone
from backend.errors import Invalid, NotAllowed, NotFound
from backend.workorders.geo import lonlat
from backend.workorders.models import Ticket
from backend.workorders.states import OPEN_STATUSES, Status

FREE = (Status.NEW, Status.ASSIGNED)
PINNED = (Status.ACCEPTED, Status.EN_ROUTE)
ON_SITE = (Status.ON_SITE, Status.IN_PROGRESS)
OPEN = OPEN_STATUSES  # FREE, PINNED, ON_SITE and on hold


@dataclass(frozen=True)
class OptimizeRequest:
    region_id: uuid.UUID | None = None
    ticket_ids: tuple[uuid.UUID, ...] = ()
    apply: bool = False
    day: date | None = None


def shift_window(shift: Shift, now: datetime, day: date | None) -> tuple[datetime, datetime] | None:
    """The shift window to plan in: the one running now, else the next one that starts on the
    engineer's local ``day`` (today when None) and has not ended yet."""
    if day is None:
        running = current_window(shift, now)
        if running is not None:
            return running
    tz: ZoneInfo = zone(shift.timezone)
    local_day = day or now.astimezone(tz).date()
    if local_day.weekday() not in shift.days:
        return None
    start, end = window_on(shift, local_day, tz)
    return (start, end) if end > now else None


def _select_tickets(req: OptimizeRequest) -> list[Ticket]:
    if req.ticket_ids:
        rows = list(db.session.scalars(select(Ticket).where(Ticket.id.in_(req.ticket_ids))))
        missing = set(req.ticket_ids) - {t.id for t in rows}
        if missing:
            raise NotFound(
                f"unknown ticket ids: {', '.join(sorted(map(str, missing)))}",
                errors={"ticket_ids": ["unknown ticket"]},
            )
        closed = [t.number for t in rows if t.status not in (*FREE, *PINNED)]
        if closed:
            raise Invalid(
                "only new, assigned, accepted or en-route tickets can be planned: "
                + ", ".join(sorted(closed)),
                errors={"ticket_ids": [f"not plannable: {', '.join(sorted(closed))}"]},
            )
        return sorted(rows, key=lambda t: t.seq)
    stmt = select(Ticket).where(Ticket.status.in_((*FREE, *PINNED)))
    if req.region_id is not None:
        if db.session.get(Region, req.region_id) is None:
            raise NotFound(
                f"region {req.region_id} not found", errors={"region_id": ["unknown region"]}
            )
        stmt = stmt.where(Ticket.region_ids.contains([req.region_id]))  # GIN
    return list(db.session.scalars(stmt.order_by(Ticket.seq)))


def _select_engineers(req: OptimizeRequest, tickets: list[Ticket]) -> list[EngineerProfile]:
    stmt = (
        select(EngineerProfile)
        .join(User, User.id == EngineerProfile.user_id)
        .where(User.is_active.is_(True))
    )
    regions = {req.region_id} if req.region_id else {r for t in tickets for r in t.region_ids}
    owners = {t.assignee_id for t in tickets if t.assignee_id is not None}
    conds = []
    if regions:
        conds.append(EngineerProfile.region_ids.overlap(sorted(regions)))
    if owners:
        conds.append(EngineerProfile.user_id.in_(owners))
    if not conds:
        return []
    return list(db.session.scalars(stmt.where(or_(*conds)).order_by(EngineerProfile.user_id)))


def _open_load(engineer_ids: list[uuid.UUID], planned: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Open tickets per engineer that are NOT part of this plan (they use up capacity)."""
    if not engineer_ids:
        return {}
    stmt = (
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.assignee_id.in_(engineer_ids),
            Ticket.status.in_(OPEN),
            Ticket.id.not_in(planned) if planned else Ticket.id.is_not(None),
        )
        .group_by(Ticket.assignee_id)
    )
    return {row[0]: int(row[1]) for row in db.session.execute(stmt) if row[0] is not None}


def _on_site(engineer_ids: list[uuid.UUID]) -> dict[uuid.UUID, Ticket]:
    if not engineer_ids:
        return {}
    stmt = select(Ticket).where(Ticket.assignee_id.in_(engineer_ids), Ticket.status.in_(ON_SITE))
    return {t.assignee_id: t for t in db.session.scalars(stmt) if t.assignee_id}


def is_pinned(t: Ticket) -> bool:
    return t.assignee_id is not None and (
        t.status in PINNED or bool((t.dispatch_flags or {}).get("pinned"))
    )


def load_problem(
    req: OptimizeRequest, settings: DispatchSettings, now: datetime
) -> tuple[Problem, dict[str, Ticket]]:
    tickets = _select_tickets(req)
    profiles = _select_engineers(req, tickets)
    ids = [p.user_id for p in profiles]
    load = _open_load(ids, {t.id for t in tickets})
    busy_at = _on_site(ids)
    service = timedelta(minutes=settings.service_min)
    engineers: list[Engineer] = []
    for p in profiles:
        shift = Shift(p.shift_timezone, tuple(p.shift_days), p.shift_start, p.shift_end)
        window = shift_window(shift, now, req.day)
        fresh = p.last_location_at is not None and now - p.last_location_at <= (
            settings.stale_location
        )
        start = lonlat(p.last_location if fresh and p.last_location is not None else p.home)
        available = window[0] if window else None
        if p.user_id in busy_at and window is not None:
            # Finishing a job on site: start from there once the assumed service time is over.
            start = lonlat(busy_at[p.user_id].location)
            available = max(window[0], now + service)
        engineers.append(
            Engineer(
                id=str(p.user_id),
                start=start or (0.0, 0.0),
                available_from=available,
                shift_end=window[1] if window else None,
                skills=frozenset(p.skills or ()),
                regions=frozenset(str(r) for r in p.region_ids or ()),
                max_tasks=max(0, p.max_open_jobs - load.get(p.user_id, 0)),
                status=p.status,
            )
        )
    tasks = [
        Task(
            id=str(t.id),
            location=lonlat(t.location) or (0.0, 0.0),
            priority=t.priority,
            deadline=t.resolve_by,
            service_s=int(service.total_seconds()),
            skills=frozenset(t.required_skills or ()),
            regions=frozenset(str(r) for r in t.region_ids or ()),
            pinned_to=str(t.assignee_id) if is_pinned(t) else None,
        )
        for t in tickets
    ]
    problem = Problem(engineers, tasks, now, settings.speed_kmh, settings.detour)
    return problem, {str(t.id): t for t in tickets}


def plan(
    req: OptimizeRequest,
    *,
    actor: User,
    settings: DispatchSettings,
    now: datetime | None = None,
    timeout_s: float | None = None,
    budget_s: float | None = None,
) -> dict[str, Any]:
    """Build and solve the plan (``timeout_s`` bounds the VROOM pass, ``budget_s`` the whole
    plan; see ``optimize.solve``); with ``req.apply`` also assign every moved ticket."""
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may plan the day")
    now = now or utcnow()
    problem, tickets = load_problem(req, settings, now)
    result: Plan = solve(problem, timeout_s=timeout_s, budget_s=budget_s)
    body = result.to_dict()
    body["planned_at"] = now.isoformat()
    body["applied"] = (
        apply_plan(result, tickets, actor=actor, settings=settings) if req.apply else []
    )
    return body


def _assign(ticket: Ticket, engineer: User, actor: User, settings: DispatchSettings) -> None:
    """The normal assign path: the dispatcher's ``dispatch_ticket`` (stored decision, audit
    event, after_assign hooks such as push). The plan is not the online scorer's pick, so the
    decision is recorded as a reasoned choice ("batch plan"), never silently."""
    from backend.dispatch.operations import dispatch_ticket

    dispatch_ticket(
        ticket, actor=actor, settings=settings, engineer_id=engineer.id, reason="batch plan"
    )


def apply_plan(
    result: Plan, tickets: dict[str, Ticket], *, actor: User, settings: DispatchSettings
) -> list[dict[str, Any]]:
    applied: list[dict[str, Any]] = []
    for route in result.routes:
        if not route.stops:
            continue
        engineer = db.session.get(User, uuid.UUID(route.engineer_id))
        if engineer is None:  # deleted meanwhile: leave its tickets alone
            continue
        for stop in route.stops:
            ticket = tickets[stop.task_id]
            if stop.pinned or ticket.assignee_id == engineer.id:
                ticket.eta = stop.eta
                continue
            action = "reassign" if ticket.assignee_id else "assign"
            _assign(ticket, engineer, actor, settings)
            ticket.eta = stop.eta  # the plan's ETA, not the single-ticket estimate
            applied.append(
                {"ticket_id": stop.task_id, "engineer_id": route.engineer_id, "action": action}
            )
    db.session.flush()
    return applied


def plannable_count(req: OptimizeRequest, *, validate: bool = False) -> int:
    """Tickets the request would plan (cheap): decides between answering now and a job.
    ``validate`` also checks the ids (404/422) before a job is queued."""
    if validate:
        return len(_select_tickets(req))
    if req.ticket_ids:
        return len(req.ticket_ids)
    stmt = select(func.count()).select_from(Ticket).where(Ticket.status.in_((*FREE, *PINNED)))
    if req.region_id is not None:
        stmt = stmt.where(Ticket.region_ids.contains([req.region_id]))  # GIN
    return int(db.session.scalar(stmt) or 0)
