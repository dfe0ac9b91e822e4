"""Device registration for push, and the caller's notifications."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, fields, validate

from backend.accounts.permissions import current_user, require_login
from backend.api.schemas_common import ApiBlueprint, document_errors, paginate
from backend.notify import push
from backend.notify.models import DeviceToken, Notification

blp = ApiBlueprint("notify", __name__, url_prefix="/api/v1", description="Push and notifications")


class DeviceIn(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "FCM registration token of this app install"},
    )
    platform = fields.String(required=True, validate=validate.OneOf(push.PLATFORMS))


class DeviceOut(Schema):
    id = fields.UUID()
    platform = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class NotificationOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    ticket_id = fields.UUID(allow_none=True)
    data = fields.Dict()
    role = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


@blp.route("/me/devices")
class Devices(MethodView):
    @blp.arguments(DeviceIn)
    @blp.response(201, DeviceOut)
    @require_login
    def post(self, args: dict[str, Any]) -> DeviceToken:
        """Register (or refresh) this device's FCM token for push notifications."""
        return push.register_device(current_user(), token=args["token"], platform=args["platform"])


@blp.route("/me/devices/<uuid:device_id>")
class DeviceById(MethodView):
    @blp.response(204)
    @document_errors(blp, 404)
    @require_login
    def delete(self, device_id: uuid.UUID) -> None:
        """Stop pushing to this device (logout)."""
        push.remove_device(current_user(), device_id)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.response(200, NotificationOut(many=True))
    @blp.paginate()
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Notification]:
        """The caller's notifications, newest first: those to the user and to their role."""
        return paginate(push.notifications_query(current_user()), pagination_parameters)
