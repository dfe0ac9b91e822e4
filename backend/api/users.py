"""User administration (admin only)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from backend.accounts import setup_tokens
from backend.accounts.models import User
from backend.accounts.operations import create_user
from backend.accounts.permissions import current_user, require_admin
from backend.accounts.schemas import PasswordSetupOut, RevokedOut, UserCreateIn, UserOut, UserQuery
from backend.accounts.sessions import end_all_sessions
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.db import utcnow

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1", description="User accounts (admin)")


@blp.route("/users")
class Users(MethodView):
    @operation(blp, 201, UserOut, body=UserCreateIn, errors=(409,))
    @require_admin
    def post(self, args: dict[str, Any]) -> User:
        """Create a user (admin, dispatcher or engineer)."""
        return create_user(**args)

    @operation(blp, 200, UserOut(many=True), query=UserQuery, paginate=True)
    @require_admin
    def get(self, query: dict[str, Any], pagination_parameters: PaginationParameters) -> list[User]:
        """Users, ordered by e-mail; filter by ``role``."""
        stmt = select(User).order_by(User.email)
        if "role" in query:
            stmt = stmt.where(User.role == query["role"])
        return paginate(stmt, pagination_parameters)


@blp.route("/users/<uuid:user_id>/sessions/revoke")
class UserSessionsRevoke(MethodView):
    @operation(blp, 200, RevokedOut, errors=(404,))
    @require_admin
    def post(self, user_id: uuid.UUID) -> dict[str, int]:
        """End every session of a user (a lost phone, a leaver): their tokens stop working at
        once and they must log in again."""
        return {"revoked": end_all_sessions(user_id, now=utcnow(), reason="admin")}


@blp.route("/users/<uuid:user_id>/password-setup")
class UserPasswordSetup(MethodView):
    @operation(blp, 201, PasswordSetupOut, errors=(404,))
    @require_admin
    def post(self, user_id: uuid.UUID) -> dict[str, object]:
        """A new one-time link for the user to choose a password (imported engineers have
        none), shown once and e-mailed when mail is configured; older links stop working."""
        return setup_tokens.issue_for(current_user(), user_id, utcnow())
