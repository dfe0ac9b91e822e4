"""Parts used on tickets: idempotency, negative van stock, low-stock notices, access, and
the ``part.consume`` sync mutation sharing the same operation."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.db import db
from backend.notify.models import Notification
from backend.parts.models import PartUsage, StockMovement
from backend.workorders.models import Ticket
from backend.workorders.operations import assign_ticket


def _level(client, headers, van) -> float:
    levels = client.get(f"/api/v1/stock?location_id={van.id}", headers=headers).json
    return levels[0]["quantity"]


def _notices(kind: str, part) -> list[Notification]:
    stmt = select(Notification).where(
        Notification.kind == kind, Notification.data["part_id"].astext == str(part.id)
    )
    return list(db.session.scalars(stmt))


def test_reconsumption_with_the_same_id_is_idempotent(client, auth, job, stock):
    engineer, ticket = job()
    part, _, van = stock(engineer=engineer, van_qty=5)
    h = auth(engineer)
    body = {"id": str(uuid.uuid4()), "part_id": str(part.id), "quantity": 2}
    first = client.post(f"/api/v1/tickets/{ticket.id}/parts", json=body, headers=h)
    again = client.post(f"/api/v1/tickets/{ticket.id}/parts", json=body, headers=h)
    assert first.status_code == again.status_code == 201, first.json
    assert first.json["id"] == again.json["id"] == body["id"]
    assert first.json["location_id"] == str(van.id)  # the engineer's van by default
    moves = db.session.scalars(select(StockMovement).where(StockMovement.ticket_id == ticket.id))
    assert len(list(moves)) == 1
    assert _level(client, h, van) == 3

    changed = client.post(
        f"/api/v1/tickets/{ticket.id}/parts", json={**body, "quantity": 4}, headers=h
    )
    assert changed.status_code == 409 and "other values" in changed.json["message"]
    listed = client.get(f"/api/v1/tickets/{ticket.id}/parts", headers=h).json
    assert [u["quantity"] for u in listed["items"]] == [2]
    assert listed["no_parts_used"] is False


def test_van_may_go_negative_flagged_and_dispatchers_told(client, auth, job, stock, dispatcher):
    engineer, ticket = job()
    part, _, van = stock(engineer=engineer, van_qty=3)
    h = auth(engineer)
    r = client.put(
        "/api/v1/stock/thresholds",
        json={"part_id": str(part.id), "location_id": str(van.id), "min_quantity": 2},
        headers=auth(dispatcher),
    )
    assert r.status_code == 200

    used = client.post(
        f"/api/v1/tickets/{ticket.id}/parts",
        json={"part_id": str(part.id), "quantity": 1},
        headers=h,
    )
    assert used.status_code == 201 and used.json["negative_stock"] is False
    low = _notices("low_stock", part)
    assert len(low) == 1 and low[0].role == "dispatcher" and part.sku in low[0].title

    # Beyond what the van holds: recorded, flagged, never refused.
    over = client.post(
        f"/api/v1/tickets/{ticket.id}/parts",
        json={"part_id": str(part.id), "quantity": 4},
        headers=h,
    )
    assert over.status_code == 201 and over.json["negative_stock"] is True
    assert _level(client, h, van) == -2
    level = client.get(f"/api/v1/stock?location_id={van.id}", headers=h).json[0]
    assert level["negative"] is True and level["low"] is True
    negative = _notices("negative_stock", part)
    assert len(negative) == 1 and negative[0].ticket_id == ticket.id
    assert len(_notices("low_stock", part)) == 1  # already low: no second notice
    movement = db.session.get(StockMovement, uuid.UUID(over.json["movement_id"]))
    assert movement.flags["negative_stock"] is True


def test_access_rules(client, auth, job, stock, make_user):
    engineer, ticket = job()
    part, warehouse, _ = stock(engineer=engineer, van_qty=1)
    stranger = make_user("engineer")
    body = {"part_id": str(part.id), "quantity": 1}
    assert (
        client.post(f"/api/v1/tickets/{ticket.id}/parts", json=body, headers=auth(stranger))
    ).status_code == 404
    assert (
        client.get(f"/api/v1/tickets/{ticket.id}/parts", headers=auth(stranger)).status_code == 404
    )

    from backend.parts import operations as ops

    dispatcher = make_user("dispatcher")
    other_van = ops.create_location(
        actor=dispatcher, name="Van S", kind="van", engineer_id=stranger.id
    )
    db.session.commit()
    theirs = client.post(
        f"/api/v1/tickets/{ticket.id}/parts",
        json={**body, "location_id": str(other_van.id)},
        headers=auth(engineer),
    )
    assert theirs.status_code == 403
    # Engineers read their own van's stock only.
    assert client.get("/api/v1/stock", headers=auth(engineer)).status_code == 403
    peek = client.get(f"/api/v1/stock?location_id={other_van.id}", headers=auth(engineer))
    assert peek.status_code == 403
    # From a warehouse is fine.
    from_wh = client.post(
        f"/api/v1/tickets/{ticket.id}/parts",
        json={**body, "location_id": str(warehouse.id)},
        headers=auth(engineer),
    )
    assert from_wh.status_code == 201

    # An engineer without a van must say where the part came from.
    vanless, job2 = make_user("engineer"), None
    _, job2 = job(engineer=vanless)
    r = client.post(f"/api/v1/tickets/{job2.id}/parts", json=body, headers=auth(vanless))
    assert r.status_code == 422 and "location_id" in r.json["message"]


def test_no_parts_statement(client, auth, job, stock):
    engineer, ticket = job()
    h = auth(engineer)
    first = client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h)
    again = client.post(f"/api/v1/tickets/{ticket.id}/parts/none", json={}, headers=h)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert client.get(f"/api/v1/tickets/{ticket.id}/parts", headers=h).json["no_parts_used"]

    engineer2, ticket2 = job()
    part, _, _ = stock(engineer=engineer2, van_qty=1)
    h2 = auth(engineer2)
    client.post(
        f"/api/v1/tickets/{ticket2.id}/parts",
        json={"part_id": str(part.id), "quantity": 1},
        headers=h2,
    )
    refused = client.post(f"/api/v1/tickets/{ticket2.id}/parts/none", json={}, headers=h2)
    assert refused.status_code == 409 and "already recorded" in refused.json["message"]


def _push(client, headers, *mutations):
    body = {"client_id": "phone-1", "schema_version": 1, "mutations": list(mutations)}
    r = client.post("/api/v1/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.json
    return r.json["results"]


def test_sync_part_consume_shares_the_operation(client, auth, job, stock, dispatcher, make_user):
    engineer, ticket = job()
    part, _, van = stock(engineer=engineer, van_qty=1)
    h = auth(engineer)
    usage_id = str(uuid.uuid4())
    args = {"id": usage_id, "ticket_id": str(ticket.id), "part_id": str(part.id), "quantity": 2}
    m1 = {"id": str(uuid.uuid4()), "name": "part.consume", "args": args}
    m2 = {"id": str(uuid.uuid4()), "name": "part.consume", "args": args}  # a re-queued copy
    results = _push(client, h, m1, m2)
    assert [r["status"] for r in results] == ["applied", "applied"]
    usages = list(db.session.scalars(select(PartUsage).where(PartUsage.ticket_id == ticket.id)))
    assert len(usages) == 1 and usages[0].via == "sync" and usages[0].negative_stock
    assert _level(client, h, van) == -1  # offline use drove the van below zero: kept

    # Reassigned while the phone was offline: the usage is still kept, and a conflict noted.
    other = make_user("engineer")
    fresh = db.session.get(Ticket, ticket.id)  # the request ended the previous session
    assign_ticket(fresh, other, actor=dispatcher, reason="rebalance")
    db.session.commit()
    late = {**args, "id": str(uuid.uuid4()), "quantity": 1}
    (result,) = _push(client, h, {"id": str(uuid.uuid4()), "name": "part.consume", "args": late})
    assert result["status"] == "conflict" and result.get("conflict_id")
    assert db.session.get(PartUsage, uuid.UUID(late["id"])) is not None

    # Someone who never held the job cannot attach parts to it.
    stranger = make_user("engineer")
    probe = {**args, "id": str(uuid.uuid4())}
    (result,) = _push(
        client, auth(stranger), {"id": str(uuid.uuid4()), "name": "part.consume", "args": probe}
    )
    assert result["status"] == "rejected"
