"""The opaque pull cursor: a position ``(xid, id)`` in the change log, plus, while a full
snapshot is being paged, the collection and last id reached. Base64url JSON; the client never
looks inside, and anything that does not decode is a 422, never a 500."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass

from backend.errors import Invalid

VERSION = 1


@dataclass(frozen=True)
class Cursor:
    xid: int
    id: int
    # Snapshot paging: (index of the collection, last id sent in it); None when incremental.
    collection: int | None = None
    after: uuid.UUID | None = None

    @property
    def position(self) -> tuple[int, int]:
        return self.xid, self.id

    @property
    def in_snapshot(self) -> bool:
        return self.collection is not None


def encode(c: Cursor) -> str:
    data: dict[str, object] = {"v": VERSION, "x": str(c.xid), "i": c.id}
    if c.collection is not None:
        data["s"] = [c.collection, str(c.after) if c.after else None]
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> Cursor:
    def bad(why: str) -> Invalid:
        return Invalid(
            f"cursor is not valid ({why}); pull without a cursor to start over",
            errors={"cursor": [why]},
        )

    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad("not a cursor this server issued") from exc
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise bad("unknown cursor version")
    try:
        xid, cid = int(data["x"]), int(data["i"])
        snap = data.get("s")
        collection = after = None
        if snap is not None:
            collection = int(snap[0])
            after = uuid.UUID(snap[1]) if snap[1] else None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise bad("malformed cursor") from exc
    if xid < 0 or cid < 0 or (collection is not None and collection < 0) or xid >= 2**63:
        raise bad("cursor out of range")
    return Cursor(xid, cid, collection, after)
