"""Dispatch operations: rank candidates for a ticket, assign (best, or the dispatcher's pick
with an explained override), unassign, auto-dispatch, flag what nobody can take.

Plain values in (the acting ``User``, ``DispatchSettings``, ``now``), ``flush()`` only,
DomainError out. The state change itself is ``workorders.operations.assign_ticket`` so the
audit trail and the ``after_assign`` hooks (push notifications) fire exactly as for any
other assignment.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from backend.accounts.models import User
from backend.db import db, utcnow
from backend.dispatch import candidates as search
from backend.dispatch.models import DispatchDecision, EngineerProfile
from backend.dispatch.scoring import TicketFacts, Verdict, evaluate, rank
from backend.dispatch.settings import DispatchSettings
from backend.errors import Conflict, Invalid, NotFound
from backend.jobtypes.operations import service_minutes
from backend.notify.operations import notify
from backend.workorders.geo import lonlat
from backend.workorders.models import Ticket
from backend.workorders.operations import assign_ticket
from backend.workorders.states import ASSIGNABLE, Status

WIDEN = 8  # second, wider KNN pass when the k nearest are all ineligible


class NoEligibleEngineer(Conflict):
    kind = "no_eligible_engineer"


class HardRulesBroken(Conflict):
    kind = "hard_rules_broken"


def ticket_facts(ticket: Ticket) -> TicketFacts:
    location = lonlat(ticket.location)
    assert location is not None  # tickets always have a location (NOT NULL)
    return TicketFacts(
        ticket_id=ticket.id,
        priority=ticket.priority,
        required_skills=frozenset(ticket.required_skills or ()),
        region_ids=frozenset(ticket.region_ids or ()),
        location=location,
        resolve_by=ticket.resolve_by,
        rejected_by=frozenset(ticket.rejected_by or ()),
        service_min=(
            service_minutes({ticket.job_type_version_id}).get(ticket.job_type_version_id)
            if ticket.job_type_version_id is not None
            else None
        ),
        window_start=ticket.window_start,
        window_end=ticket.window_end,
    )


def candidates_for(
    ticket: Ticket,
    *,
    settings: DispatchSettings,
    now: datetime | None = None,
    also: tuple[uuid.UUID, ...] = (),
    outside: bool = True,
) -> list[Verdict]:
    """Every engineer worth considering for ``ticket``, ranked (eligible first); with
    ``outside`` also the nearest few from outside its regions, to explain why not them."""
    now = now or utcnow()
    facts = ticket_facts(ticket)
    engineers = search.gather(
        ticket_id=ticket.id,
        lon=facts.location[0],
        lat=facts.location[1],
        region_ids=facts.region_ids,
        now=now,
        settings=settings,
        also=also,
        outside=outside,
    )
    return rank([evaluate(facts, e, now, settings) for e in engineers])


def reason_summary(verdicts: list[Verdict]) -> dict[str, int]:
    """How many candidates each rule excluded (``{"off_shift": 3, ...}``)."""
    return dict(Counter(r for v in verdicts for r in v.reasons))


def _engineer_user(engineer_id: uuid.UUID) -> User:
    user = db.session.get(User, engineer_id)
    if user is None:
        raise NotFound(f"engineer {engineer_id} not found", errors={"engineer_id": ["unknown"]})
    if not user.is_active:
        raise Invalid(
            f"{user.name}'s account is disabled", errors={"engineer_id": ["account disabled"]}
        )
    if db.session.get(EngineerProfile, engineer_id) is None:
        raise Invalid(
            f"user {engineer_id} has no engineer profile; create one with POST /engineers",
            errors={"engineer_id": ["no engineer profile"]},
        )
    return user


def _lock_with_room(engineer_id: uuid.UUID, ticket_id: uuid.UUID) -> User | None:
    """Lock the engineer's profile row and recount open jobs; the User if a slot is still
    free. Two tickets dispatched at once must not both take an engineer's last slot."""
    open_jobs = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.assignee_id == EngineerProfile.user_id,
            Ticket.status.in_(search.BUSY_STATUSES),
            Ticket.id != ticket_id,
        )
        .scalar_subquery()
    )
    stmt = (
        select(User, EngineerProfile.max_open_jobs, open_jobs)
        .join(EngineerProfile, EngineerProfile.user_id == User.id)
        .where(User.id == engineer_id)
        .with_for_update(of=EngineerProfile)
    )
    row = db.session.execute(stmt).first()
    if row is None or row[2] >= row[1]:
        return None
    user: User = row[0]
    return user


