"""Reading a point out of (E)WKB directly; a leaf module so the API and sync can both use it."""

from __future__ import annotations

import struct

from geoalchemy2 import WKBElement

_WKB_POINT = 1
_EWKB_SRID_FLAG = 0x20000000


def wkb_point_xy(value: WKBElement) -> tuple[float, float] | None:
    """``(x, y)`` of a 2-D point in (E)WKB without building a shapely geometry, else ``None``.

    Why: every ticket and asset in a list or sync page carries a point; decoding it through
    shapely (``to_shape`` + ``mapping``) was a tenth of the API's CPU under load. Points with
    Z/M, other geometry types and anything unexpected return ``None`` (the caller then uses
    shapely), so the result is always what shapely would say."""
    raw = value.data
    data = bytes.fromhex(raw) if isinstance(raw, str) else bytes(raw)
    if len(data) < 21 or data[0] not in (0, 1):
        return None
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    offset = 5
    if kind & _EWKB_SRID_FLAG:
        kind &= ~_EWKB_SRID_FLAG
        offset += 4
    if kind != _WKB_POINT or len(data) != offset + 16:
        return None
    x, y = struct.unpack_from(order + "dd", data, offset)
    return (x, y)
