"""User administration (admin only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from backend.accounts.models import User
from backend.accounts.operations import create_user
from backend.accounts.permissions import require_admin
from backend.accounts.schemas import UserCreateIn, UserOut, UserQuery
from backend.api.schemas_common import BEARER, ApiBlueprint, document_errors, paginate

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1", description="User accounts (admin)")


@blp.route("/users")
class Users(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(UserCreateIn)
    @blp.response(201, UserOut)
    @document_errors(blp, 401, 403, 409, 413, 422)
    @require_admin
    def post(self, args: dict[str, Any]):
        """Create a user (admin, dispatcher or engineer)."""
        return create_user(**args)

    @blp.doc(security=BEARER)
    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserOut(many=True))
    @blp.paginate()
    @document_errors(blp, 401, 403, 422)
    @require_admin
    def get(self, query: dict[str, Any], pagination_parameters):
        """Users, ordered by e-mail; filter by ``role``."""
        stmt = select(User).order_by(User.email)
        if "role" in query:
            stmt = stmt.where(User.role == query["role"])
        return paginate(stmt, pagination_parameters)