def dispatch_ticket(
    ticket: Ticket,
    *,
    actor: User | None,
    settings: DispatchSettings,
    engineer_id: uuid.UUID | None = None,
    reason: str | None = None,
    now: datetime | None = None,
    via: str = "api",
    plan: bool = False,
) -> DispatchDecision:
    """Assign ``ticket`` and store the decision.

    Without ``engineer_id`` the best eligible engineer is chosen (excluding the current
    assignee: asking again means "someone else"); NoEligibleEngineer (409) when nobody
    qualifies. With ``engineer_id``, breaking a hard rule needs ``reason`` (else
    HardRulesBroken, 409, listing the rules); any pick other than the recommendation is
    recorded as an override. ``plan``: the batch plan applies it (mode ``plan``, also in the
    audit event), so a later plan can tell a person's assignment from its own."""
    if ticket.status not in ASSIGNABLE:
        raise Conflict(
            f"ticket {ticket.number} is {ticket.status} and cannot be dispatched",
            current_status=ticket.status,
        )
    now = now or utcnow()
    reason = reason.strip() if reason and reason.strip() else None
    engineer = _engineer_user(engineer_id) if engineer_id is not None else None
    # Engineers outside the ticket's regions can never be the automatic pick, so the stored
    # decision skips searching for them (a third of the search time) unless the ticket lies
    # outside every region, where they are the whole explanation.
    verdicts = candidates_for(
        ticket,
        settings=settings,
        now=now,
        also=(engineer_id,) if engineer_id else (),
        outside=not ticket.region_ids,
    )
    eligible = [v for v in verdicts if v.eligible and v.engineer_id != ticket.assignee_id]
    if not eligible and ticket.region_ids and len(verdicts) >= settings.knn_k:
        # The k nearest may all be unfit (skills, shifts) while someone farther is not:
        # look once more, wider, before telling a dispatcher nobody can take it.
        verdicts = candidates_for(
            ticket,
            settings=replace(settings, knn_k=settings.knn_k * WIDEN),
            now=now,
            also=(engineer_id,) if engineer_id else (),
            outside=False,
        )
        eligible = [v for v in verdicts if v.eligible and v.engineer_id != ticket.assignee_id]
    recommended = eligible[0] if eligible else None
    broken: list[str] = []
    if engineer is None:
        chosen = None
        for verdict in eligible:
            engineer = _lock_with_room(verdict.engineer_id, ticket.id)
            if engineer is not None:
                chosen = verdict
                break
        if chosen is None or engineer is None:
            summary = reason_summary(verdicts)
            raise NoEligibleEngineer(
                f"nobody can take ticket {ticket.number} now"
                + (
                    ": " + ", ".join(f"{k} x{n}" for k, n in sorted(summary.items()))
                    if summary
                    else ": no engineers found"
                ),
                reasons=summary,
                candidates=[v.to_dict() for v in verdicts],
            )
        override = False
        mode = "auto" if actor is None else "best"
    else:
        picked = next((v for v in verdicts if v.engineer_id == engineer.id), None)
        if picked is None:  # cannot happen for an active profile: ``also`` asks for it
            raise Invalid(f"{engineer.name} cannot be evaluated for this ticket")
        chosen = picked
        broken = list(chosen.reasons)
        if broken and not reason:
            raise HardRulesBroken(
                f"{engineer.name} breaks hard rules for ticket {ticket.number}: "
                f"{', '.join(broken)}; give a reason to override",
                errors={"reason": [f"required to break: {', '.join(broken)}"]},
                broken_rules=broken,
                candidate=chosen.to_dict(),
            )
        override = bool(broken) or recommended is None or recommended.engineer_id != engineer.id
        mode = "plan" if plan else "pick"
    runner_up = next((v for v in eligible if v.engineer_id != chosen.engineer_id), None)
    decision = DispatchDecision(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        mode=mode,
        candidates=[v.to_dict() for v in verdicts],
        weights_version=settings.weights_version,
        recommended_engineer_id=recommended.engineer_id if recommended else None,
        chosen_engineer_id=engineer.id,
        runner_up_engineer_id=runner_up.engineer_id if runner_up else None,
        override=override,
        override_reason=reason if override else None,
        broken_rules=broken,
        actor_id=actor.id if actor else None,
        created_at=now,
    )
    db.session.add(decision)  # flushed with the assignment below
    # Set before assign_ticket so its flush writes them in the same UPDATE.
    ticket.eta = chosen.eta
    ticket.dispatch_flags = {
        k: v for k, v in (ticket.dispatch_flags or {}).items() if k not in _TRANSIENT_FLAGS
    }
    assign_ticket(
        ticket,
        engineer,
        actor=actor,
        reason=reason,
        via=via,
        data={
            "decision_id": str(decision.id),
            "mode": mode,
            "override": override,
            "broken_rules": broken,
            # The arrival window as this assignment met or broke it (null: no window).
            "window": chosen.extra.get("window"),
        },
    )
    return decision


