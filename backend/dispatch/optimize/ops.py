"""Batch plan, database side: load engineers and tickets into the pure optimizer's values,
solve and describe the plan as a preview, and apply exactly an approved preview through the
normal assign operation.

What is planned: open tickets that are ``new`` or ``assigned`` plus tickets the engineer has
already ``accepted`` or is ``en_route`` to. Tickets a person assigned or overrode, accepted
and en-route tickets, and tickets a dispatcher pinned (``dispatch_flags.pinned``) stay with
their engineer (``optimize.pins``; the dispatcher may unpin the first kinds). Tickets being
worked on (``on_site``/``in_progress``) are not planned; their engineer starts the plan from
that site once the assumed service time has passed. Open tickets outside the plan still count
against ``max_open_jobs``.

Applying never unassigns: a ticket the plan cannot place keeps its current engineer (or stays
``new``) and is reported in ``unassigned`` with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.dispatch.models import EngineerProfile, Region
from backend.dispatch.optimize import preview
from backend.dispatch.optimize.pins import PLAN_REASON, effective_pins
from backend.dispatch.optimize.solver import (
    MEMORY_MB,
    Engineer,
    Plan,
    Problem,
    Progress,
    Task,
    solve,
)
from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift, current_window, window_on, zone
from backend.errors import Conflict, Invalid, NotAllowed, NotFound
from backend.hooks import run
from backend.jobtypes.operations import service_minutes
from backend.workorders.geo import lonlat
from backend.workorders.models import Ticket
from backend.workorders.states import OPEN_STATUSES, Status

# Hook point (``backend.hooks``): ``hook(outcome, actor)`` once an approved plan is applied,
# inside its transaction (``outcome`` is the answer: applied moves, summary, fingerprint).
plan_applied: list[Callable[[dict[str, Any], User], Any]] = []

FREE = (Status.NEW, Status.ASSIGNED)
PINNED = (Status.ACCEPTED, Status.EN_ROUTE)
ON_SITE = (Status.ON_SITE, Status.IN_PROGRESS)
OPEN = OPEN_STATUSES  # FREE, PINNED, ON_SITE and on hold


class PlanChanged(Conflict):
    """The inputs of the approved preview changed: it is not applied (``changed`` names what)."""

    kind = "plan_changed"


@dataclass(frozen=True)
class Approved:
    """The preview a dispatcher applies: its fingerprint, its per-input digests and its moves
    (ticket id, engineer id, ETA as the preview gave them)."""

    fingerprint: str
    inputs: Mapping[str, str]
    moves: tuple[preview.Move, ...]


@dataclass(frozen=True)
class OptimizeRequest:
    region_id: uuid.UUID | None = None
    ticket_ids: tuple[uuid.UUID, ...] = ()
    day: date | None = None
    unpin: tuple[uuid.UUID, ...] = ()
    approved: Approved | None = None  # set: apply exactly this preview

    @property
    def apply(self) -> bool:
        return self.approved is not None


@dataclass
class Loaded:
    """The plan's inputs: the solver's problem, the tickets by id, the pins (holding and
    lifted), and the per-input digests and labels the fingerprint and a 409 are made of."""

    problem: Problem
    tickets: dict[str, Ticket]
    pins: dict[str, str] = field(default_factory=dict)
    lifted: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


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


def load_problem(req: OptimizeRequest, settings: DispatchSettings, now: datetime) -> Loaded:
    """The plan's inputs at ``now``. The solver counts whole seconds from ``now``, so the
    clock starts on a whole second: otherwise a shift start (08:00:00) lands a fraction
    early, and a job with no travel got an ETA of 07:59:59 - the day before, for a plan
    of tomorrow's shifts starting at midnight."""
    now = now.replace(microsecond=0)
    tickets = _select_tickets(req)
    pins, lifted = effective_pins(tickets, req.unpin)
    profiles = _select_engineers(req, tickets)
    ids = [p.user_id for p in profiles]
    load = _open_load(ids, {t.id for t in tickets})
    busy_at = _on_site(ids)
    service = timedelta(minutes=settings.service_min)
    engineers: list[Engineer] = []
    names: dict[uuid.UUID, str] = {
        row.id: row.name
        for row in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    }
    inputs: dict[str, str] = {
        preview.SCOPE_KEY: preview.digest(
            req.region_id, sorted(map(str, req.ticket_ids)), req.day, sorted(map(str, req.unpin))
        )
    }
    labels: dict[str, str] = {}
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
        key = f"engineer:{p.user_id}"
        labels[key] = names.get(p.user_id) or str(p.user_id)
        # The facts the plan used, except the live position (see ``optimize.preview``).
        inputs[key] = preview.digest(
            p.status, p.max_open_jobs, sorted(p.skills or ()), sorted(map(str, p.region_ids or ())),
            p.shift_timezone, sorted(p.shift_days), p.shift_start, p.shift_end, lonlat(p.home),
            load.get(p.user_id, 0), busy_at[p.user_id].id if p.user_id in busy_at else None,
        )  # fmt: skip
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
    tasks = []
    # A ticket's time on site: its job type version's estimate, else the configured default.
    estimates = service_minutes({t.job_type_version_id for t in tickets if t.job_type_version_id})
    for t in tickets:
        minutes = estimates.get(t.job_type_version_id) if t.job_type_version_id else None
        task = Task(
            id=str(t.id),
            location=lonlat(t.location) or (0.0, 0.0),
            priority=t.priority,
            deadline=t.resolve_by,
            service_s=int(service.total_seconds()) if minutes is None else minutes * 60,
            skills=frozenset(t.required_skills or ()),
            regions=frozenset(str(r) for r in t.region_ids or ()),
            pinned_to=str(t.assignee_id) if t.id in pins else None,
            window=(
                (t.window_start, t.window_end)
                if t.window_start is not None and t.window_end is not None
                else None
            ),
        )
        tasks.append(task)
        key = f"ticket:{t.id}"
        labels[key] = t.number
        inputs[key] = preview.digest(
            task, t.status, t.assignee_id, pins.get(t.id), lifted.get(t.id)
        )
    return Loaded(
        problem=Problem(engineers, tasks, now, settings.speed_kmh, settings.detour),
        tickets={str(t.id): t for t in tickets},
        pins={str(k): v for k, v in pins.items()},
        lifted={str(k): v for k, v in lifted.items()},
        inputs=inputs,
        labels=labels,
    )


