"""A client id already used on another ticket is a 409 Conflict, never a 500 (issue 14:
schemathesis replayed the id of a "no parts used" statement on another ticket)."""

from __future__ import annotations

import pytest

from tests.factories import new_id


@pytest.fixture()
def two_jobs(job, stock, auth):
    engineer, first = job()
    _, second = job(engineer=engineer)
    part, _, _ = stock(engineer=engineer, van_qty=5)
    return auth(engineer), part, first, second


def test_usage_id_of_another_ticket_on_parts_is_409(client, two_jobs):
    headers, part, first, second = two_jobs
    usage = {"id": new_id(), "part_id": str(part.id), "quantity": 1}
    assert (
        client.post(f"/api/v1/tickets/{first.id}/parts", json=usage, headers=headers).status_code
        == 201
    )
    res = client.post(f"/api/v1/tickets/{second.id}/parts", json=usage, headers=headers)
    assert res.status_code == 409, res.json
    assert res.json["kind"] == "conflict"


def test_statement_id_of_another_ticket_is_409(client, two_jobs):
    headers, _, first, second = two_jobs
    statement = {"id": new_id()}
    url = "/api/v1/tickets/{}/parts/none"
    assert client.post(url.format(first.id), json=statement, headers=headers).status_code == 201
    res = client.post(url.format(second.id), json=statement, headers=headers)
    assert res.status_code == 409, res.json
    assert (
        client.get(f"/api/v1/tickets/{second.id}/parts", headers=headers).json["no_parts_used"]
        is False
    )
