"""Account schemas. Input and output are separate classes: a password goes in, never out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.accounts.apikeys import SCOPES
from backend.accounts.models import SERVICE_ROLE, Role
from backend.accounts.operations import MIN_PASSWORD_LENGTH

ROLES = [r.value for r in Role]
# What a listed account can be: the roles people log in with, and service accounts.
ACCOUNT_KINDS = [*ROLES, SERVICE_ROLE]


class LoginIn(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UserBriefOut(Schema):
    """Who a user is (the login answer's ``user``); ``UserOut`` adds the account's state."""

    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    role = fields.String(metadata={"enum": ACCOUNT_KINDS})


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
    role = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))


class ApiKeyCreateIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(SCOPES)),
        metadata={"description": "<area>:write includes <area>:read"},
    )
    rate_limit_per_minute = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "Requests per minute; null: the server's default"},
    )
    service_account_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Add the key to this service account (rotation); "
            "null: a new service account named after the key"
        },
    )


class ApiKeyOut(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    prefix = fields.String(
        required=True, metadata={"description": "The key's first characters, to recognise it"}
    )
    scopes = fields.List(fields.String(metadata={"enum": list(SCOPES)}), required=True)
    rate_limit_per_minute = fields.Integer(required=True, allow_none=True)
    service_account_id = fields.UUID(required=True)
    created_at = fields.DateTime(required=True)
    created_by_id = fields.UUID(required=True, allow_none=True)
    last_used_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Updated at most once a minute (API_KEY_LAST_USED_EVERY_S)"},
    )
    revoked_at = fields.DateTime(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class ApiKeyCreatedOut(ApiKeyOut):
    key = fields.String(
        required=True,
        metadata={
            "description": "The key: send it as X-API-Key. Shown only in this answer; "
            "the server keeps a hash"
        },
    )


class SetPasswordIn(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The one-time token of the set-up link"},
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=1024),
        metadata={"description": f"The new password, at least {MIN_PASSWORD_LENGTH} characters"},
    )


class PasswordSetupOut(Schema):
    token = fields.String(
        required=True, metadata={"description": "Shown once; only its hash is stored"}
    )
    url = fields.String(required=True, metadata={"description": "The set-up page with the token"})
    expires_at = fields.DateTime(required=True)
    emailed = fields.Boolean(
        required=True, metadata={"description": "An invitation e-mail was queued (mail on)"}
    )