_TRANSIENT_FLAGS = ("no_candidate", "needs_dispatch")


def unassign_ticket(ticket: Ticket, *, actor: User, reason: str | None = None) -> Ticket:
    """Take the ticket off its engineer; it goes back to ``new`` for dispatch."""
    if ticket.assignee_id is None:
        raise Conflict(f"ticket {ticket.number} is not assigned")
    assign_ticket(ticket, None, actor=actor, reason=reason)
    ticket.eta = None
    db.session.flush()
    return ticket


def flag_for_dispatchers(
    ticket: Ticket, *, flag: str, detail: dict[str, Any], title: str, now: datetime
) -> None:
    """Mark the ticket for a human (``dispatch_flags[flag]``) and tell the dispatchers."""
    ticket.dispatch_flags = {
        **(ticket.dispatch_flags or {}),
        flag: {**detail, "at": now.isoformat()},
    }
    notify(
        kind=f"dispatch_{flag}",
        title=title,
        body=", ".join(f"{k}: {v}" for k, v in detail.items()),
        role="dispatcher",
        ticket_id=ticket.id,
        data={"flag": flag, **detail},
    )
    db.session.flush()


def auto_dispatch(
    ticket: Ticket, *, settings: DispatchSettings, now: datetime | None = None, via: str = "system"
) -> DispatchDecision | None:
    """The auto-dispatch job's body (and an automation rule's ``auto_dispatch`` action, with
    ``via`` automation): assign the best engineer, or leave the ticket ``new``, flag it with
    the reasons and notify dispatchers. None when nothing was assigned."""
    now = now or utcnow()
    if ticket.status != Status.NEW or ticket.assignee_id is not None:
        return None
    try:
        return dispatch_ticket(ticket, actor=None, settings=settings, now=now, via=via)
    except NoEligibleEngineer as exc:
        flag_for_dispatchers(
            ticket,
            flag="no_candidate",
            detail={"reasons": exc.extra.get("reasons", {}), "unrouted": not ticket.region_ids},
            title=f"Nobody can take {ticket.number} ({ticket.priority})",
            now=now,
        )
        return None


def decisions_for(ticket_id: uuid.UUID, limit: int = 20) -> list[DispatchDecision]:
    stmt = (
        select(DispatchDecision)
        .where(DispatchDecision.ticket_id == ticket_id)
        .order_by(DispatchDecision.created_at.desc(), DispatchDecision.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def decision_view(decision: DispatchDecision, ticket: Ticket) -> dict[str, Any]:
    """A stored decision as ``DispatchDecisionOut`` shows it: its columns, and where the
    ticket stands now (a decision is history; the dispatcher also needs the present)."""
    out = {c.key: getattr(decision, c.key) for c in decision.__table__.columns}
    return {**out, "ticket_status": ticket.status, "assignee_id": ticket.assignee_id}
