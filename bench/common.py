"""Small helpers shared by the benchmarks: a seeded RNG, percentiles, free ports, a timer and
the final ``RESULT <name> key=value ...`` line."""

from __future__ import annotations

import math
import random
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

DEFAULT_SEED = 20261122


def rng(seed: int = DEFAULT_SEED) -> random.Random:
    return random.Random(seed)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); what "p99" means in the RESULT lines."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def fmt(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def result_line(name: str, **figures: float | int) -> str:
    line = "RESULT " + name + " " + " ".join(f"{k}={fmt(v)}" for k, v in figures.items())
    print(line, flush=True)
    return line
