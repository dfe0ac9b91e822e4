"""The documented shape of every synced collection (``backend.sync.wire``, in the OpenAPI
document under ``changes`` of a pull) loads real rows as ``serialize`` sends them: every key
documented, nothing extra, each value of the documented type (null only where allowed)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from backend.checklists.operations import answer
from backend.db import db
from backend.jobtypes.operations import create_job_type
from backend.jobtypes.schemas import JobChecklistIn
from backend.media.operations import register_photo
from backend.media.storage import MediaSettings
from backend.parts.operations import consume_part
from backend.seed import seed_demo
from backend.sync.conflicts import record_conflict
from backend.sync.entities import entities, serialize_many
from backend.sync.wire import changes_schema, entity_schema
from backend.timesheets.models import TimesheetCorrection, TimesheetDay
from backend.workorders.operations import add_note


def _time_sheet_rows(engineer) -> None:
    """A manual time-sheet entry and an approved day (written as the operations would)."""
    now = datetime.now(UTC)
    db.session.add(
        TimesheetCorrection(
            engineer_id=engineer.id,
            author_id=engineer.id,
            kind="travel",
            start_at=now - timedelta(hours=1),
            end_at=now,
            reason="forgot to press start",
            day_from=now.date(),
            day_to=now.date(),
        )
    )
    db.session.add(TimesheetDay(engineer_id=engineer.id, day=date(2026, 1, 5), snapshot={}))


def _checklist_answers(job, engineer) -> None:
    """A ticket of a job type, its checklist answered: a text, a signature, one cleared."""
    checklist = JobChecklistIn().load(
        {
            "sections": [
                {
                    "title": "S",
                    "items": [
                        {"key": "remarks", "label": "Remarks", "type": "text"},
                        {"key": "witness", "label": "Witness", "type": "signature"},
                    ],
                }
            ]
        }
    )
    jt = create_job_type(engineer, name="Wire shapes", default_priority="P3", checklist=checklist)
    _, typed = job(job_type_id=jt.id, engineer=engineer)
    answer(typed, engineer, "remarks", "all fine")
    answer(typed, engineer, "remarks", None)
    answer(typed, engineer, "witness", {"signer_name": "Ann", "strokes": [[[1, 2], [3, 4]]]})


def test_every_synced_row_loads_with_its_documented_schema(app, session, job, stock):
    seed_demo(app.config["SLA_POLICY"])  # tickets in every status, sign-offs, statements
    engineer, ticket = job()
    part, _, _ = stock(engineer=engineer, van_qty="5")
    add_note(ticket, author=engineer, body="fan replaced")
    consume_part(ticket, engineer, part_id=part.id, quantity=Decimal("1"))
    register_photo(
        actor=engineer,
        ticket_id=ticket.id,
        photo_id=uuid.uuid4(),
        sha256="a" * 64,
        content_type="image/jpeg",
        size=1234,
        settings=MediaSettings.from_config(),
    )
    record_conflict(
        actor=engineer,
        kind="stale",
        message="changed on the server",
        entity="tickets",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        mine={"title": "a"},
        theirs={"title": "b"},
    )
    _time_sheet_rows(engineer)
    _checklist_answers(job, engineer)
    db.session.flush()
    checked: dict[str, int] = {}
    for name, entity in entities().items():
        cls: Any = entity.cls
        rows = list(db.session.scalars(select(cls).limit(50)))
        schema = entity_schema(name)()
        for row in serialize_many(rows):
            errors = schema.validate(row)
            assert not errors, f"{name}: {errors}\n{row}"
        checked[name] = len(rows)
    covered = {name for name, n in checked.items() if n}
    assert covered == set(entities()), checked  # every collection had rows to check
    # The check bites: an undocumented key, a missing one, a wrong type.
    (row,) = serialize_many([ticket])
    tickets = entity_schema("tickets")()
    assert tickets.validate({**row, "surprise": 1}) == {"surprise": ["Unknown field."]}
    assert "history" in tickets.validate({k: v for k, v in row.items() if k != "history"})
    assert "seq" in tickets.validate({**row, "seq": "seven"})
    assert set(changes_schema()._declared_fields) == set(entities())
