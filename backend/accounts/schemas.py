"""Account schemas. Input and output are separate classes: a password goes in, never out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.accounts.models import Role
from backend.accounts.operations import MIN_PASSWORD_LENGTH

ROLES = [r.value for r in Role]


class LoginIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserBriefOut(Schema):
    """Who a user is (the login answer's ``user``); ``UserOut`` adds the account's state."""

    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    role = fields.String(metadata={"enum": ROLES})


class UserOut(UserBriefOut):
    id = fields.UUID(dump_only=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class LoginOut(Schema):
    access_token = fields.String(metadata={"description": "Short-lived JWT for Authorization"})
    refresh_token = fields.String(
        metadata={"description": "Long-lived JWT for POST /auth/refresh (engineers go offline)"}
    )
    user = fields.Nested(UserBriefOut)


class RefreshOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String(
        metadata={"description": "The rotated refresh token: store it, the one sent is retired"}
    )


class RevokedOut(Schema):
    revoked = fields.Integer(metadata={"description": "How many sessions were ended"})


class UserCreateIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    # Upper bound: argon2 hashes anything, but a megabyte "password" is an attack, not a user.
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=1024)
    )


class UserQuery(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
