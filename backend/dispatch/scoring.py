"""Hard rules and the soft score for one ticket and one engineer. Pure: plain facts in,
a verdict out, no database and no clock (``now`` is an argument), so every filter and term is
tested directly and the stored decision can be replayed.

Ranking is lexicographic (docs/dispatch.md): first SLA lateness - minutes late x priority weight,
for this ticket and for the engineer's queued jobs that inserting it pushes late - then a
weighted sum of graded terms, each graded 0 (best) .. 1 (worst):

- ``travel``: minutes to the site, 0 -> 0, 120 or more -> 1;
- ``earliest_start``: minutes until work can start on site (queue ahead + travel), 0..480;
- ``load``: squared share of ``max_open_jobs`` used after this assignment (spreads work);
- ``disruption``: minutes by which the ETAs of queued jobs move, 0..240.

A ticket may carry an arrival window (earliest and latest start on site, planned work): an
engineer who would arrive before it waits (the wait is part of the plan: it delays their
queue and counts in ``earliest_start``), one who would start after it breaks the hard rule
``outside_window``, and the shift checked is the one the window's start falls in.

``score`` is ``100 x (1 - weighted cost)``: higher is better, 100 is a perfect fit.
Weights are named versions; the version used is stored with each decision so old decisions
stay explainable after a re-tune. Add a new version rather than editing one.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from backend.dispatch.settings import DispatchSettings
from backend.dispatch.shifts import Shift, current_window
from backend.dispatch.travel import LonLat, estimate

PRIORITY_WEIGHT = {"P1": 8, "P2": 4, "P3": 2, "P4": 1}


@dataclass(frozen=True)
class Weights:
    travel: float
    earliest_start: float
    load: float
    disruption: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


WEIGHTS: dict[str, Weights] = {
    "2026-11-v1": Weights(travel=0.45, earliest_start=0.2, load=0.2, disruption=0.15),
}
CURRENT_WEIGHTS = "2026-11-v1"

# Grading ranges: (best, worst) in the term's unit.
GRADES = {"travel": (0.0, 120.0), "earliest_start": (0.0, 480.0), "disruption": (0.0, 240.0)}


@dataclass(frozen=True)
class OpenJob:
    """A job already on the engineer's list (assigned .. on hold)."""

    priority: str
    resolve_by: datetime


@dataclass(frozen=True)
class EngineerFacts:
    engineer_id: uuid.UUID
    name: str
    status: str
    skills: frozenset[str]
    region_ids: frozenset[uuid.UUID]
    shift: Shift
    max_open_jobs: int
    location: LonLat
    location_source: str  # "reported" (fresh last location) | "home"
    open_jobs: tuple[OpenJob, ...] = ()


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: uuid.UUID
    priority: str
    required_skills: frozenset[str]
    region_ids: frozenset[uuid.UUID]
    location: LonLat
    resolve_by: datetime
    rejected_by: frozenset[uuid.UUID] = frozenset()
    # Time on site: the job type version's estimate; None: the configured default.
    service_min: float | None = None
    # Arrival window: earliest and latest start of the work on site (both or neither).
    window_start: datetime | None = None
    window_end: datetime | None = None

    def service(self, settings: DispatchSettings) -> float:
        return self.service_min if self.service_min is not None else settings.service_min


