"""marshmallow schemas for webhook subscriptions and the delivery log; inputs and outputs
kept apart."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.webhooks.models import DELIVERY_STATUSES
from backend.webhooks.operations import EVENT_TYPES


class SubscriptionCreateIn(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "http(s) URL the events are POSTed to; its host must resolve to "
            "public addresses (or to FIELDOPS_WEBHOOK_ALLOWED_NETWORKS)"
        },
    )
    event_types = fields.List(
        fields.String(validate=validate.OneOf(list(EVENT_TYPES))),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    description = fields.String(load_default="", validate=validate.Length(max=200))
    active = fields.Boolean(load_default=True)


class SubscriptionUpdateIn(Schema):
    url = fields.String(validate=validate.Length(min=1, max=2000))
    event_types = fields.List(
        fields.String(validate=validate.OneOf(list(EVENT_TYPES))),
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    description = fields.String(validate=validate.Length(max=200))
    active = fields.Boolean()


class SubscriptionOut(Schema):
    id = fields.UUID(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    consecutive_failures = fields.Integer(required=True)
    failing_since = fields.DateTime(allow_none=True, required=True)
    last_success_at = fields.DateTime(allow_none=True, required=True)
    disabled_at = fields.DateTime(allow_none=True, required=True)
    disabled_reason = fields.String(allow_none=True, required=True)


class SubscriptionCreatedOut(SubscriptionOut):
    secret = fields.String(
        required=True,
        metadata={
            "description": "the signing secret (whsec_ + base64), shown only in this answer: "
            "give it to the receiver to verify webhook-signature"
        },
    )


class EventTypeOut(Schema):
    type = fields.String(required=True)
    description = fields.String(required=True)


class DeliveryQuery(Schema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class DeliveryOut(Schema):
    id = fields.UUID(required=True)
    webhook_id = fields.String(
        required=True, metadata={"description": "the webhook-id header of every attempt"}
    )
    subscription_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    created_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(allow_none=True, required=True)
    finished_at = fields.DateTime(allow_none=True, required=True)
    last_status_code = fields.Integer(allow_none=True, required=True)
    last_latency_ms = fields.Integer(allow_none=True, required=True)
    last_response = fields.String(
        allow_none=True, required=True, metadata={"description": "first 1 KiB of the answer"}
    )
    last_error = fields.String(allow_none=True, required=True)
    payload = fields.Dict(
        required=True,
        metadata={
            "x-free-form": "the event as sent: type, timestamp and data, whose keys depend "
            "on the event type (docs/webhooks.md)"
        },
    )


class AttemptOut(Schema):
    id = fields.UUID(required=True)
    number = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    ok = fields.Boolean(required=True)
    status_code = fields.Integer(allow_none=True, required=True)
    latency_ms = fields.Integer(required=True)
    response_excerpt = fields.String(allow_none=True, required=True)
    error = fields.String(allow_none=True, required=True)


class RedeliveredOut(Schema):
    queued = fields.Integer(required=True)
