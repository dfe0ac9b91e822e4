"""Device registration for push, and the caller's notifications."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from backend.accounts.permissions import current_user, require_login
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.notify import push
from backend.notify.models import DeviceToken, Notification
from backend.notify.schemas import DeviceIn, DeviceOut, NotificationOut

blp = ApiBlueprint("notify", __name__, url_prefix="/api/v1", description="Push and notifications")


@blp.route("/me/devices")
class Devices(MethodView):
    @operation(blp, 201, DeviceOut, body=DeviceIn)
    @require_login
    def post(self, args: dict[str, Any]) -> DeviceToken:
        """Register (or refresh) this device's FCM token for push notifications."""
        return push.register_device(current_user(), token=args["token"], platform=args["platform"])


@blp.route("/me/devices/<uuid:device_id>")
class DeviceById(MethodView):
    @operation(blp, 204, errors=(404,))
    @require_login
    def delete(self, device_id: uuid.UUID) -> None:
        """Stop pushing to this device (logout)."""
        push.remove_device(current_user(), device_id)


@blp.route("/notifications")
class Notifications(MethodView):
    @operation(blp, 200, NotificationOut(many=True), paginate=True)
    @require_login
    def get(self, pagination_parameters: PaginationParameters) -> list[Notification]:
        """The caller's notifications, newest first: those to the user and to their role."""
        return paginate(push.notifications_query(current_user()), pagination_parameters)
