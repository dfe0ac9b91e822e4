"""API keys of service accounts (admin only): create (the key is in that answer only), list
(never the key), revoke. Keys themselves are refused here: a key cannot make keys."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts import apikeys
from backend.accounts.models import ApiKey
from backend.accounts.permissions import current_user, require_admin
from backend.accounts.schemas import ApiKeyCreatedOut, ApiKeyCreateIn, ApiKeyOut
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.db import utcnow

blp = ApiBlueprint(
    "api_keys", __name__, url_prefix="/api/v1", description="API keys of service accounts (admin)"
)


@blp.route("/api-keys")
class ApiKeys(MethodView):
    @operation(blp, 201, ApiKeyCreatedOut, body=ApiKeyCreateIn, errors=(404,))
    @require_admin
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Create a key, for a new service account or (``service_account_id``) an existing
        one. The answer's ``key`` is the only time the key is shown."""
        key, plain = apikeys.create_key(**args, actor=current_user(), now=utcnow())
        return {**{name: getattr(key, name) for name in ApiKeyOut().fields}, "key": plain}

    @operation(blp, 200, ApiKeyOut(many=True), paginate=True)
    @require_admin
    def get(self, pagination_parameters: PaginationParameters) -> list[ApiKey]:
        """Every key, newest first, revoked ones too; never the key itself."""
        return paginate(apikeys.listing(), pagination_parameters)


@blp.route("/api-keys/<uuid:key_id>/revoke")
class ApiKeyRevoke(MethodView):
    @operation(blp, 200, ApiKeyOut, errors=(404,))
    @require_admin
    def post(self, key_id: uuid.UUID) -> ApiKey:
        """Revoke a key: its next request is refused (401). Revoking again changes nothing."""
        return apikeys.revoke_key(key_id, actor=current_user(), now=utcnow())
