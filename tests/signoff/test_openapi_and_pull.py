"""The close-out endpoints are documented, and their rows reach the engineer's phone
through sync pull in the right scope."""

from __future__ import annotations

import uuid

STROKES = [[[0, 0], [10, 10], [20, 0]]]


def test_openapi_documents_closeout_with_error_responses(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path, method, codes in (
        ("/api/v1/tickets/{ticket_id}/signoff", "post", {"201", "404", "409", "422"}),
        ("/api/v1/tickets/{ticket_id}/parts", "post", {"201", "404", "409", "422"}),
        ("/api/v1/stock/movements", "post", {"201", "403", "409", "422"}),
        ("/api/v1/tickets/{ticket_id}/report.pdf", "get", {"200", "404"}),
        ("/api/v1/public/tracking/{tracking_token}/report.pdf", "get", {"200", "404", "409"}),
    ):
        assert codes <= set(paths[path][method]["responses"]), path


def _pull_all(client, headers) -> dict:
    changes: dict = {}
    cursor = None
    for _ in range(20):
        url = "/api/v1/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.json
        for name, block in r.json["changes"].items():
            changes.setdefault(name, []).extend(block.get("upserts", []))
        cursor = r.json["cursor"]
        if not r.json["has_more"]:
            return changes
    raise AssertionError("pull did not finish")


def test_engineer_pulls_own_closeout_rows(client, auth, job, stock, make_user):
    engineer, ticket = job()
    part, _, van = stock(engineer=engineer, van_qty=4)
    h = auth(engineer)
    usage = {"id": str(uuid.uuid4()), "part_id": str(part.id), "quantity": 1}
    assert (
        client.post(f"/api/v1/tickets/{ticket.id}/parts", json=usage, headers=h).status_code == 201
    )
    signed = client.post(
        f"/api/v1/tickets/{ticket.id}/signoff",
        json={"signer_name": "Kim", "signature": {"strokes": STROKES}},
        headers=h,
    )
    assert signed.status_code == 201

    changes = _pull_all(client, h)
    assert usage["id"] in {u["id"] for u in changes.get("part_usages", [])}
    assert signed.json["signoff"]["id"] in {s["id"] for s in changes.get("signoffs", [])}
    assert part.sku in {p["sku"] for p in changes.get("parts", [])}
    vans = {lv["location_id"] for lv in changes.get("stock_levels", [])}
    assert vans == {str(van.id)}  # their van only; warehouse levels are not synced

    stranger = make_user("engineer")
    theirs = _pull_all(client, auth(stranger))
    assert not theirs.get("part_usages") and not theirs.get("signoffs")
