"""The e2e world can be built through the HTTP API (runs before the browser scenarios)."""

from __future__ import annotations


def test_world_builds_and_engineer_pulls_the_job(world):
    eng = world.engineer("Smoke Engineer")
    tk = world.ticket("Smoke test job", assign_to=eng)
    assert tk["assignee_id"] == eng["id"]
    assert tk["status"] == "assigned"
