"""The engineer's own week (docs/kpis.md): any logged-in user, always their own numbers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from backend.accounts.permissions import current_user, require_login
from backend.api.schemas_common import ApiBlueprint, operation
from backend.db import utcnow
from backend.reports.week import MyWeekOut, MyWeekQuery, my_week

blp = ApiBlueprint("my_week", __name__, url_prefix="/api/v1", description="The engineer's own week")


@blp.route("/reports/me/week")
class MyWeek(MethodView):
    @operation(blp, 200, MyWeekOut, query=MyWeekQuery)
    @require_login
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Jobs you completed this week, your travel and on-site hours, how many of those jobs
        met their resolve-by deadline, and their customers' rating. Only ever your own: there
        is no parameter naming another engineer."""
        return my_week(current_user().id, now=utcnow(), week_of=query["week_of"])
