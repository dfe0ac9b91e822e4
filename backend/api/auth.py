"""Login, token refresh, logout and ``/me``.

Failed logins slow down the (account, client address) pair with a growing delay, under two
coarse ceilings (``backend.accounts.throttle``), so a stranger typing wrong passwords for an
engineer's e-mail slows only themself. Unknown e-mail and wrong password get the same 401
message, so the endpoint does not reveal who has an account.

Each login starts a session (a refresh-token family, ``backend.accounts.sessions``); refresh
rotates its token, logout ends it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt, get_jwt_identity
from flask_smorest import abort

from backend.accounts import sessions, setup_tokens
from backend.accounts.models import User
from backend.accounts.operations import authenticate
from backend.accounts.permissions import (
    Unauthenticated,
    current_user,
    require_login,
    takes_token,
)
from backend.accounts.schemas import (
    LoginIn,
    LoginOut,
    RefreshOut,
    RevokedOut,
    SetPasswordIn,
    UserOut,
)
from backend.accounts.throttle import login_throttle
from backend.api import keep_changes_on_error
from backend.api.schemas_common import ApiBlueprint, operation
from backend.config import settings
from backend.db import utcnow
from backend.extensions import client_ip, limiter

blp = ApiBlueprint(
    "auth", __name__, url_prefix="/api/v1", description="Log in, refresh tokens, log out, who am I"
)

BAD_CREDENTIALS = "wrong e-mail or password"


class BadCredentials(Unauthenticated):
    pass


@blp.route("/auth/login")
class Login(MethodView):
    @blp.doc(security=[])
    @operation(blp, 200, LoginOut, body=LoginIn, errors=(401, 429))
    def post(self, args: dict[str, Any]) -> dict[str, object]:
        """Exchange e-mail and password for an access and a refresh token (a new session).

        After a few failures for one account from one address, that pair waits longer after
        each further failure (429 with ``Retry-After``); other addresses are not affected."""
        email, address = args["email"], client_ip()
        throttle = login_throttle()
        refusal = throttle.check(email, address)
        if refusal is not None:
            abort(429, message=refusal.message, headers={"Retry-After": str(refusal.retry_after)})
        user = authenticate(email, args["password"])
        if user is None:
            throttle.failed(email, address)
            raise BadCredentials(BAD_CREDENTIALS)
        throttle.succeeded(email, address)
        tokens = sessions.start_session(user, user_agent=request.user_agent.string, now=utcnow())
        return {**tokens, "user": user}


def _setup_limit() -> str:
    return str(settings().PASSWORD_SETUP_LIMIT_PER_IP)


@blp.route("/auth/set-password")
class SetPassword(MethodView):
    decorators = [limiter.limit(_setup_limit, key_func=client_ip, methods=["POST"])]

    @blp.doc(security=[])
    @operation(blp, 204, None, body=SetPasswordIn, errors=(422, 429))
    def post(self, args: dict[str, Any]) -> None:
        """Choose a password with the one-time token of a set-up link (an imported engineer's
        invitation). Unknown, used and expired tokens get the same 422; every session of the
        user ends; a few attempts per address per quarter hour (429 with Retry-After)."""
        setup_tokens.redeem(args["token"], args["password"], utcnow())


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @takes_token("refresh")
    @blp.doc(description="Send the refresh token as the bearer token.")
    @blp.response(200, RefreshOut)
    def post(self) -> dict[str, str]:
        """New access and refresh tokens; the refresh token sent is retired. Store the new
        one: sending a retired token again (after a few seconds' grace) ends the session on
        every device, as it means someone else holds a copy."""
        claims = get_jwt()
        grace = timedelta(seconds=settings().REFRESH_REUSE_GRACE_S)
        try:
            _user, tokens = sessions.rotate(
                user_id=_identity(),
                family_id=claims.get("fam"),
                jti=str(claims.get("jti")),
                now=utcnow(),
                grace=grace,
            )
        except sessions.RefreshReused:
            keep_changes_on_error()  # the revocation must outlive this 401
            raise
        return tokens


@blp.route("/auth/logout")
class Logout(MethodView):
    @takes_token("any")
    @blp.doc(
        description="Send the access or the refresh token (the access token may have expired "
        "while offline). Tokens of this session stop working at once.",
    )
    @blp.response(204)
    def post(self) -> None:
        """End this session (its refresh token family)."""
        sessions.end_session(get_jwt().get("fam"), user_id=_identity(), now=utcnow())


@blp.route("/auth/logout-all")
class LogoutAll(MethodView):
    @takes_token("any")
    @blp.doc(description="Send the access or the refresh token.")
    @blp.response(200, RevokedOut)
    def post(self) -> dict[str, int]:
        """Log out everywhere: end every session of the calling user."""
        count = sessions.end_all_sessions(_identity(), now=utcnow(), reason="logout_all")
        return {"revoked": count}


def _identity() -> uuid.UUID:
    try:
        return uuid.UUID(str(get_jwt_identity()))
    except ValueError as exc:
        raise Unauthenticated("token subject is not a user id") from exc


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    @require_login
    def get(self) -> User:
        """The logged-in user."""
        return current_user()
