"""Plain values of the batch optimizer: its input (engineers, tasks, problem) and its output
(a plan of routes and the unassigned with reasons). Kept apart from the solver so callers
(the database side, the benchmark, the API serializer) share them without importing VROOM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DEFAULT_SPEED_KMH = 40.0
DEFAULT_DETOUR = 1.3


@dataclass(frozen=True)
class Engineer:
    id: str
    start: tuple[float, float]  # lon, lat
    available_from: datetime | None  # None: not on shift today
    shift_end: datetime | None
    skills: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    max_tasks: int = 6  # free slots: max_open_jobs minus open jobs outside this plan
    status: str = "available"


@dataclass(frozen=True)
class Task:
    id: str
    location: tuple[float, float]  # lon, lat
    priority: str
    deadline: datetime | None  # SLA resolve-by
    service_s: int = 3600
    skills: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    pinned_to: str | None = None
    # Arrival window: earliest and latest start on site. The engineer waits for it to open;
    # starting after its end is a window breach (``Stop.window_breach_min``).
    window: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class Problem:
    engineers: Sequence[Engineer]
    tasks: Sequence[Task]
    now: datetime
    speed_kmh: float = DEFAULT_SPEED_KMH
    detour: float = DEFAULT_DETOUR


@dataclass
class Stop:
    task_id: str
    eta: datetime  # arrival
    start: datetime  # service start (after any waiting)
    finish: datetime
    travel_km: float
    travel_min: float
    breach_min: float = 0.0
    pinned: bool = False
    sla_pass: int = 1
    window_breach_min: float = 0.0  # minutes the start is after the arrival window's end


@dataclass
class Route:
    engineer_id: str
    stops: list[Stop] = field(default_factory=list)

    @property
    def travel_km(self) -> float:
        return round(sum(s.travel_km for s in self.stops), 3)

    @property
    def travel_min(self) -> float:
        return round(sum(s.travel_min for s in self.stops), 2)


@dataclass
class Unassigned:
    task_id: str
    reason: str
    detail: str


@dataclass
class Plan:
    routes: list[Route]
    unassigned: list[Unassigned]
    solve_s: float
    passes: int
    strategy: str = "skip"  # how the search ran: whole, decompose or skip (optimize.strategy)
    estimate_mb: float = 0.0  # the plan's expected peak memory with that strategy

    @property
    def travel_km(self) -> float:
        return round(sum(r.travel_km for r in self.routes), 3)

    @property
    def breaches(self) -> int:
        return sum(1 for r in self.routes for s in r.stops if s.breach_min > 0)

    @property
    def window_breaches(self) -> int:
        """Planned tickets starting after their arrival window (windows are never started
        early: the engineer waits)."""
        return sum(1 for r in self.routes for s in r.stops if s.window_breach_min > 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plan: per engineer the ordered tickets with ETAs, then the unassigned."""
        return {
            "routes": [
                {
                    "engineer_id": r.engineer_id,
                    "travel_km": r.travel_km,
                    "travel_min": r.travel_min,
                    "tickets": [
                        {
                            "ticket_id": s.task_id,
                            "eta": s.eta.isoformat(),
                            "start": s.start.isoformat(),
                            "finish": s.finish.isoformat(),
                            "travel_km": round(s.travel_km, 3),
                            "travel_min": round(s.travel_min, 2),
                            "breach_min": round(s.breach_min, 1),
                            "window_breach_min": round(s.window_breach_min, 1),
                            "pinned": s.pinned,
                        }
                        for s in r.stops
                    ],
                }
                for r in self.routes
                if r.stops
            ],
            "unassigned": [
                {"ticket_id": u.task_id, "reason": u.reason, "detail": u.detail}
                for u in self.unassigned
            ],
            "summary": {
                "assigned": sum(len(r.stops) for r in self.routes),
                "unassigned": len(self.unassigned),
                "breaches": self.breaches,
                "window_breaches": self.window_breaches,
                "travel_km": self.travel_km,
                "solve_s": round(self.solve_s, 3),
                "passes": self.passes,
            },
        }
