"""Sync endpoints for engineer phones (docs/sync-protocol.md): thin views over ``backend.sync``."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

import backend.models  # noqa: F401  (every feature's wiring registers its mutations first)
from backend.accounts.permissions import current_user, require_login
from backend.api.replica_routing import reads_replica
from backend.api.schemas_common import ApiBlueprint, operation
from backend.observe.metrics import count_pulled, count_pushed, timed_sync
from backend.sync import SERVER_SCHEMA_VERSION
from backend.sync.limits import push_limits
from backend.sync.pull import pull
from backend.sync.push import check_schema_version, push
from backend.sync.schemas import PullOut, PullQuery, PushIn, PushOut

# Derived from every registered mutation's documented maxima (backend/sync/limits.py).
LIMITS = push_limits()

blp = ApiBlueprint(
    "sync",
    __name__,
    url_prefix="/api/v1/sync",
    description="Offline sync",
    max_json_bytes=LIMITS["max_body_bytes"],
)


@blp.route("/pull")
class Pull(MethodView):
    @reads_replica
    @operation(blp, 200, PullOut, query=PullQuery, errors=(409,))
    @require_login
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Changes in your scope since ``cursor`` (none: a full snapshot, ``reset: true``).
        Keep pulling while ``has_more``; a garbage cursor is 422, a newer app 409."""
        check_schema_version(query["schema_version"])
        with timed_sync("pull"):
            body = pull(current_user(), query["cursor"], query["limit"], query["client_id"])
        count_pulled(body["changes"])
        body["server_schema_version"] = SERVER_SCHEMA_VERSION
        return body


@blp.route("/push")
class Push(MethodView):
    @blp.doc(
        requestBody={
            "description": (
                f"At most {LIMITS['max_mutations']} mutations and {LIMITS['max_body_bytes']} "
                f"bytes (UTF-8 JSON); the largest legal mutation is "
                f"{LIMITS['max_mutation_bytes']} bytes, so every one fits. Larger: 413."
            ),
            "x-max-body-bytes": LIMITS["max_body_bytes"],
            "x-max-mutation-bytes": LIMITS["max_mutation_bytes"],
        },
    )
    @operation(blp, 200, PushOut, body=PushIn, errors=(409,))
    @require_login
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Apply queued mutations in order, each exactly once. Per-mutation outcomes
        (``applied|merged|conflict|rejected|duplicate``) come with 200; any non-2xx answer
        means nothing was processed: keep the batch and retry it."""
        with timed_sync("push"):
            user = current_user()
            body = push(user, args["client_id"], args["schema_version"], args["mutations"])
        count_pushed(body["results"])
        return body
