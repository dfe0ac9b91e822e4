"""GeoJSON validation (backend.geo) and the regions/skills endpoints."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from backend.geo import check_area, check_point, parse_bbox, to_geojson
from backend.workorders.operations import Location
from tests.factories import BERLIN, square

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[13.3, 52.4], [13.5, 52.6], [13.5, 52.4], [13.3, 52.6], [13.3, 52.4]]],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([13.4, 52.5], "must be a GeoJSON object"),
        ({"type": "Polygon", "coordinates": [1, 2]}, "must be a GeoJSON Point, got type 'Polygon'"),
        ({"coordinates": [1, 2]}, "got no type"),
        ({"type": "Point"}, "missing 'coordinates'"),
        ({"type": "Point", "coordinates": [1]}, "exactly 2 numbers"),
        ({"type": "Point", "coordinates": ["13", 52]}, "longitude must be a number"),
        ({"type": "Point", "coordinates": [13, True]}, "latitude must be a number"),
        ({"type": "Point", "coordinates": [181, 0]}, "longitude 181 is out of range"),
        ({"type": "Point", "coordinates": [0, -90.5]}, "latitude -90.5 is out of range"),
        ({"type": "Point", "coordinates": [float("nan"), 0]}, "finite"),
    ],
)
def test_point_errors_say_what_is_wrong(value, expected):
    with pytest.raises(ValidationError) as err:
        check_point(value)
    assert expected in str(err.value.messages)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (BOWTIE, "self-intersection at (lon 13.4, lat 52.5)"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            "coordinates[0]: ring is not closed",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]},
            "needs at least 4 positions",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]},
            "coordinates[0][2]: latitude 95 is out of range",
        ),
        ({"type": "Polygon", "coordinates": []}, "non-empty list of linear rings"),
        ({"type": "MultiPolygon", "coordinates": []}, "non-empty list of polygons"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [square(0, 0)["coordinates"], square(0.05, 0)["coordinates"]],
            },
            "MultiPolygon is not valid",
        ),
    ],
)
def test_area_errors_say_what_is_wrong(value, expected):
    with pytest.raises(ValidationError) as err:
        check_area(value)
    assert expected in str(err.value.messages)


finite_lon = st.floats(-179, 179, allow_nan=False)
finite_lat = st.floats(-89, 89, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(lon=finite_lon, lat=finite_lat, half=st.floats(0.001, 0.9))
def test_valid_squares_round_trip(lon, lat, half):
    geom = check_area(square(lon, lat, half))
    assert geom.is_valid and geom.area > 0
    assert to_geojson(geom)["type"] == "Polygon"


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(allow_nan=True, allow_infinity=True), lat=st.floats(allow_nan=True))
def test_point_accepts_exactly_the_valid_range(lon, lat):
    ok = -180 <= lon <= 180 and -90 <= lat <= 90  # False for NaN and infinities
    try:
        assert check_point({"type": "Point", "coordinates": [lon, lat]}) == Location(lon, lat)
        assert ok
    except ValidationError:
        assert not ok


def test_bbox_parsing():
    assert parse_bbox("13.3,52.4,13.5,52.6") == (13.3, 52.4, 13.5, 52.6)
    for bad, expected in (
        ("1,2,3", "4 comma-separated"),
        ("a,1,2,3", "minlon 'a' is not a number"),
        ("2,0,1,1", "greater than maxlon"),
        ("0,0,1,91", "maxlat 91 is out of range"),
        ("nan,0,1,1", "finite"),
    ):
        with pytest.raises(ValidationError) as err:
            parse_bbox(bad)
        assert expected in str(err.value.messages)


def test_create_and_get_region(api, staff, make_user):
    r = api("post", "/api/v1/regions", staff, json={"name": "Mitte", "area": square(*BERLIN)})
    assert r.status_code == 201, r.json
    assert r.json["area"] == square(*BERLIN)
    got = api("get", f"/api/v1/regions/{r.json['id']}", make_user("engineer"))
    assert got.status_code == 200 and got.json["name"] == "Mitte"
    listed = api("get", "/api/v1/regions", staff)
    assert [x["id"] for x in listed.json] == [r.json["id"]]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(0, 0)["coordinates"], square(1, 1)["coordinates"]],
    }
    assert (
        api("post", "/api/v1/regions", staff, json={"name": "M", "area": multi}).status_code == 201
    )


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        (BOWTIE, "self-intersection at"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "must be a GeoJSON object"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "longitude 200"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "not closed"),
        ({"type": "Polygon", "coordinates": "nope"}, "non-empty list of linear rings"),
    ],
)
def test_bad_region_area_is_422_with_message(api, staff, area, expected):
    r = api("post", "/api/v1/regions", staff, json={"name": "Bad", "area": area})
    assert r.status_code == 422
    assert expected in r.json["errors"]["json"]["area"][0]
    assert r.json["message"].startswith("area: ") and expected in r.json["message"]


def test_nan_in_raw_json_is_422_not_500(api, staff):
    raw = '{"name": "N", "area": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,NaN],[0,0]]]}}'
    r = api("post", "/api/v1/regions", staff, data=raw, content_type="application/json")
    assert r.status_code in (400, 422)


def test_region_wrong_role_missing_and_unknown(api, make_user, staff):
    engineer = make_user("engineer")
    body = {"name": "X", "area": square(*BERLIN)}
    assert api("post", "/api/v1/regions", engineer, json=body).status_code == 403
    assert api("post", "/api/v1/regions", json=body).status_code == 401
    missing = api("post", "/api/v1/regions", staff, json={"name": "X"})
    assert missing.status_code == 422 and "area" in missing.json["errors"]["json"]
    unknown = api("get", "/api/v1/regions/00000000-0000-0000-0000-000000000000", staff)
    assert unknown.status_code == 404
    assert api("get", "/api/v1/regions/not-a-uuid", staff).status_code == 404


def test_skills_unique_code(api, staff, make_user):
    r = api("post", "/api/v1/skills", staff, json={"code": "HVAC", "name": "Heating"})
    assert r.status_code == 201 and r.json["code"] == "hvac"
    dup = api("post", "/api/v1/skills", staff, json={"code": "hvac", "name": "Again"})
    assert dup.status_code == 409 and "hvac" in dup.json["message"]
    bad = api("post", "/api/v1/skills", staff, json={"code": "no spaces", "name": "x"})
    assert bad.status_code == 422
    listed = api("get", "/api/v1/skills", make_user("engineer"))
    assert [s["code"] for s in listed.json] == ["hvac"]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1
