"""Periodic jobs, declared by the feature that owns them.

A feature marks a job ``@periodic(every=...)`` in its ``tasks`` module; the scheduler
(``fieldops scheduler``, started by ``fieldops worker``) enqueues it on that interval with rq's
cron scheduler. Nothing re-enqueues itself, so a failed run, a Redis restart or a worker that
started before the migrations costs one run, never the schedule.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from backend.config import settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Periodic:
    func: Callable[..., Any]
    # Seconds between runs: a number, or an app config key (with ``default``) for a
    # deployment to tune.
    every: int | str
    default: int = 60

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    def interval(self, config: Mapping[str, Any]) -> int:
        if isinstance(self.every, int):
            return self.every
        value = getattr(settings(config), self.every, None)
        return max(int(self.default if value is None else value), 1)


_REGISTRY: dict[str, Periodic] = {}


def periodic(every: int | str, default: int = 60) -> Callable[[F], F]:
    """Run the decorated job every ``every`` seconds (or every ``config[every]``)."""

    def decorate(func: F) -> F:
        entry = Periodic(func, every, default)
        _REGISTRY[entry.name] = entry
        return func

    return decorate


def all_periodic() -> list[Periodic]:
    """Every declared periodic job: imports each feature's ``tasks`` module first."""
    root = Path(__file__).resolve().parent.parent  # backend/ (not ``import backend``: core
    # modules import no package above them, and the app package imports every layer)
    for info in sorted(pkgutil.iter_modules([str(root)]), key=lambda i: i.name):
        if info.ispkg and (root / info.name / "tasks.py").exists():
            importlib.import_module(f"backend.{info.name}.tasks")
    return sorted(_REGISTRY.values(), key=lambda p: p.name)
