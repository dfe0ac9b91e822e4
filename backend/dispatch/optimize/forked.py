"""Work in forked processes that the plan can give up on at a deadline. PURE (no database).

The plan's time budget is a promise to the dispatcher waiting for the preview. Most of its
steps look at the clock, but VROOM's construction heuristics do not: they run to the end
before its timeout is checked, and on a machine other processes keep busy they take several
times as long as ``optimize.split`` predicts (2,000 x 200 with a 4 s budget answered after
7.8 s beside four busy processes). A thread cannot be stopped; a process can. So such a call
runs in a forked child (nothing pickled on the way in, only its answer back) and is killed
at its deadline; the caller carries on with what it has (the tickets it would have routed are
inserted by the next pass instead).

``slowdown`` says how much slower than its CPU time the plan's own work is running right now
(the machine is shared), so predictions made on a quiet machine can be scaled before they
are relied on.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")

MAX_SLOWDOWN = 4.0  # beyond this the prediction is no better than "much slower"
MIN_SAMPLE_CPU_S = 0.05  # shorter samples say more about the scheduler tick than the machine


def slowdown(wall_s: float, cpu_s: float) -> float:
    """Wall time over CPU time of a single-threaded stretch of the plan's work (1: it had a
    core to itself), clamped to [1, ``MAX_SLOWDOWN``]; 1 for a sample too short to tell."""
    if cpu_s < MIN_SAMPLE_CPU_S:
        return 1.0
    return min(MAX_SLOWDOWN, max(1.0, wall_s / cpu_s))


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def _child(conn: Connection, work: Callable[[], Any]) -> None:
    try:
        conn.send(work())
    finally:
        conn.close()


def run_until(work: Callable[[], T], until: float) -> T | None:
    """``work()`` in a forked child; its answer, or None if it has none by ``until``
    (``time.perf_counter()``) or failed - the child is gone either way. Where processes
    cannot be forked, ``work()`` runs here, unbounded."""
    if not can_fork():
        return work()
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, work), daemon=True)
    proc.start()
    send.close()
    got = collect(proc, recv, until, most=1)
    return got[0] if got else None


def collect(proc: Any, recv: Connection, until: float, most: int | None = None) -> list[Any]:
    """What a forked worker sends by ``until`` (``most`` answers at most; all until it
    closes its end if None), and then the worker is gone: one that fails or is late loses
    only its own answers, which were only ever candidates."""
    got: list[Any] = []
    try:
        while (most is None or len(got) < most) and recv.poll(
            max(0.05, until - time.perf_counter())
        ):
            got.append(recv.recv())
    except (EOFError, OSError):
        pass  # finished (its end closed) or died: what arrived is kept
    finally:
        recv.close()
        proc.join(0.05)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return got
