"""``GET /metrics``: Prometheus exposition for operators (who may read it: observe/scrape.py)."""

from __future__ import annotations

from flask import Response, request
from flask.typing import ResponseReturnValue

from backend.api.contract import ErrorSchema
from backend.api.schemas_common import HTML, ApiBlueprint
from backend.config import settings
from backend.db import db
from backend.observe.collector import StateCollector
from backend.observe.scrape import AccessDenied, check_access, render, scrape_redis
from backend.workorders.states import OPEN_STATUSES

blp = ApiBlueprint("metrics", __name__, description="Operations")


@blp.route("/metrics")
@blp.doc(
    summary="Prometheus metrics (operators: loopback, or FIELDOPS_METRICS_TOKEN)",
    # Not a user JWT: operators read it with their own token (or from loopback), below.
    security=[],
)
# The answer is Prometheus' text format, not JSON (schemathesis against a live server found
# it documented as the JSON error only); refusals are the usual JSON error.
@blp.response(200, HTML, content_type="text/plain", description="Prometheus text format")
@blp.alt_response(401, schema=ErrorSchema, description="a token is configured and none was sent")
@blp.alt_response(403, schema=ErrorSchema, description="a wrong token, or no token off loopback")
def metrics() -> ResponseReturnValue:
    """Prometheus text format; see docs/operations.md for the names."""
    from backend.api import error_response
    from backend.jobs import QUEUES

    try:
        check_access(
            settings().METRICS_TOKEN,
            request.headers.get("Authorization"),
            request.remote_addr,
            request.headers,
        )
    except AccessDenied as exc:
        return error_response(exc.status, exc.message)
    state = StateCollector(
        db.engine.connect if db.engine is not None else None,
        scrape_redis(settings().REDIS_URL),
        QUEUES,
        list(OPEN_STATUSES),
    )
    body, content_type = render(state)
    return Response(body, content_type=content_type)
