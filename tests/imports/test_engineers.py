"""Engineers import (docs/imports.md): users with profiles (skills, regions, shift typed in
one cell, home), found again by external_ref; new ones get no password but a one-time set-up
link (docs/security.md); the export of engineers imports back as a no-op."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import func, select, text

from backend.accounts.models import PasswordSetupToken, User
from backend.accounts.setup_tokens import digest
from backend.db import db, utcnow
from backend.dispatch.models import EngineerProfile, Region, Skill
from tests.imports.conftest import csv_file, xlsx_file
from tests.mail.conftest import smtp, smtp_server  # noqa: F401 (fixtures, used by name)

HEADER = [
    "external_ref",
    "email",
    "name",
    "skills",
    "regions",
    "shift",
    "home_latitude",
    "home_longitude",
    "language",
]
ENGINEERS = [
    HEADER,
    [
        "E1",
        "Ana@Example.com",
        "Ana Lopez",
        "gas; electric",
        "North",
        "Mon-Fri 08:00-17:00 Europe/Berlin",
        52.52,
        13.405,
        "en",
    ],
    [
        "E2",
        "bo@example.com",
        "Bo Chen",
        "electric",
        None,
        "fri-mon 22:00-06:00 Asia/Shanghai",
        31.23,
        121.47,
        "zh-cn",
    ],
]


def _square(x: float) -> WKTElement:
    return WKTElement(f"POLYGON(({x} 0,{x + 1} 0,{x + 1} 1,{x} 1,{x} 0))", srid=4326)


@pytest.fixture()
def catalog(session):
    for code in ("gas", "electric"):
        db.session.add(Skill(code=code, name=code.title()))
    north = Region(name="North", area=_square(0))
    south = Region(name="South", area=_square(2))
    twin_a, twin_b = Region(name="Twin", area=_square(4)), Region(name="Twin", area=_square(6))
    db.session.add_all([north, south, twin_a, twin_b])
    db.session.flush()
    return {"north": north, "south": south, "twin": twin_a}


def _user(ref: str) -> User:
    user = db.session.scalar(select(User).where(User.external_ref == ref))
    assert user is not None
    return user


def test_dry_run_says_every_problem_by_row_and_column(upload, catalog, make_user):
    make_user("dispatcher", email="taken@example.com")
    rows = [
        HEADER,
        [
            "E1",
            "a@example.com",
            "A",
            "gas;plumbing",
            "North;Nowhere",
            "Mon-Fri 08:00-17:00 UTC",
            1,
            1,
            None,
        ],
        ["E2", "taken@example.com", "B", None, "Twin", "Mon-Fri 8-17 UTC", 1, 1, "fr"],
        ["E3", "a@example.com", "C", None, None, "Mon-Fri 08:00-17:00 Mars/Base", 1, 1, None],
        [
            "E4",
            "d@example.com",
            "D",
            None,
            str(catalog["south"].id),
            "Sun 25:00-06:00 UTC",
            1,
            1,
            None,
        ],
        ["E5", "e@example.com", "E", None, None, None, None, 1, None],
    ]
    body = upload("engineers", csv_file(rows)).get_json()
    assert body["status"] == "invalid"
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors == {
        (2, "skills"): "no skill has code 'plumbing'",
        (2, "regions"): "no region has name or id 'Nowhere'",
        (3, "shift"): "'8' is not a time of day (HH:MM, 00:00 to 23:59)",
        (3, "language"): "'fr' is not a language we write in; one of en, zh-CN",
        # two regions share the name: it names neither (the id does)
        (3, "regions"): "no region has name or id 'Twin'",
        (4, "shift"): "unknown time zone 'Mars/Base'; use an IANA name like Europe/Berlin",
        (5, "shift"): "'25:00' is not a time of day (HH:MM, 00:00 to 23:59)",
        (6, "shift"): "is empty; this column is required",
        (6, "home_latitude"): "is empty; this column is required",
    }
    # Row 3's e-mail (a dispatcher's login) is not reached: the row has errors already.
    clean = [HEADER, [*rows[1][:3], "gas", "North", *rows[1][5:]]]
    clean.append(["E2", "taken@example.com", "B", None, None, "Mon 08:00-12:00 UTC", 1, 1, None])
    clean.append(["E3", "a@example.com", "C", None, None, "Mon 08:00-12:00 UTC", 1, 1, None])
    errors = [
        (e["row"], e["column"], e["message"])
        for e in upload("engineers", csv_file(clean)).get_json()["errors"]
    ]
    assert errors == [
        (3, "email", "'taken@example.com' is the login of another user (dispatcher)"),
        (4, "email", "'a@example.com' is already on row 2"),
    ]


def test_apply_creates_engineers_without_a_password_and_a_re_import_changes_nothing(
    imported, catalog, client
):
    done = imported("engineers", csv_file(ENGINEERS))
    assert done["status"] == "applied", done
    assert done["result"] == {"inserted": 2, "updated": 0, "unchanged": 0}
    ana, bo = _user("E1"), _user("E2")
    ana_id, bo_id = ana.id, bo.id
    assert (ana.email, ana.role, ana.language) == ("ana@example.com", "engineer", "en")
    assert bo.language == "zh-CN"
    profile = db.session.get(EngineerProfile, ana.id)
    assert profile.skills == ["electric", "gas"]
    assert profile.region_ids == [catalog["north"].id]
    assert (profile.shift_timezone, profile.shift_days) == ("Europe/Berlin", [0, 1, 2, 3, 4])
    assert (profile.shift_start, profile.shift_end) == (time(8), time(17))
    night = db.session.get(EngineerProfile, bo.id)
    assert night.shift_days == [0, 4, 5, 6] and night.shift_end == time(6)
    # No password: nobody logs in, whatever they type.
    for password in ("", "!password-not-set", "password"):
        r = client.post(
            "/api/v1/auth/login", json={"email": "ana@example.com", "password": password or "x"}
        )
        assert r.status_code == 401
    # Each got one set-up token, stored as a hash only.
    tokens = db.session.scalars(
        select(PasswordSetupToken).where(PasswordSetupToken.user_id == ana.id)
    ).all()
    assert len(tokens) == 1 and len(tokens[0].token_hash) == 64
    assert tokens[0].expires_at > utcnow() + timedelta(days=2)

    before = db.session.execute(
        text(
            "SELECT u.xmin::text, u.updated_at, p.xmin::text, p.updated_at FROM users u"
            " JOIN engineer_profiles p ON p.user_id = u.id"
            " WHERE u.external_ref IS NOT NULL ORDER BY u.email"
        )
    ).all()
    # Same file as XLSX, columns in another order, skills in another order: nothing changes.
    shuffled = [[r[2], r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8]] for r in ENGINEERS]
    shuffled[1][3] = "electric,gas"
    again = imported("engineers", xlsx_file(shuffled), "engineers.xlsx")
    assert again["result"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    after = db.session.execute(
        text(
            "SELECT u.xmin::text, u.updated_at, p.xmin::text, p.updated_at FROM users u"
            " JOIN engineer_profiles p ON p.user_id = u.id"
            " WHERE u.external_ref IS NOT NULL ORDER BY u.email"
        )
    ).all()
    assert after == before
    assert db.session.scalar(select(func.count()).select_from(PasswordSetupToken)) == 2

    changed = [list(r) for r in ENGINEERS]
    changed[1][5] = "Mon-Thu 07:00-15:30 Europe/Berlin"
    changed[1][4] = f"South; {catalog['twin'].id}"
    changed[2][1] = "bo.chen@example.com"
    third = imported("engineers", csv_file(changed))
    assert third["result"] == {"inserted": 0, "updated": 2, "unchanged": 0}
    db.session.expire_all()
    assert _user("E2").email == "bo.chen@example.com" and _user("E2").id == bo_id
    profile = db.session.get(EngineerProfile, ana_id)
    assert sorted(profile.region_ids) == sorted([catalog["south"].id, catalog["twin"].id])
    assert profile.shift_days == [0, 1, 2, 3] and profile.shift_end == time(15, 30)


def test_an_engineer_made_in_the_app_is_adopted_by_e_mail(imported, catalog, make_user):
    existing = make_user("engineer", email="ana@example.com")
    done = imported("engineers", csv_file(ENGINEERS[:2]))
    assert done["result"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    db.session.expire_all()
    assert _user("E1").id == existing.id
    assert db.session.get(EngineerProfile, existing.id).skills == ["electric", "gas"]
    # An existing user keeps their password: no set-up token is made for them.
    assert db.session.scalar(select(func.count()).select_from(PasswordSetupToken)) == 0


def test_a_vanished_skill_fails_the_chunk_whole(upload, api, staff, run_jobs, catalog):
    body = upload("engineers", csv_file(ENGINEERS)).get_json()
    assert body["status"] == "ready", body["errors"]
    db.session.execute(text("DELETE FROM skills WHERE code = 'electric'"))
    api("post", f"/api/v1/imports/{body['id']}/apply", staff)
    run_jobs()
    failed = api("get", f"/api/v1/imports/{body['id']}", staff).get_json()
    assert failed["status"] == "failed"
    assert "electric" in failed["failure"]
    # Neither engineer half-exists: no user without a profile, no token.
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.external_ref.is_not(None))
        )
        == 0
    )
    assert db.session.scalar(select(func.count()).select_from(PasswordSetupToken)) == 0


def test_the_invitation_is_e_mailed_and_sets_the_password_once(
    imported,
    catalog,
    smtp,  # noqa: F811 (the fixture imported above)
    run_jobs,
    client,
):
    imported("engineers", csv_file(ENGINEERS))
    run_jobs()  # the invitation e-mails, queued after the chunk's commit
    mails = {m["To"]: m for m in smtp.parsed()}
    assert set(mails) == {"ana@example.com", "bo@example.com"}
    assert mails["bo@example.com"]["Subject"] == "设置您的 fieldops 密码"
    text_body = mails["ana@example.com"].get_body(("plain",)).get_content()
    link = next(w for w in text_body.split() if "/app/#/set-password/" in w)
    token = link.rsplit("/", 1)[1]
    # The stored row holds the token's hash, not the token.
    assert db.session.scalar(
        select(PasswordSetupToken).where(PasswordSetupToken.token_hash == digest(token))
    )
    short = client.post("/api/v1/auth/set-password", json={"token": token, "password": "short"})
    assert short.status_code == 422 and "password" in short.get_json()["errors"]["json"]
    ok = client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": "a-long-secret"}
    )
    assert ok.status_code == 204
    login = client.post(
        "/api/v1/auth/login", json={"email": "ana@example.com", "password": "a-long-secret"}
    )
    assert login.status_code == 200
    again = client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": "another-one"}
    )
    assert again.status_code == 422
    assert again.get_json()["errors"] == {"token": ["invalid or expired"]}


def test_an_admin_issues_a_fresh_link_and_older_ones_stop_working(
    imported, catalog, api, admin, staff, client
):
    imported("engineers", csv_file(ENGINEERS))
    ana = _user("E1")
    assert api("post", f"/api/v1/users/{ana.id}/password-setup", staff).status_code == 403
    first = api("post", f"/api/v1/users/{ana.id}/password-setup", admin).get_json()
    assert (
        first["url"].endswith(f"/app/#/set-password/{first['token']}") and first["emailed"] is False
    )
    second = api("post", f"/api/v1/users/{ana.id}/password-setup", admin).get_json()
    assert (
        client.post(
            "/api/v1/auth/set-password", json={"token": first["token"], "password": "a-long-secret"}
        ).status_code
        == 422
    )
    # An expired link is refused like an unknown one.
    db.session.execute(
        text(
            "UPDATE password_setup_tokens SET expires_at = now() - interval '1 second'"
            " WHERE token_hash = :h"
        ),
        {"h": digest(second["token"])},
    )
    assert (
        client.post(
            "/api/v1/auth/set-password",
            json={"token": second["token"], "password": "a-long-secret"},
        ).status_code
        == 422
    )


def test_set_password_is_rate_limited_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_SETUP_LIMIT_PER_IP", "2 per minute")
    codes = [
        client.post(
            "/api/v1/auth/set-password", json={"token": "guess", "password": "a-long-secret"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]


def test_the_engineers_export_imports_back_unchanged(imported, catalog, api, staff, upload, apply):
    rows = [list(r) for r in ENGINEERS]
    rows[2][4] = f"South; {catalog['twin'].id}"  # a shared name is exported by id
    imported("engineers", csv_file(rows))
    for fmt in ("csv", "xlsx"):
        r = api("get", f"/api/v1/data/engineers/export?format={fmt}", staff)
        assert r.status_code == 200
        body = upload("engineers", r.get_data(), f"engineers.{fmt}").get_json()
        assert body["status"] == "ready", body["errors"]
        assert apply(body["id"])["result"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    text_file = api("get", "/api/v1/data/engineers/export", staff).get_data().decode()
    assert "Mon-Fri 08:00-17:00 Europe/Berlin" in text_file
    assert "Mon,Fri-Sun 22:00-06:00 Asia/Shanghai" in text_file
    assert f"South; {catalog['twin'].id}" in text_file


def test_a_long_export_runs_as_a_job_with_progress(api, staff, make_ticket, run_jobs, client):
    make_ticket(title="Boiler leaks")
    today = utcnow().date().isoformat()
    query = f"format=csv&from={today}&to={today}"
    r = api("post", f"/api/v1/data/tickets/export/jobs?{query}", staff)
    assert r.status_code == 202, r.get_json()
    job_id = r.get_json()["job_id"]
    run_jobs()
    state = api("get", f"/api/v1/exports/{job_id}", staff).get_json()
    assert state["status"] == "finished", state
    assert state["progress"]["percent"] == 100 and state["progress"]["total"] == 1
    data = client.get(state["download_url"]).get_data()
    streamed = api("get", f"/api/v1/data/tickets/export?{query}", staff).get_data()
    assert data == streamed and b"Boiler leaks" in data
    # A period before the ticket: the header alone.
    empty = api("get", "/api/v1/data/tickets/export?from=2000-01-01&to=2000-01-02", staff)
    assert len(empty.get_data().decode().splitlines()) == 1
    bad = api("get", f"/api/v1/data/customers/export?from={today}", staff)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
    backwards = api("get", "/api/v1/data/tickets/export?from=2000-01-02&to=2000-01-01", staff)
    assert backwards.status_code == 422
