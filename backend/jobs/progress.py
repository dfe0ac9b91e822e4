"""A long job's progress, kept in its rq job's meta and read back by a status endpoint: one
owner for every job a screen follows with a progress bar (report and time-sheet exports,
bulk imports). The job says its phase and rows done of rows total; the reader turns that into
a percent that reaches 100 only when rq says the job finished."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from redis.exceptions import RedisError
from rq.job import Job, JobStatus

T = TypeVar("T")

# How often a job writes its progress to Redis: every this many rows, or this many seconds.
PROGRESS_EVERY_ROWS = 500
PROGRESS_EVERY_S = 0.5


class Progress:
    """The job's ``progress`` meta: phase, rows done, rows total (None while unknown). Without
    a current rq job (inline mode, a direct call) it does nothing."""

    def __init__(self, current: Job | None) -> None:
        self.current = current
        self.started = time.time()
        self.saved_at = 0.0

    def set(self, phase: str, done: int, total: int | None) -> None:
        if self.current is None:
            return
        self.current.meta["progress"] = {
            "phase": phase,
            "done": done,
            "total": total,
            "started_at": self.started,
        }
        self.saved_at = time.time()
        with contextlib.suppress(RedisError):  # progress is a courtesy: the job goes on
            self.current.save_meta()  # type: ignore[no-untyped-call]

    def count(self, phase: str, rows: Iterable[T], total: int, start: int = 0) -> Iterator[T]:
        """``rows`` passed through, the count saved every few rows or fractions of a second."""
        for i, row in enumerate(rows, start=start + 1):
            yield row
            if i % PROGRESS_EVERY_ROWS == 0 or time.time() - self.saved_at >= PROGRESS_EVERY_S:
                self.set(phase, i, total)


def progress_of(rq_job: Job) -> dict[str, Any] | None:
    """``{phase, done, total, percent, seconds}`` of a job that saved its progress, else None."""
    meta = (rq_job.meta or {}).get("progress")
    if not meta:
        return None
    finished = rq_job.get_status() == JobStatus.FINISHED
    done, total = int(meta["done"]), meta["total"]
    if finished:
        percent = 100
    elif total:
        percent = min(99, int(100 * done / total))
    else:
        percent = 0 if total is None else 99
    return {
        "phase": "done" if finished else meta["phase"],
        "done": done,
        "total": total,
        "percent": percent,
        "seconds": round(time.time() - float(meta["started_at"]), 1),
    }