def plan(
    req: OptimizeRequest,
    *,
    actor: User,
    settings: DispatchSettings,
    now: datetime | None = None,
    timeout_s: float | None = None,
    budget_s: float | None = None,
    memory_mb: float = MEMORY_MB,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The preview (``timeout_s`` bounds the VROOM pass, ``budget_s`` the whole plan,
    ``memory_mb`` its memory; see ``optimize.solve``), or, with ``req.approved``, exactly
    that preview applied."""
    if not actor.is_staff:
        raise NotAllowed("only a dispatcher or admin may plan the day")
    now = now or utcnow()
    loaded = load_problem(req, settings, now)
    if req.approved is not None:
        return apply_preview(req.approved, loaded, actor=actor, settings=settings, now=now)
    result: Plan = solve(
        loaded.problem,
        timeout_s=timeout_s,
        budget_s=budget_s,
        memory_mb=memory_mb,
        progress=progress,
    )
    current = {
        tid: preview.Current(
            number=t.number,
            assignee_id=str(t.assignee_id) if t.assignee_id else None,
            respond_by=t.respond_by.isoformat() if t.respond_by else None,
            resolve_by=t.resolve_by.isoformat() if t.resolve_by else None,
            window_start=t.window_start.isoformat() if t.window_start else None,
            window_end=t.window_end.isoformat() if t.window_end else None,
        )
        for tid, t in loaded.tickets.items()
    }
    changes, unassigned, moves = preview.describe(result, current, loaded.pins, loaded.lifted)
    body = result.to_dict()
    body.update(
        changes=changes,
        unassigned=unassigned,
        summary=preview.summary(result, changes),
        planned_at=now.isoformat(),
        day=req.day.isoformat() if req.day else None,
        unpin=sorted(loaded.lifted),
        inputs=loaded.inputs,
        fingerprint=preview.fingerprint(loaded.inputs, moves),
        applied=[],
    )
    return body


def apply_preview(
    approved: Approved, loaded: Loaded, *, actor: User, settings: DispatchSettings, now: datetime
) -> dict[str, Any]:
    """Carry out exactly the approved moves, or raise PlanChanged (409) naming every input
    that differs from the preview's (or saying the moves are not the preview's)."""
    if preview.fingerprint(loaded.inputs, approved.moves) != approved.fingerprint:
        changed = preview.what_changed(approved.inputs, loaded.inputs, loaded.labels)
        names = ", ".join(f"{c['label']} ({c['change']})" for c in changed)
        raise PlanChanged(
            "the plan's inputs changed since the preview: " + names + "; preview again"
            if changed
            else "these moves are not the preview's; preview again",
            changed=changed,
        )
    _check_moves(approved.moves, loaded)
    applied: list[dict[str, Any]] = []
    unchanged = 0
    engineers: dict[str, User | None] = {}
    for ticket_id, engineer_id, eta in approved.moves:
        ticket = loaded.tickets[ticket_id]
        if engineer_id not in engineers:
            engineers[engineer_id] = db.session.get(User, uuid.UUID(engineer_id))
        engineer = engineers[engineer_id]
        if engineer is None:  # cannot happen: the engineer's digest would have changed
            raise PlanChanged(f"engineer {engineer_id} no longer exists; preview again")
        if ticket.assignee_id == engineer.id:
            unchanged += 1
        else:
            action = "reassign" if ticket.assignee_id else "assign"
            _assign(ticket, engineer, actor, settings, now)
            applied.append({"ticket_id": ticket_id, "engineer_id": engineer_id, "action": action})
        ticket.eta = datetime.fromisoformat(eta)  # the preview's ETA, not the online estimate
    db.session.flush()
    outcome = {
        "applied": applied,
        "summary": {
            "assigned": len(approved.moves),
            "moves": len(applied),
            "unchanged": unchanged,
        },
        "planned_at": now.isoformat(),
        "fingerprint": approved.fingerprint,
    }
    run(plan_applied, outcome, actor)
    return outcome


def _check_moves(moves: tuple[preview.Move, ...], loaded: Loaded) -> None:
    """Moves that match the fingerprint yet name a ticket or engineer outside the plan, or a
    malformed ETA, were not made by a preview (the digest is not secret): a 422, never a 500."""
    planned = {e.id for e in loaded.problem.engineers}
    wrong: list[str] = []
    for ticket_id, engineer_id, eta in moves:
        if ticket_id not in loaded.tickets:
            wrong.append(f"ticket {ticket_id} is not in the plan")
        if engineer_id not in planned:
            wrong.append(f"engineer {engineer_id} is not in the plan")
        try:
            datetime.fromisoformat(eta)
        except ValueError:
            wrong.append(f"eta {eta!r} is not an ISO 8601 time")
    if wrong:
        raise Invalid("not a preview's changes: " + "; ".join(wrong), errors={"preview": wrong})


def _assign(
    ticket: Ticket, engineer: User, actor: User, settings: DispatchSettings, now: datetime
) -> None:
    """The normal assign path: the dispatcher's ``dispatch_ticket`` (stored decision, audit
    event, after_assign hooks such as push). The plan is not the online scorer's pick, so the
    decision is recorded as a reasoned choice ("batch plan", mode ``plan``), never silently,
    and a later plan can tell it from a person's assignment."""
    from backend.dispatch.operations import dispatch_ticket

    dispatch_ticket(
        ticket,
        actor=actor,
        settings=settings,
        engineer_id=engineer.id,
        reason=PLAN_REASON,
        now=now,
        plan=True,
    )


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
