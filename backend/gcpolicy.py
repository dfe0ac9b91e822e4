"""Garbage-collector settings for a long-running web worker.

CPython's collector runs a young-generation pass every 700 net allocations of container
objects; a request that loads and serializes 50 ORM rows allocates tens of thousands, so a
request paid for dozens of passes, and each pass after the first few also walked the app's
long-lived objects (routes, schemas, mappers: ~10^5 of them). Measured with
``bench/endpoint_cpu.py``: collections cost ~8 % of a request's CPU. After the app is loaded,
``settle`` moves everything alive into the permanent generation (``gc.freeze``: never scanned
again) and raises the young threshold, which cut the collector's time to a third. Memory is
not at risk: reference counting still frees almost everything the moment a request ends; the
collector is only for cycles, which a larger threshold collects a little later.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Call once the app is loaded, before serving (gunicorn's ``post_worker_init``)."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, gen1, gen2)
