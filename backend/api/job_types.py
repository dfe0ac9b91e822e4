"""Job types and their versioned checklists (dispatchers and admins; docs/planned-work.md)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_staff
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.jobtypes import operations as ops
from backend.jobtypes.models import JobType, JobTypeVersion
from backend.jobtypes.schemas import (
    JobTypeCreateIn,
    JobTypeOut,
    JobTypePatchIn,
    JobTypeQuery,
    JobTypeVersionOut,
)

blp = ApiBlueprint(
    "job_types",
    __name__,
    url_prefix="/api/v1",
    description="Job types: defaults and versioned checklists for planned work",
)


@blp.route("/job-types")
class JobTypes(MethodView):
    @operation(blp, 201, JobTypeOut, body=JobTypeCreateIn, errors=(404, 409))
    @require_staff
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create a job type (its version 1). A checklist that breaks a rule between its
        fields (a duplicate key, min above max, a condition on a later item) is a 422 naming
        the field by its path (``checklist.sections.0.items.2.max``); unknown skill codes and
        part ids are 422 too; a name already used is 409."""
        return ops.describe(ops.create_job_type(current_user(), **args))

    @operation(blp, 200, JobTypeOut(many=True), query=JobTypeQuery, paginate=True)
    @require_staff
    def get(
        self, query: dict[str, Any], pagination_parameters: PaginationParameters
    ) -> list[dict[str, Any]]:
        """Job types by name, each with its current version's content."""
        page: list[JobType] = paginate(
            ops.job_types_query(query.get("active")), pagination_parameters
        )
        return ops.describe_page(page)


@blp.route("/job-types/<uuid:job_type_id>")
class JobTypeById(MethodView):
    @operation(blp, 200, JobTypeOut, errors=(404,))
    @require_staff
    def get(self, job_type_id: uuid.UUID) -> dict[str, Any]:
        """One job type with its current version's content."""
        return ops.describe(ops.get_job_type(job_type_id))

    @operation(blp, 200, JobTypeOut, body=JobTypePatchIn, errors=(404, 409))
    @require_staff
    def patch(self, args: dict[str, Any], job_type_id: uuid.UUID) -> dict[str, Any]:
        """Edit: name ``version``, the current version you edited (stale: 409). Any change of
        content makes a new version (tickets already created keep theirs); ``active`` alone
        archives or restores the type without a new version."""
        job_type = ops.get_job_type(job_type_id)
        version = args.pop("version")
        return ops.describe(ops.update_job_type(job_type, current_user(), args, version=version))


@blp.route("/job-types/<uuid:job_type_id>/versions")
class Versions(MethodView):
    @operation(blp, 200, JobTypeVersionOut(many=True), paginate=True, errors=(404,))
    @require_staff
    def get(
        self, job_type_id: uuid.UUID, pagination_parameters: PaginationParameters
    ) -> list[JobTypeVersion]:
        """Every version of a job type, newest first."""
        job_type = ops.get_job_type(job_type_id)
        return paginate(ops.versions_query(job_type), pagination_parameters)


@blp.route("/job-type-versions/<uuid:version_id>")
class VersionById(MethodView):
    @operation(blp, 200, JobTypeVersionOut, errors=(404,))
    @require_staff
    def get(self, version_id: uuid.UUID) -> JobTypeVersion:
        """One version (what a ticket created with it asks for)."""
        return ops.get_version(version_id)
