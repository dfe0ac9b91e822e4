"""marshmallow schemas for push devices and notifications; inputs and outputs kept apart."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.notify.push import PLATFORMS


class DeviceIn(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "FCM registration token of this app install"},
    )
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))


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
    data = fields.Dict(
        metadata={
            "x-free-form": "extra values the sending feature chose for this kind of "
            "notification; they also go to FCM, as strings"
        }
    )
    role = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class FirebaseWebConfigOut(Schema):
    """The public Firebase web config (it ships in every web app using FCM); only these keys
    are ever passed through (``api/pwa.py``)."""

    apiKey = fields.String(required=True)
    authDomain = fields.String()
    projectId = fields.String(required=True)
    storageBucket = fields.String()
    messagingSenderId = fields.String(required=True)
    appId = fields.String(required=True)
    measurementId = fields.String()
    vapidKey = fields.String()


class AppConfigOut(Schema):
    """``/app/config.json``: the front end's runtime settings, so one build serves every
    deployment. Push (FCM) is this feature's; the console's map tiles ride along."""

    tile_url = fields.String(required=True, allow_none=True)
    tile_attribution = fields.String(required=True, allow_none=True)
    firebase = fields.Nested(
        FirebaseWebConfigOut,
        required=True,
        allow_none=True,
        metadata={"description": "null: push is not configured"},
    )
    vapid_key = fields.String(required=True, allow_none=True)
