"""The CPU cuts from the load benchmark change no output: points read from (E)WKB directly
equal shapely's reading, sync's ``plain`` keeps every value, orjson responses parse to what
the standard encoder wrote (same key order, same date format), and what orjson refuses still
encodes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import shapely.wkb
from flask.json.provider import DefaultJSONProvider
from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, mapping

from backend.geo import to_geojson
from backend.jsonio import json_tree
from backend.sync.entities import plain
from backend.wkb import wkb_point_xy
from backend.workorders.states import Status

coords = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _shapely_geojson(element: WKBElement):
    return json_tree(dict(mapping(to_shape(element))))


@given(coords, coords)
def test_points_read_directly_equal_shapely(x, y):
    ewkb = from_shape(Point(x, y), srid=4326)  # what GeoAlchemy2 hands us (EWKB with SRID)
    hexed = WKBElement(shapely.wkb.dumps(Point(x, y), hex=True, srid=4326), extended=True)
    big = WKBElement(shapely.wkb.dumps(Point(x, y), big_endian=True), srid=4326)
    for element in (ewkb, hexed, big):
        assert wkb_point_xy(element) == (x, y)
        assert to_geojson(element) == _shapely_geojson(element)
        assert plain(element) == _shapely_geojson(element)


def test_other_geometries_still_go_through_shapely():
    square = Polygon([(13.3, 52.4), (13.5, 52.4), (13.5, 52.6), (13.3, 52.4)])
    for geom in (Point(13.4, 52.5, 34.0), square):
        element = from_shape(geom, srid=4326)
        assert wkb_point_xy(element) is None
        assert to_geojson(element) == _shapely_geojson(element)
        assert plain(element) == _shapely_geojson(element)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (7, 7),
        (True, True),
        (1.5, 1.5),
        (None, None),
        (Status.ASSIGNED, "assigned"),  # a str subclass still leaves as its value
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Decimal("2.5"), 2.5),
        ([uuid.UUID(int=2), "x"], ["00000000-0000-0000-0000-000000000002", "x"]),
    ],
)
def test_plain_keeps_every_value(value, expected):
    got = plain(value)
    assert got == expected and type(got) is type(expected)


def test_orjson_responses_mean_what_the_standard_encoder_wrote(app):
    body = {
        "zeta": 1,
        "alpha": [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), date(2026, 1, 2)],
        "ids": [uuid.UUID(int=3)],
        "money": Decimal("1.50"),
        "text": "Straße <b>",
        "nested": {"b": None, "a": 0.1},
    }
    with app.app_context():
        fast = app.json.response(body)
        standard = DefaultJSONProvider(app).response(body)
        assert fast.mimetype == standard.mimetype == "application/json"
        assert json.loads(fast.data) == json.loads(standard.data)
        assert list(json.loads(fast.data)) == ["alpha", "ids", "money", "nested", "text", "zeta"]
        assert json.loads(fast.data)["alpha"][0] == "Fri, 02 Jan 2026 03:04:05 GMT"
        huge = app.json.response({"n": 2**70})  # beyond orjson: the standard encoder takes it
        assert json.loads(huge.data) == {"n": 2**70}


def test_argument_schemas_are_built_once_not_per_request(client, make_user, auth, monkeypatch):
    """webargs builds a schema class per request (deep-copying its fields); the parser keeps
    one instance per class, and a refusal still names the field."""
    from backend.workorders.schemas import TicketQuery

    built: list[object] = []
    real_init = TicketQuery.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(TicketQuery, "__init__", counting_init)
    headers = auth(make_user("dispatcher"))
    for _ in range(3):
        assert client.get("/api/v1/tickets?status=new", headers=headers).status_code == 200
    bad = client.get("/api/v1/tickets?status=nonsense", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["message"]
    assert len(built) <= 1


def test_ensure_sync_asks_once_per_function(app, monkeypatch):
    """Flask asks for every hook of every request whether it is a coroutine function; the app
    remembers the answer per function (and a coroutine function still gets Flask's wrapper)."""
    import flask.app

    asked: list[object] = []
    real = flask.app.iscoroutinefunction

    def counting(func):
        asked.append(func)
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)

    def hook():
        return "ok"

    async def coro():
        return "ok"

    class View:  # a MethodView makes an instance per request: new bound methods each time
        def get(self):
            return "ok"

    monkeypatch.setattr(type(app), "async_to_sync", lambda self, f: ("wrapped", f))
    # A fresh memo: the suite's app has met hundreds of functions by now, and the memo is
    # bounded (a full one asks Flask again, which this test would count).
    monkeypatch.setitem(app.__dict__, "_fieldops_sync_memo", {})
    views = [View() for _ in range(3)]
    for view in views:
        assert app.ensure_sync(hook) is hook
        assert app.ensure_sync(coro) == ("wrapped", coro)
        assert app.ensure_sync(view.get) == view.get
    assert asked == [hook, coro, views[0].get, coro, coro]
