"""Webhook subscriptions and their delivery log (admin only; docs/webhooks.md)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import select

from backend.accounts.permissions import current_user, require_admin
from backend.api.schemas_common import ApiBlueprint, operation, paginate
from backend.config import settings
from backend.webhooks import operations as ops
from backend.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from backend.webhooks.schemas import (
    AttemptOut,
    DeliveryOut,
    DeliveryQuery,
    EventTypeOut,
    RedeliveredOut,
    SubscriptionCreatedOut,
    SubscriptionCreateIn,
    SubscriptionOut,
    SubscriptionUpdateIn,
)

blp = ApiBlueprint(
    "webhooks", __name__, url_prefix="/api/v1", description="Webhook subscriptions (admin)"
)


@blp.route("/webhooks")
class Subscriptions(MethodView):
    @operation(blp, 201, SubscriptionCreatedOut, body=SubscriptionCreateIn)
    @require_admin
    def post(self, args: dict[str, Any]) -> WebhookSubscription:
        """Subscribe a URL to event types. The answer carries the signing secret, shown only
        here. A URL whose host resolves to a private, loopback, link-local or reserved address
        is refused (422) unless FIELDOPS_WEBHOOK_ALLOWED_NETWORKS allows it."""
        return ops.create_subscription(current_user(), cfg=settings(), **args)

    @operation(blp, 200, SubscriptionOut(many=True), paginate=True)
    @require_admin
    def get(self, pagination_parameters: PaginationParameters) -> list[WebhookSubscription]:
        """Subscriptions, newest first."""
        stmt = select(WebhookSubscription).order_by(
            WebhookSubscription.created_at.desc(), WebhookSubscription.id
        )
        return paginate(stmt, pagination_parameters)


@blp.route("/webhooks/event-types")
class EventTypes(MethodView):
    @operation(blp, 200, EventTypeOut(many=True))
    @require_admin
    def get(self) -> list[dict[str, str]]:
        """The event types a subscription may ask for."""
        return [{"type": t, "description": d} for t, d in ops.EVENT_TYPES.items()]


@blp.route("/webhooks/<uuid:subscription_id>")
class Subscription(MethodView):
    @operation(blp, 200, SubscriptionOut, errors=(404,))
    @require_admin
    def get(self, subscription_id: uuid.UUID) -> WebhookSubscription:
        """One subscription."""
        return ops.get_subscription(subscription_id)

    @operation(blp, 200, SubscriptionOut, body=SubscriptionUpdateIn, errors=(404,))
    @require_admin
    def patch(self, args: dict[str, Any], subscription_id: uuid.UUID) -> WebhookSubscription:
        """Change the URL, event types, description, or turn it on or off (on again: its
        failure count starts afresh)."""
        return ops.update_subscription(ops.get_subscription(subscription_id), args, cfg=settings())

    @operation(blp, 204, errors=(404,))
    @require_admin
    def delete(self, subscription_id: uuid.UUID) -> None:
        """Delete the subscription and its delivery log."""
        ops.delete_subscription(ops.get_subscription(subscription_id))


@blp.route("/webhooks/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @operation(blp, 200, DeliveryOut(many=True), query=DeliveryQuery, paginate=True, errors=(404,))
    @require_admin
    def get(
        self,
        query: dict[str, Any],
        subscription_id: uuid.UUID,
        pagination_parameters: PaginationParameters,
    ) -> list[WebhookDelivery]:
        """The delivery log, newest first; filter by ``status``."""
        ops.get_subscription(subscription_id)
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        )
        if "status" in query:
            stmt = stmt.where(WebhookDelivery.status == query["status"])
        return paginate(stmt, pagination_parameters)


@blp.route("/webhooks/<uuid:subscription_id>/redeliver-failed")
class RedeliverFailed(MethodView):
    @operation(blp, 202, RedeliveredOut, errors=(404, 409))
    @require_admin
    def post(self, subscription_id: uuid.UUID) -> dict[str, int]:
        """Queue every failed delivery again (at most 1,000 a call), each with a fresh retry
        window; 409 while the subscription is disabled."""
        return {"queued": ops.redeliver_failed(ops.get_subscription(subscription_id))}


@blp.route("/webhooks/deliveries/<uuid:delivery_id>/attempts")
class Attempts(MethodView):
    @operation(blp, 200, AttemptOut(many=True), errors=(404,))
    @require_admin
    def get(self, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
        """Every attempt of one delivery, first to last: status, latency, response excerpt."""
        return ops.attempts_of(ops.get_delivery(delivery_id))


@blp.route("/webhooks/deliveries/<uuid:delivery_id>/redeliver")
class Redeliver(MethodView):
    @operation(blp, 202, DeliveryOut, errors=(404, 409))
    @require_admin
    def post(self, delivery_id: uuid.UUID) -> WebhookDelivery:
        """Send a finished (succeeded or failed) delivery again, with the same webhook-id;
        409 while it is still pending or the subscription is disabled."""
        return ops.redeliver(ops.get_delivery(delivery_id))
