"""The ``timesheet.correct`` sync mutation: an engineer's correction made on the phone,
offline too, through the operation the REST view calls. Merge rule: every correction is kept,
the latest by the device's time wins per entry (``derive.winning``), so two phones' corrections
settle the same whatever order they sync in. A correction of an approved day is a conflict:
kept for a dispatcher, who can apply it (``reapply``) or dismiss it."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE

from backend.accounts.models import User
from backend.db import utcnow
from backend.sync.models import SyncConflict
from backend.sync.registry import Entity, MutationContext, MutationOutcome, mutation
from backend.timesheets import operations as ops
from backend.timesheets.schemas import CorrectionIn

CORRECTIONS = Entity("timesheet_corrections", "id")


class CorrectArgs(CorrectionIn):
    class Meta:
        unknown = EXCLUDE  # newer apps may send fields this server ignores


def _as_input(args: dict[str, Any], user: User, occurred_at: Any) -> ops.CorrectionIn:
    return ops.CorrectionIn(
        id=args["id"],
        engineer_id=args.get("engineer_id") or user.id,
        entry_id=args["entry_id"],
        kind=args["kind"],
        ticket_id=args["ticket_id"],
        start=args["start"],
        end=args["end"],
        removed=args["removed"],
        reason=args["reason"],
        occurred_at=args["occurred_at"] or occurred_at,
    )


def _reapply(conflict: SyncConflict, actor: User, _policy: dict[str, tuple[float, float]]) -> bool:
    """A dispatcher applies the engineer's correction to the approved day (it stays approved:
    the dispatcher decided it, the snapshot is refreshed by approving again)."""
    loaded = CorrectArgs().load(conflict.mine)
    owner = conflict.actor_id
    if owner is None:
        return False
    loaded.setdefault("engineer_id", owner)
    ops.correct(actor, _as_input(loaded, actor, None), now=utcnow(), via="sync", force=True)
    return True


@mutation("timesheet.correct", CorrectArgs, entity=CORRECTIONS, reapply=_reapply)
def timesheet_correct(args: dict[str, Any], ctx: MutationContext) -> MutationOutcome:
    _row, created = ops.correct(
        ctx.user, _as_input(args, ctx.user, ctx.occurred_at), now=utcnow(), via="sync"
    )
    return MutationOutcome("applied" if created else "merged")
