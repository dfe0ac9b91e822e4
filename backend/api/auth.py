"""Login, token refresh and ``/me``.

Login is throttled twice with Flask-Limiter: per account (slows guessing one password) and per
client IP (slows spraying many accounts). Only failed attempts count, so an engineer logging in
from phone and laptop is never locked out by their own successes. Unknown e-mail and wrong
password get the same 401 message, so the endpoint does not reveal who has an account.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    jwt_required,
)

from backend.accounts.models import User
from backend.accounts.operations import authenticate, normalise_email
from backend.accounts.permissions import Unauthenticated, current_user, require_login
from backend.accounts.schemas import LoginIn, LoginOut, RefreshOut, UserOut
from backend.api.schemas_common import BEARER, ApiBlueprint, document_errors
from backend.db import db
from backend.extensions import client_ip, limiter

blp = ApiBlueprint(
    "auth", __name__, url_prefix="/api/v1", description="Log in, refresh tokens, who am I"
)

BAD_CREDENTIALS = "wrong e-mail or password"


class BadCredentials(Unauthenticated):
    pass


def _account_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "login-account:" + (normalise_email(email) if isinstance(email, str) else "-")


def _ip_key() -> str:
    return "login-ip:" + client_ip()


def _failed(response: Any) -> bool:
    return response.status_code == 401


def _tokens_for(user: User) -> dict[str, str]:
    claims = {"role": user.role}
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
    }


@blp.route("/auth/login")
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(LoginIn)
    @blp.response(200, LoginOut)
    @document_errors(blp, 401, 413, 422, 429)
    @limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=_account_key,
        deduct_when=_failed,
        scope="login-account",
        error_message="too many failed logins for this account; try again later",
    )
    @limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
        key_func=_ip_key,
        deduct_when=_failed,
        scope="login-ip",
        error_message="too many failed logins from this address; try again later",
    )
    def post(self, args: dict[str, Any]):
        """Exchange e-mail and password for an access and a refresh token."""
        user = authenticate(args["email"], args["password"])
        if user is None:
            raise BadCredentials(BAD_CREDENTIALS)
        return {**_tokens_for(user), "user": user}


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.doc(security=BEARER, description="Send the refresh token as the bearer token.")
    @blp.response(200, RefreshOut)
    @document_errors(blp, 401)
    @jwt_required(refresh=True)
    def post(self):
        """A new access token for a refresh token (the account must still be active)."""
        user = db.session.get(User, _identity())
        if user is None or not user.is_active:
            raise Unauthenticated("account not found or disabled")
        token = create_access_token(identity=str(user.id), additional_claims={"role": user.role})
        return {"access_token": token}


def _identity() -> uuid.UUID:
    try:
        return uuid.UUID(str(get_jwt_identity()))
    except ValueError as exc:
        raise Unauthenticated("token subject is not a user id") from exc


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, UserOut)
    @document_errors(blp, 401)
    @require_login
    def get(self):
        """The logged-in user."""
        return current_user()
