"""A pulled job carries what the engineer needs on site (customer, site, asset, status history),
only to its assignee, loaded per page rather than per ticket."""

from __future__ import annotations

from sqlalchemy import event

from backend.db import db
from backend.workorders import operations as ops
from backend.workorders.models import Ticket


def _jobs(pulled):
    return {t["id"]: t for t in pulled["changes"]["tickets"]["upserts"]}


def _pull_all(http, user):
    cursor, tickets = None, {}
    while True:
        page = http.pull(user, cursor, limit=500)
        tickets.update(_jobs(page))
        cursor = page["cursor"]
        if not page["has_more"]:
            return tickets, cursor


def test_pulled_job_has_customer_site_asset_and_history(
    http, make_user, make_customer, make_site, make_asset, make_ticket, assign
):
    customer = make_customer("Kaufhaus Mitte")
    customer.phone = "+49 30 1234567"
    db.session.commit()
    asset = make_asset(make_site(customer=customer, name="Loading bay"), name="Freezer 2")
    ticket = make_ticket(asset_id=asset.id, title="Freezer alarm")
    other = make_ticket(title="Someone else's job")
    engineer, colleague = make_user("engineer"), make_user("engineer")
    assign(ticket, engineer)
    assign(other, colleague)
    ops.transition(db.session.get(Ticket, ticket.id), engineer, "accept")
    db.session.commit()

    jobs, cursor = _pull_all(http, engineer)
    assert set(jobs) == {str(ticket.id)}  # the colleague's job and its customer stay away
    job = jobs[str(ticket.id)]
    assert job["customer"] == {"name": "Kaufhaus Mitte", "phone": "+49 30 1234567"}
    assert job["site"] == {"name": "Loading bay", "address": "Alexanderplatz 1"}
    assert job["asset"] == {"name": "Freezer 2", "model": "CX-900", "serial": "SN-1"}
    assert [(h["from_status"], h["to_status"]) for h in job["history"]] == [
        (None, "new"),
        ("new", "assigned"),
        ("assigned", "accepted"),
    ]
    assert "email" not in job["customer"]  # the phone gets what it needs to call ahead
    assert job["allowed_actions"] == ["start_travel", "hold"]  # the engineer's, from states.py

    # A new status change re-delivers the ticket with its history grown.
    ops.transition(db.session.get(Ticket, ticket.id), engineer, "start_travel")
    db.session.commit()
    again = _jobs(http.pull(engineer, cursor))
    assert again[str(ticket.id)]["history"][-1]["to_status"] == "en_route"
    assert again[str(ticket.id)]["allowed_actions"] == ["arrive", "hold"]


def test_a_job_without_asset_or_site_says_so(http, make_user, make_ticket, assign):
    engineer = make_user("engineer")
    ticket = make_ticket(title="Walk-in report")
    assign(ticket, engineer)
    job = _pull_all(http, engineer)[0][str(ticket.id)]
    assert job["customer"] is None and job["site"] is None and job["asset"] is None
    assert job["history"][-1]["to_status"] == "assigned"


def test_context_costs_the_same_queries_for_3_or_30_jobs(
    app, http, make_user, make_asset, make_ticket, assign
):
    def statements_for_snapshot(count: int) -> int:
        engineer = make_user("engineer")
        for _ in range(count):
            assign(make_ticket(asset_id=make_asset().id), engineer)
        seen = []

        def counter(*_args):
            seen.append(1)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            jobs, _ = _pull_all(http, engineer)
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        assert len(jobs) == count and all(j["asset"]["name"] for j in jobs.values())
        assert seen, "the listener saw no statements"
        return len(seen)

    assert statements_for_snapshot(30) == statements_for_snapshot(3)


def test_completion_requirements_follow_the_deployments_rules(
    app, monkeypatch, http, make_user, make_ticket, make_skill, assign
):
    monkeypatch.setitem(
        app.config,
        "COMPLETION_RULES",
        {
            "default": {"signature": False, "photos": 2, "parts": True},
            "priority": {"P1": {"photos": 4}},
            "category": {"inspection": {"parts": False}},
        },
    )
    make_skill("inspection")
    engineer = make_user("engineer")
    urgent = make_ticket(priority="P1")
    survey = make_ticket(priority="P3", required_skills=["inspection"])
    for t in (urgent, survey):
        assign(t, engineer)
    jobs = _pull_all(http, engineer)[0]
    assert jobs[str(urgent.id)]["completion"]["requirements"] == {
        "signature": False,
        "photos": 4,
        "parts": True,
    }
    assert jobs[str(survey.id)]["completion"]["requirements"] == {
        "signature": False,
        "photos": 2,
        "parts": False,
    }
