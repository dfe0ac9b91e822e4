"""Sync push/pull are counted and timed for operators (fieldops_sync_*)."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from tests.sync.phone import Phone


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_push_and_pull_are_counted_and_timed(http, make_user, make_ticket, assign):
    alice = make_user()
    job = assign(make_ticket(), alice)
    before = {
        "applied": _value("fieldops_sync_mutations_total", status="applied"),
        "rejected": _value("fieldops_sync_mutations_total", status="rejected"),
        "push": _value("fieldops_sync_requests_total", op="push", outcome="ok"),
        "pull": _value("fieldops_sync_duration_seconds_count", op="pull"),
        "pulled": _value("fieldops_sync_pulled_changes_total"),
    }
    phone = Phone(alice.id)
    phone.pull_all(http.fetcher(alice))
    phone.queue("note.add", id=uuid.uuid4(), ticket_id=job.id, body="metrics")
    phone.queue("ticket.teleport", ticket_id=job.id)
    res = http.push(alice, phone.envelope())
    assert [r["status"] for r in res["results"]] == ["applied", "rejected"]
    assert _value("fieldops_sync_mutations_total", status="applied") == before["applied"] + 1
    assert _value("fieldops_sync_mutations_total", status="rejected") == before["rejected"] + 1
    assert _value("fieldops_sync_requests_total", op="push", outcome="ok") == before["push"] + 1
    assert _value("fieldops_sync_duration_seconds_count", op="pull") >= before["pull"] + 1
    assert _value("fieldops_sync_pulled_changes_total") >= before["pulled"] + 1  # the job