@dataclass(frozen=True)
class Verdict:
    engineer_id: uuid.UUID
    name: str
    eligible: bool
    reasons: tuple[str, ...]
    sla_lateness: float  # minutes late x priority weight (lexicographic first key)
    cost: float  # weighted graded terms, 0..1
    score: float  # 100 x (1 - cost)
    terms: dict[str, dict[str, float]]
    eta: datetime
    travel_min: float
    distance_m: float
    location_source: str
    open_jobs: int
    extra: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        if self.eligible:
            return (
                0,
                round(self.sla_lateness, 3),
                round(self.cost, 9),
                self.travel_min,
                str(self.engineer_id),
            )
        return (1, len(self.reasons), self.travel_min, str(self.engineer_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "engineer_id": str(self.engineer_id),
            "name": self.name,
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "score": round(self.score, 2),
            "sla_lateness": round(self.sla_lateness, 1),
            "terms": self.terms,
            "eta": self.eta.isoformat(),
            "travel_min": round(self.travel_min, 1),
            "distance_m": round(self.distance_m),
            "location_source": self.location_source,
            "open_jobs": self.open_jobs,
            "window": self.extra.get("window"),
        }


def grade(value: float, best: float, worst: float) -> float:
    """Linear grade clamped to 0 (at or better than ``best``) .. 1 (at or beyond ``worst``)."""
    if worst == best:
        return 0.0 if value <= best else 1.0
    return min(1.0, max(0.0, (value - best) / (worst - best)))


def _late_minutes(finish: datetime, deadline: datetime) -> float:
    return max(0.0, (finish - deadline).total_seconds() / 60)


@dataclass(frozen=True)
class QueuePlan:
    start: datetime  # when work on the new ticket starts on site (after any wait)
    finish: datetime
    weighted_lateness: float
    disruption_min: float
    queue_end: datetime  # when the engineer's whole list would be done
    wait_min: float = 0.0  # minutes waited on site for the arrival window to open


def plan_insertion(
    ticket: TicketFacts,
    engineer: EngineerFacts,
    now: datetime,
    travel_min: float,
    settings: DispatchSettings,
) -> QueuePlan:
    """Where the ticket lands in the engineer's list and what that does to the SLAs.

    The list is worked in priority order, then by deadline; a new ticket goes after every
    queued job of the same or higher priority, so a P1 jumps ahead of queued P3s and delays
    them - that delay is the ``disruption`` and may make them late. Queued jobs are costed at
    the configured travel + service minutes each (their own travel is unknown here); the new
    ticket at its own service time (its job type's estimate, else the configured one). An
    engineer arriving before the ticket's window waits for it, and the wait delays the jobs
    behind it like travel does."""
    per_job = timedelta(minutes=settings.queue_travel_min + settings.service_min)
    queue = sorted(engineer.open_jobs, key=lambda j: (j.priority, j.resolve_by))
    ahead = [j for j in queue if j.priority <= ticket.priority]
    behind = [j for j in queue if j.priority > ticket.priority]
    arrival = now + per_job * len(ahead) + timedelta(minutes=travel_min)
    start = max(arrival, ticket.window_start) if ticket.window_start is not None else arrival
    wait = start - arrival
    finish = start + timedelta(minutes=ticket.service(settings))
    own = timedelta(minutes=travel_min + ticket.service(settings)) + wait
    lateness = _late_minutes(finish, ticket.resolve_by) * PRIORITY_WEIGHT[ticket.priority]
    t = now + per_job * len(ahead)
    for job in behind:
        before = t + per_job
        after = before + own
        lateness += (
            _late_minutes(after, job.resolve_by) - _late_minutes(before, job.resolve_by)
        ) * PRIORITY_WEIGHT[job.priority]
        t = before
    queue_end = now + per_job * len(queue) + own
    return QueuePlan(
        start=start,
        finish=finish,
        weighted_lateness=lateness,
        disruption_min=own.total_seconds() / 60 * len(behind),
        queue_end=queue_end,
        wait_min=wait.total_seconds() / 60,
    )


def hard_rule_reasons(
    ticket: TicketFacts,
    engineer: EngineerFacts,
    now: datetime,
    travel_min: float,
    plan: QueuePlan,
    settings: DispatchSettings,
) -> list[str]:
    """Every hard rule the engineer breaks for this ticket, as machine-readable codes."""
    reasons: list[str] = []
    if engineer.engineer_id in ticket.rejected_by:
        reasons.append("rejected")
    if engineer.status == "off_duty":
        reasons.append(f"status:{engineer.status}")
    job_min = travel_min + ticket.service(settings)
    if ticket.window_start is not None and ticket.window_start > now:
        # Work booked for later is checked against the shift its window opens in; today's
        # queue does not fill that shift (``shift_full`` is about the shift running now).
        window = current_window(engineer.shift, ticket.window_start)
        solo = max(now + timedelta(minutes=travel_min), ticket.window_start)
        if window is None or solo + timedelta(minutes=ticket.service(settings)) > window[1]:
            reasons.append("off_shift")
        if window != current_window(engineer.shift, now):
            window = None
    else:
        window = current_window(engineer.shift, now)
        if window is None or now + timedelta(minutes=job_min) > window[1]:
            reasons.append("off_shift")
    if not (ticket.region_ids & engineer.region_ids):
        reasons.append("not_in_region")
    reasons.extend(
        f"missing_skill:{code}" for code in sorted(ticket.required_skills - engineer.skills)
    )
    # Two different limits, two codes: the dispatcher fixes them differently (a full job
    # list by moving a job; an over-full shift by moving work to another day or engineer).
    if len(engineer.open_jobs) >= engineer.max_open_jobs:
        reasons.append("at_capacity")
    if window is not None and "off_shift" not in reasons and plan.queue_end > window[1]:
        reasons.append("shift_full")
    if travel_min > settings.max_travel_min:
        reasons.append("too_far")
    if ticket.window_end is not None and plan.start > ticket.window_end:
        reasons.append("outside_window")
    return reasons


def window_facts(ticket: TicketFacts, plan: QueuePlan) -> dict[str, Any] | None:
    """The ticket's arrival window as the verdict explains it: the window, how long the
    engineer would wait for it to open, and how many minutes after its end they would start
    (``late_min`` > 0 is the ``outside_window`` rule)."""
    if ticket.window_start is None or ticket.window_end is None:
        return None
    late = max(0.0, (plan.start - ticket.window_end).total_seconds() / 60)
    return {
        "start": ticket.window_start.isoformat(),
        "end": ticket.window_end.isoformat(),
        "wait_min": round(plan.wait_min, 1),
        "late_min": round(late, 1),
    }


def evaluate(
    ticket: TicketFacts,
    engineer: EngineerFacts,
    now: datetime,
    settings: DispatchSettings,
    weights: Weights | None = None,
) -> Verdict:
    """The verdict for one engineer: hard rules, then lateness and graded terms."""
    w = weights or WEIGHTS[settings.weights_version]
    trip = estimate(
        engineer.location, ticket.location, speed_kmh=settings.speed_kmh, detour=settings.detour
    )
    plan = plan_insertion(ticket, engineer, now, trip.minutes, settings)
    reasons = hard_rule_reasons(ticket, engineer, now, trip.minutes, plan, settings)
    start_min = (plan.start - now).total_seconds() / 60
    open_after = len(engineer.open_jobs) + 1
    load_grade = (
        1.0 if engineer.max_open_jobs <= 0 else min(1.0, open_after / engineer.max_open_jobs) ** 2
    )
    raw = {
        "travel": (trip.minutes, grade(trip.minutes, *GRADES["travel"])),
        "earliest_start": (start_min, grade(start_min, *GRADES["earliest_start"])),
        "load": (float(open_after), load_grade),
        "disruption": (plan.disruption_min, grade(plan.disruption_min, *GRADES["disruption"])),
    }
    weight_of = w.as_dict()
    total_weight = sum(weight_of.values()) or 1.0
    cost = sum(weight_of[name] * g for name, (_, g) in raw.items()) / total_weight
    terms = {
        name: {"value": round(value, 2), "grade": round(g, 4), "weight": weight_of[name]}
        for name, (value, g) in raw.items()
    }
    return Verdict(
        engineer_id=engineer.engineer_id,
        name=engineer.name,
        eligible=not reasons,
        reasons=tuple(reasons),
        sla_lateness=plan.weighted_lateness,
        cost=cost,
        score=100.0 * (1.0 - cost),
        terms=terms,
        eta=now + timedelta(minutes=start_min),
        travel_min=trip.minutes,
        distance_m=trip.straight_m,
        location_source=engineer.location_source,
        open_jobs=len(engineer.open_jobs),
        extra={"window": window_facts(ticket, plan)},
    )


def rank(verdicts: list[Verdict]) -> list[Verdict]:
    """Eligible first (least SLA lateness, then lowest cost), then ineligible (fewest broken
    rules, then nearest)."""
    return sorted(verdicts, key=Verdict.sort_key)
