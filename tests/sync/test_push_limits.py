"""Every documented mutation at its documented maximum size fits in a push and applies; the
push's body cap is derived from those maxima and published in the OpenAPI document.

Bodies are encoded as a phone's ``JSON.stringify`` does (UTF-8, control characters escaped as
``\\u0001``), and the text is chosen to be as large as that encoding gets: 6 bytes a character.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from backend.db import db
from backend.dispatch.models import EngineerProfile, Skill
from backend.signoff import signature
from backend.sync import limits
from backend.sync.registry import MUTATIONS
from backend.sync.schemas import MAX_MUTATIONS_PER_PUSH
from backend.workorders.geo import point

WIDE = "\x01"  # one character, six bytes in JSON ("\u0001"): the costliest legal character
LONG_NUMBER = -1.2345678901234567e-300  # 24 characters, the longest a JS number prints as
WHEN = "2026-12-02T20:11:17.123456+00:00"


def wide(n: int) -> str:
    return WIDE * n


def _png(size: int) -> bytes:
    """A valid PNG of exactly ``size`` bytes: a small image padded with a private chunk."""
    buf = io.BytesIO()
    Image.new("L", (600, 240), 255).save(buf, "PNG")
    png = buf.getvalue()
    iend = png[-12:]
    pad_len = size - len(png) - 12
    body = b"prVt" + b"\x00" * pad_len
    chunk = struct.pack(">I", pad_len) + body + struct.pack(">I", zlib.crc32(body))
    out = png[:-12] + chunk + iend
    assert len(out) == size
    return out


def _body(mutations: list[dict[str, Any]]) -> bytes:
    envelope = {"client_id": wide(100), "schema_version": 1, "mutations": mutations}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _push(client, auth, user, mutations):
    body = _body(mutations)
    res = client.post(
        "/api/v1/sync/push", data=body, content_type="application/json", headers=auth(user)
    )
    return body, res


def _m(name: str, **args: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "args": {"occurred_at": WHEN, **args}}


@pytest.fixture()
def largest(job, stock, dispatcher, make_ticket):
    """The largest legal mutation of every registered kind, each for its own job, and the user
    who may push it."""

    def build() -> list[tuple[str, Any, dict[str, Any]]]:
        out: list[tuple[str, Any, dict[str, Any]]] = []
        eng, tk = job(upto="accept")
        out.append(("ticket.transition", eng, _m(
            "ticket.transition", ticket_id=str(tk.id), action="start_travel",
            base_version=tk.version, reason=wide(2000),
        )))  # fmt: skip
        eng, tk = job()
        note_id = str(uuid.uuid4())
        out.append(("note.add", eng, _m(
            "note.add", id=note_id, ticket_id=str(tk.id), body=wide(20_000),
            customer_visible=False,
        )))  # fmt: skip
        eng, tk = job()
        from backend.workorders import operations as ops

        note = ops.add_note(tk, author=eng, body="x")
        db.session.commit()
        out.append(("note.edit", eng, _m(
            "note.edit", id=str(note.id), body=wide(20_000), base_version=note.version,
        )))  # fmt: skip
        tk = make_ticket()
        skills = [f"{i:02d}" + wide(62) for i in range(50)]
        db.session.add_all(Skill(code=code, name=code) for code in skills)  # they must exist
        db.session.commit()
        out.append(("ticket.update", dispatcher, _m(
            "ticket.update", ticket_id=str(tk.id), base_version=tk.version,
            changes={
                "title": wide(200), "description": wide(20_000), "priority": "P1",
                "required_skills": skills,
                "location": {"type": "Point", "coordinates": [13.123456789012345,
                                                              52.12345678901234]},
            },
        )))  # fmt: skip
        eng, tk = job()
        db.session.add(EngineerProfile(user_id=eng.id, home=point(13.4, 52.5)))
        db.session.commit()
        out.append(("location.report", eng, _m(
            "location.report", lon=-179.12345678901234, lat=-89.123456789012345,
            recorded_at=WHEN, accuracy_m=-LONG_NUMBER * 1e-8,
        )))  # fmt: skip
        eng, tk = job()
        out.append(("photo.register", eng, _m(
            "photo.register", id=str(uuid.uuid4()), ticket_id=str(tk.id), sha256="ab" * 32,
            content_type="image/jpeg", size=20 * 1024 * 1024,
        )))  # fmt: skip
        eng, tk = job()
        part_id = stock(engineer=eng, sku=f"P-{uuid.uuid4().hex[:8]}", van_qty="1")[0].id
        out.append(("part.consume", eng, _m(
            "part.consume", id=str(uuid.uuid4()), ticket_id=str(tk.id), part_id=str(part_id),
            quantity=str(Decimal("999999999.999")), location_id=None,
        )))  # fmt: skip
        eng, tk = job()
        out.append(("part.none_used", eng, _m(
            "part.none_used", id=str(uuid.uuid4()), ticket_id=str(tk.id),
        )))  # fmt: skip
        eng, tk = job()
        now = datetime.now(UTC)
        out.append(("timesheet.correct", eng, _m(  # a manual entry: every field given
            "timesheet.correct", id=str(uuid.uuid4()), engineer_id=str(eng.id),
            entry_id=None, kind="on_site", ticket_id=str(tk.id),
            start=(now - timedelta(hours=23, minutes=59, microseconds=1)).isoformat(),
            end=(now - timedelta(microseconds=123456)).isoformat(), removed=False,
            reason=wide(500),
        )))  # fmt: skip
        points = [
            [LONG_NUMBER if i % 2 else -9999999.123456789, 9999999.987654321 - i]
            for i in range(signature.MAX_POINTS)
        ]
        per = signature.MAX_POINTS // signature.MAX_STROKES
        strokes = [points[i : i + per] for i in range(0, len(points), per)]
        assert len(strokes) == signature.MAX_STROKES
        import base64

        for variant in ({"strokes": strokes}, {"png_base64": base64.b64encode(
                _png(signature.MAX_PNG_BYTES)).decode()}):  # fmt: skip
            eng, tk = job()
            out.append(("signoff.submit", eng, _m(
                "signoff.submit", id=str(uuid.uuid4()), ticket_id=str(tk.id),
                signer_name=wide(200), signature=variant, rating=5, comment=wide(4000),
                location={"type": "Point", "coordinates": [LONG_NUMBER, LONG_NUMBER]},
            )))  # fmt: skip
        return out

    return build


def test_every_kind_is_covered_and_bounded(app):
    assert set(MUTATIONS) == {
        "ticket.transition", "note.add", "note.edit", "ticket.update", "location.report",
        "photo.register", "part.consume", "part.none_used", "signoff.submit",
        "timesheet.correct", "checklist.answer",
    }  # fmt: skip
    lim = limits.push_limits()
    assert lim["max_mutation_bytes"] == max(limits.max_mutation_bytes(n) for n in MUTATIONS)
    assert lim["max_body_bytes"] >= limits.envelope_bytes() + lim["max_mutation_bytes"]
    assert lim["max_mutations"] == MAX_MUTATIONS_PER_PUSH


def test_largest_legal_mutation_of_every_kind_fits_and_applies(client, auth, largest):
    cap = limits.push_limits()["max_body_bytes"]
    for kind, user, mutation in largest():
        body, res = _push(client, auth, user, [mutation])
        size = len(body) - len(_body([]))
        assert size <= limits.max_mutation_bytes(kind), (kind, size)
        assert len(body) <= cap
        assert res.status_code == 200, (kind, res.status_code, res.get_json())
        result = res.get_json()["results"][0]
        assert result["status"] == "applied", (kind, result)


def test_full_size_mutations_fit_in_one_push(client, auth, job, make_user):
    """As many of the largest kind as the cap promises (PNG signatures), in one push."""
    import base64

    png = base64.b64encode(_png(signature.MAX_PNG_BYTES)).decode()
    eng = make_user("engineer")
    mutations = []
    for _ in range(limits.FULL_SIZE_MUTATIONS_PER_PUSH):
        _, tk = job(engineer=eng)
        mutations.append(_m(
            "signoff.submit", id=str(uuid.uuid4()), ticket_id=str(tk.id), signer_name=wide(200),
            signature={"png_base64": png}, rating=5, comment=wide(4000),
            location={"type": "Point", "coordinates": [LONG_NUMBER, LONG_NUMBER]},
        ))  # fmt: skip
    body, res = _push(client, auth, eng, mutations)
    assert len(body) <= limits.push_limits()["max_body_bytes"]
    assert res.status_code == 200, res.get_json()
    assert [r["status"] for r in res.get_json()["results"]] == ["applied"] * len(mutations)


def test_five_longest_notes_in_one_push_are_not_413(client, auth, job):
    """The finding of issue 13: five legal 20,000-character notes (emoji: 4 bytes each) were
    over the old 256 KiB cap, so the phone retried the batch forever."""
    eng, tk = job()
    mutations = [
        _m("note.add", id=str(uuid.uuid4()), ticket_id=str(tk.id), body="😀" * 20_000)
        for _ in range(5)
    ]
    body, res = _push(client, auth, eng, mutations)
    assert len(body) > 256 * 1024
    assert res.status_code == 200, res.get_json()
    assert [r["status"] for r in res.get_json()["results"]] == ["applied"] * 5


def test_over_the_cap_is_a_clear_413(client, auth, make_user):
    eng = make_user("engineer")
    cap = limits.push_limits()["max_body_bytes"]
    body = json.dumps({"client_id": "x", "schema_version": 1, "mutations": [], "pad": "x" * cap})
    res = client.post(
        "/api/v1/sync/push", data=body, content_type="application/json", headers=auth(eng)
    )
    assert res.status_code == 413 and str(cap) in res.get_json()["message"]


def test_openapi_publishes_the_limits(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    lim = limits.push_limits()
    body = spec["paths"]["/api/v1/sync/push"]["post"]["requestBody"]
    assert body["x-max-body-bytes"] == lim["max_body_bytes"]
    assert body["x-max-mutation-bytes"] == lim["max_mutation_bytes"]
    push_in = spec["components"]["schemas"]["PushIn"]["properties"]["mutations"]
    assert push_in["maxItems"] == MAX_MUTATIONS_PER_PUSH
