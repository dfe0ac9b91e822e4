"""PostGIS tests of territory and KNN: overlapping regions, MultiPolygons, tickets outside
every region, high latitude (metres, not degrees), stale locations, index use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from backend.db import db, utcnow
from backend.dispatch import candidates as search
from backend.dispatch.engineers import report_location
from backend.dispatch.operations import candidates_for
from backend.dispatch.settings import DispatchSettings
from backend.workorders.operations import Location
from tests.factories import square

S = DispatchSettings()


def ids(verdicts):
    return [v.engineer_id for v in verdicts]


def test_knn_keeps_the_k_nearest_inside_and_a_few_outside(make_region, make_engineer, make_ticket):
    region = make_region(square(13.40, 52.52, 0.2))
    inside = [make_engineer(13.40 + d, 52.52, regions=[region]) for d in (0.01, 0.03, 0.05, 0.08)]
    outsider = make_engineer(13.401, 52.52, regions=[])  # closest of all, but no territory
    t = make_ticket(lon=13.40, lat=52.52)
    assert t.region_ids == [region.id]
    verdicts = candidates_for(t, settings=DispatchSettings(knn_k=2, outside_k=1))
    assert ids(verdicts) == [inside[0].id, inside[1].id, outsider.id]
    assert verdicts[-1].reasons == ("not_in_region",)
    assert verdicts[0].distance_m < verdicts[1].distance_m


def test_overlapping_regions_both_supply_candidates(make_region, make_engineer, make_ticket):
    west = make_region(square(13.35, 52.52, 0.1))
    east = make_region(square(13.45, 52.52, 0.1))
    a = make_engineer(13.30, 52.52, regions=[west])
    b = make_engineer(13.50, 52.52, regions=[east])
    t = make_ticket(lon=13.40, lat=52.52)  # in the overlap
    assert set(t.region_ids) == {west.id, east.id}
    verdicts = candidates_for(t, settings=S)
    assert {v.engineer_id for v in verdicts if v.eligible} == {a.id, b.id}


def test_multipolygon_territory(make_region, make_engineer, make_ticket):
    two_islands = {
        "type": "MultiPolygon",
        "coordinates": [
            square(10.0, 50.0, 0.05)["coordinates"],
            square(11.0, 50.0, 0.05)["coordinates"],
        ],
    }
    region = make_region(two_islands)
    e = make_engineer(10.0, 50.0, regions=[region])
    t = make_ticket(lon=11.0, lat=50.0)  # the second island
    assert t.region_ids == [region.id]
    [v] = [v for v in candidates_for(t, settings=S) if v.engineer_id == e.id]
    assert v.eligible
    between = make_ticket(lon=10.5, lat=50.0)  # in neither island
    assert between.region_ids == [] and between.dispatch_flags.get("unrouted") is True


def test_ticket_outside_every_region_lists_nearest_as_not_in_region(
    make_region, make_engineer, make_ticket
):
    region = make_region(square(13.40, 52.52))
    make_engineer(13.40, 52.52, regions=[region])
    t = make_ticket(lon=2.35, lat=48.85)  # Paris: no territory
    verdicts = candidates_for(t, settings=S)
    assert verdicts and all("not_in_region" in v.reasons for v in verdicts)
    assert all(not v.eligible for v in verdicts)


def test_high_latitude_ranks_by_metres_not_degrees(make_region, make_engineer, make_ticket):
    # Tromso, 69.65 N: 0.30 deg of longitude ~ 11.6 km, 0.20 deg of latitude ~ 22.2 km.
    region = make_region(square(18.95, 69.65, 1.0))
    east = make_engineer(19.25, 69.65, regions=[region])  # farther in degrees, nearer in metres
    north = make_engineer(18.95, 69.85, regions=[region])
    t = make_ticket(lon=18.95, lat=69.65)
    nearest = search.nearest_ids(18.95, 69.65, t.region_ids, fresh_after=utcnow(), k=1)
    assert nearest == [east.id]
    verdicts = candidates_for(t, settings=S)
    assert ids(verdicts)[:2] == [east.id, north.id]
    assert 11_000 < verdicts[0].distance_m < 12_200
    assert 21_500 < verdicts[1].distance_m < 22_800


def test_fresh_report_is_used_and_stale_one_falls_back_to_home(
    make_region, make_engineer, make_ticket, profile_of
):
    region = make_region(square(13.40, 52.52, 0.5))
    e = make_engineer(13.80, 52.52, regions=[region])  # home ~27 km east
    t = make_ticket(lon=13.40, lat=52.52)
    now = utcnow()
    report_location(e, location=Location(13.41, 52.52), recorded_at=now - timedelta(minutes=5))
    [v] = candidates_for(t, settings=S)
    assert v.location_source == "reported" and v.distance_m < 1000
    profile_of(e).last_location_at = now - timedelta(hours=2)
    db.session.flush()
    [v] = candidates_for(t, settings=S)
    assert v.location_source == "home" and v.distance_m > 20_000


def test_knn_query_can_use_the_geography_gist_index(session, make_region, make_engineer):
    region = make_region()
    make_engineer(13.40, 52.52, regions=[region])
    # Tiny table: force the planner off full/bitmap scans to show the KNN ordering can be
    # served by the geography GiST indexes (on big tables it picks them, or the GIN on
    # region_ids when a territory holds few engineers).
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = db.session.execute(
        text("EXPLAIN " + search.KNN_INSIDE.text),
        {"lon": 13.4, "lat": 52.5, "rids": [region.id], "fresh": utcnow(), "k": 5},
    ).scalars()
    plan_text = "\n".join(plan)
    assert "ix_engineer_profiles_home_geog" in plan_text
    assert "ix_engineer_profiles_last_location_geog" in plan_text


def test_map_bbox_filters_use_the_gist_indexes(session, make_region, make_engineer, make_ticket):
    from backend.dispatch import mapdata

    region = make_region()
    make_engineer(13.40, 52.52, regions=[region])
    make_ticket()
    # Tiny tables: take full scans off the menu so the plan shows which index serves ``&&``
    # (on the benchmark's 100,000 tickets the planner picks these unprompted).
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    env = {"minlon": 13.3, "minlat": 52.4, "maxlon": 13.5, "maxlat": 52.6}
    tickets = "\n".join(
        db.session.execute(
            text("EXPLAIN " + mapdata._TICKETS.text), {**env, "statuses": ["new"], "limit": 10}
        ).scalars()
    )
    # ix_tickets_location, or a partial GiST index over open tickets if one exists
    assert "Index Cond: (location && " in tickets, tickets
    engineers = "\n".join(
        db.session.execute(
            text("EXPLAIN " + mapdata._ENGINEERS.text),
            {**env, "fresh": utcnow(), "busy": ["assigned"], "limit": 10},
        ).scalars()
    )
    assert "ix_engineer_profiles_home" in engineers
    assert "ix_engineer_profiles_last_location" in engineers
    regions = "\n".join(
        db.session.execute(text("EXPLAIN " + mapdata._REGIONS.text), {**env, "limit": 10}).scalars()
    )
    assert "ix_regions_area" in regions


def test_assign_widens_the_search_when_the_k_nearest_are_all_unfit(
    make_region, make_engineer, make_ticket, make_user, make_skill
):
    from backend.dispatch.operations import dispatch_ticket

    make_skill("gas")
    region = make_region(square(13.40, 52.52, 0.3))
    for d in (0.01, 0.02, 0.03):
        make_engineer(13.40 + d, 52.52, regions=[region])  # near, but no gas skill
    fitter = make_engineer(13.60, 52.52, regions=[region], skills=["gas"])
    t = make_ticket(required_skills=["gas"])
    narrow = DispatchSettings(knn_k=3)
    assert not any(v.eligible for v in candidates_for(t, settings=narrow))
    decision = dispatch_ticket(t, actor=make_user("dispatcher"), settings=narrow)
    assert decision.chosen_engineer_id == fitter.id
