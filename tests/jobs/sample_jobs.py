"""Jobs for the outbox tests: each leaves one dispatcher notification, so a test counts how
often a job's effects committed."""

from __future__ import annotations

from backend.jobs import job
from backend.notify.operations import notify

KIND = "outbox_test"


@job(queue="default", timeout=30, retry=(1,))
def leave_mark(label: str) -> str:
    notify(kind=KIND, role="dispatcher", title=label)
    return label


@job(queue="default", timeout=30, retry=())
def fail_always(label: str) -> str:
    raise RuntimeError(f"{label} fails on purpose")


@job(queue="default", timeout=30, retry=())
def which_request() -> str | None:
    from backend.logs import get_request_id

    return get_request_id()
