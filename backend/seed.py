"""Demo data: a believable Berlin service business, built through the real operations.

``seed_demo()`` is deterministic (one seeded RNG, fixed lists) and idempotent: every record
is looked up by a natural key first (e-mail, skill code, region/customer name, site and asset
name, ticket title, public report id), so running it again adds nothing. QR tokens stay
random (``secrets``) even here: they are printed on equipment and must not be guessable from
the seed. Tickets reach every status by the same ``assign_ticket``/``transition`` calls the
API uses, so their audit trails look like real ones.
"""

from __future__ import annotations

import random
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Polygon
from sqlalchemy import func, select

from backend.accounts.models import User
from backend.accounts.operations import create_user, find_by_email
from backend.assets.models import Asset, Customer, Site
from backend.db import db, utcnow
from backend.dispatch.models import Region, Skill
from backend.jobtypes.models import JobType
from backend.jobtypes.operations import create_job_type
from backend.jobtypes.schemas import JobTypeCreateIn
from backend.parts.ledger import post_movement
from backend.parts.models import Part, StockLocation
from backend.parts.operations import create_location, create_part
from backend.public.operations import submit_report
from backend.workorders.geo import point
from backend.workorders.models import Ticket
from backend.workorders.operations import assign_ticket, create_ticket, transition

SEED = 20261122
ADMIN = ("admin@fieldops.test", "fieldops-admin", "Ada Admin")
DISPATCHER = ("dispatcher@fieldops.test", "fieldops-dispatch", "Dana Dispatch")
ENGINEER_PASSWORD = "fieldops-engineer"
ENGINEER_NAMES = [
    "Jonas Becker",
    "Mia Schulz",
    "Lukas Hoffmann",
    "Emma Wagner",
    "Felix Richter",
    "Lea Neumann",
    "Paul Schwarz",
    "Hannah Krüger",
]
SKILLS = {
    "hvac": "Heating, ventilation & air conditioning",
    "electrical": "Electrical installations",
    "plumbing": "Plumbing",
    "elevator": "Elevators & escalators",
    "refrigeration": "Commercial refrigeration",
    "fire-safety": "Fire alarms & extinguishing systems",
}
# (name, (min_lon, min_lat, max_lon, max_lat)): neighbouring areas overlap at their borders.
REGIONS = [
    ("Mitte", (13.33, 52.49, 13.45, 52.55)),
    ("Nord (Pankow/Wedding)", (13.30, 52.53, 13.50, 52.62)),
    ("Ost (Friedrichshain/Lichtenberg)", (13.42, 52.48, 13.56, 52.56)),
    ("Süd (Neukölln/Tempelhof)", (13.33, 52.41, 13.50, 52.50)),
    ("West (Charlottenburg/Spandau)", (13.15, 52.47, 13.36, 52.56)),
    ("Südwest (Steglitz/Zehlendorf)", (13.18, 52.40, 13.36, 52.48)),
]
# customer -> [(site name, address, lon, lat, [asset names])]
CUSTOMERS: dict[str, list[tuple[str, str, float, float, list[str]]]] = {
    "Spree Facilities GmbH": [
        (
            "Alexanderplatz Office Tower",
            "Alexanderplatz 5, 10178 Berlin",
            13.4132,
            52.5219,
            ["Chiller 1", "Passenger lift A", "Fire alarm panel"],
        ),
        (
            "Potsdamer Platz Arcade",
            "Alte Potsdamer Str. 7, 10785 Berlin",
            13.3760,
            52.5096,
            ["Escalator E2", "Main distribution board"],
        ),
    ],
    "Kiez Supermärkte": [
        (
            "Markt Prenzlauer Berg",
            "Schönhauser Allee 80, 10439 Berlin",
            13.4125,
            52.5450,
            ["Cold room", "Freezer row 3", "Rooftop AC unit"],
        ),
        (
            "Markt Neukölln",
            "Karl-Marx-Str. 101, 12043 Berlin",
            13.4380,
            52.4795,
            ["Cold room", "Bottle cooler"],
        ),
        (
            "Markt Spandau",
            "Carl-Schurz-Str. 22, 13597 Berlin",
            13.2030,
            52.5370,
            ["Freezer row 1", "Sprinkler pump"],
        ),
    ],
    "Charité Campus Services": [
        (
            "Campus Mitte, Bettenhochhaus",
            "Charitéplatz 1, 10117 Berlin",
            13.3780,
            52.5250,
            ["Bed lift 2", "Medical gas alarm", "Air handling unit 4"],
        ),
        (
            "Campus Benjamin Franklin",
            "Hindenburgdamm 30, 12203 Berlin",
            13.3180,
            52.4420,
            ["Emergency generator", "Chiller 2"],
        ),
    ],
    "Westend Hotels": [
        (
            "Hotel am Ku'damm",
            "Kurfürstendamm 50, 10707 Berlin",
            13.3150,
            52.5010,
            ["Guest lift 1", "Kitchen extraction", "Boiler"],
        ),
    ],
    "Tempelhof Logistics": [
        (
            "Depot Tempelhof",
            "Tempelhofer Damm 150, 12099 Berlin",
            13.3860,
            52.4630,
            ["Loading dock door 4", "Cold store", "Fire shutter"],
        ),
    ],
    "Lichtenberg Wohnen eG": [
        (
            "Wohnanlage Frankfurter Allee",
            "Frankfurter Allee 200, 10365 Berlin",
            13.4900,
            52.5140,
            ["Lift house 3", "Heating plant", "Water booster pump"],
        ),
    ],
}
SKILL_FOR = {
    "chiller": "refrigeration",
    "cold": "refrigeration",
    "freezer": "refrigeration",
    "cooler": "refrigeration",
    "lift": "elevator",
    "escalator": "elevator",
    "fire": "fire-safety",
    "sprinkler": "fire-safety",
    "alarm": "fire-safety",
    "board": "electrical",
    "generator": "electrical",
    "door": "electrical",
    "ac": "hvac",
    "air": "hvac",
    "extraction": "hvac",
    "boiler": "hvac",
    "heating": "hvac",
    "pump": "plumbing",
    "gas": "plumbing",
    "shutter": "fire-safety",
}
FAULTS = [
    "not cooling, temperature rising",
    "stopped between floors",
    "error code E42 on the display",
    "loud grinding noise",
    "leaking water onto the floor",
    "tripping the breaker every few minutes",
    "alarm sounding without reason",
    "will not start after power cut",
    "smells of burning",
    "door does not close",
]
# Status reached -> the actions after assignment that lead there (None: leave unassigned).
PATHS: dict[str, list[str] | None] = {
    "new": None,
    "assigned": [],
    "accepted": ["accept"],
    "en_route": ["accept", "start_travel"],
    "on_site": ["accept", "start_travel", "arrive"],
    "in_progress": ["accept", "start_travel", "arrive", "start_work"],
    "on_hold": ["accept", "start_travel", "arrive", "start_work", "hold"],
    "completed": ["accept", "start_travel", "arrive", "start_work", "complete"],
    "closed": ["accept", "start_travel", "arrive", "start_work", "complete", "close"],
    "cancelled": ["cancel"],
}
STAFF_ACTIONS = {"close", "cancel"}
REASONS = {"hold": "waiting for a spare part", "cancel": "customer fixed it themselves"}
TICKETS_PER_STATUS = 3


def _skill_for(asset_name: str) -> str:
    words = asset_name.lower().replace("-", " ").split()
    return next((SKILL_FOR[w] for w in words if w in SKILL_FOR), "hvac")


def _user(email: str, password: str, name: str, role: str) -> User:
    return find_by_email(email) or create_user(email=email, name=name, role=role, password=password)


def _one(model: Any, **where: Any) -> Any:
    return db.session.scalars(select(model).filter_by(**where)).first()


def _regions() -> list[Region]:
    out = []
    for name, (x0, y0, x1, y1) in REGIONS:
        region = _one(Region, name=name)
        if region is None:
            poly = Polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
            region = Region(name=name, area=from_shape(poly, srid=4326))
            db.session.add(region)
        out.append(region)
    db.session.flush()
    return out


def _skills() -> None:
    for code, name in SKILLS.items():
        if _one(Skill, code=code) is None:
            db.session.add(Skill(code=code, name=name))
    db.session.flush()


def _engineers(rng: random.Random, regions: list[Region]) -> list[User]:
    engineers = []
    codes = list(SKILLS)
    for i, name in enumerate(ENGINEER_NAMES, start=1):
        user = _user(f"engineer{i}@fieldops.test", ENGINEER_PASSWORD, name, "engineer")
        engineers.append(user)
        home_regions = [regions[(i - 1) % len(regions)], regions[i % len(regions)]]
        skills = sorted({codes[(i - 1) % len(codes)], *rng.sample(codes, 2)})
        _profile(user, skills, home_regions, rng, early=i % 3 == 0, saturday=i in (2, 7))
    db.session.flush()
    return engineers


def _profile(
    user: User,
    skills: list[str],
    regions: list[Region],
    rng: random.Random,
    *,
    early: bool,
    saturday: bool,
) -> None:
    """Engineer profile: skills, regions, home, shift."""
    from backend.dispatch.models import EngineerProfile

    # Draw before the existence check: a re-run must consume the RNG exactly like the first.
    x0, y0, x1, y1 = dict(REGIONS)[regions[0].name]
    home = point(round(rng.uniform(x0, x1), 5), round(rng.uniform(y0, y1), 5))
    if db.session.get(EngineerProfile, user.id) is not None:
        return
    db.session.add(
        EngineerProfile(
            user_id=user.id,
            skills=skills,
            region_ids=[r.id for r in regions],
            home=home,
            shift_timezone="Europe/Berlin",
            shift_days=[0, 1, 2, 3, 4, 5] if saturday else [0, 1, 2, 3, 4],
            shift_start=time(7, 0) if early else time(8, 0),
            shift_end=time(16, 0) if early else time(17, 0),
            status="available",
            max_open_jobs=6,
        )
    )


def _estate() -> list[Asset]:
    assets: list[Asset] = []
    for cname, sites in CUSTOMERS.items():
        customer = _one(Customer, name=cname)
        if customer is None:
            slug = cname.split()[0].lower().replace("é", "e").replace("ä", "a")
            customer = Customer(
                name=cname, email=f"service@{slug}.example", phone="+49 30 555 0100"
            )
            db.session.add(customer)
            db.session.flush()
        for sname, address, lon, lat, asset_names in sites:
            site = _one(Site, customer_id=customer.id, name=sname)
            if site is None:
                site = Site(
                    customer_id=customer.id, name=sname, address=address, location=point(lon, lat)
                )
                db.session.add(site)
                db.session.flush()
            for n, aname in enumerate(asset_names, start=1):
                asset = _one(Asset, site_id=site.id, name=aname)
                if asset is None:
                    asset = Asset(
                        site_id=site.id,
                        name=aname,
                        model=f"{aname.split()[0][:3].upper()}-{100 * n}",
                        serial=f"SN-{len(assets) + 1:04d}",
                    )
                    db.session.add(asset)
                assets.append(asset)
    db.session.flush()
    return assets


def _tickets(
    assets: list[Asset],
    engineers: list[User],
    dispatcher: User,
    sla_policy: dict[str, tuple[float, float]],
) -> int:
    """TICKETS_PER_STATUS tickets in every status; returns how many were created now."""
    created = 0
    now = utcnow()
    for status, path in PATHS.items():
        for k in range(TICKETS_PER_STATUS):
            # One RNG per ticket: whether earlier tickets already exist (a re-run) cannot
            # shift what this one draws.
            rng = random.Random(f"{SEED}:{status}:{k}")
            asset = assets[rng.randrange(len(assets))]
            fault = FAULTS[rng.randrange(len(FAULTS))]
            priority = rng.choice(["P1", "P2", "P2", "P3", "P3", "P3", "P4"])
            if status in {"completed", "closed"}:
                # P1/P2 completions need photos as evidence; the demo has no image files.
                priority = "P3" if priority in {"P1", "P2", "P3"} else "P4"
            # Open work is recent (so SLA clocks show a mix of ok/at risk/breached), finished
            # work older.
            age_h = rng.uniform(0.2, 30) if status in {"new", "assigned"} else rng.uniform(4, 96)
            engineer = engineers[rng.randrange(len(engineers))]
            title = f"{asset.name} {fault} ({asset.site.name}) #{status}-{k + 1}"
            if _one(Ticket, title=title) is not None:
                continue
            ticket = create_ticket(
                actor=dispatcher,
                title=title,
                priority=priority,
                description=f"Reported by the site manager: {asset.name.lower()} {fault}.",
                required_skills=[_skill_for(asset.name)],
                asset_id=asset.id,
                sla_policy=sla_policy,
                now=now - timedelta(hours=age_h),
            )
            created += 1
            if path is None:
                continue
            if path != ["cancel"]:
                assign_ticket(ticket, engineer, actor=dispatcher, reason="demo data")
            for action in path:
                if action == "complete":
                    _close_out(ticket, engineer, rng)
                    if ticket.status != "in_progress":  # the sign-off completed it
                        continue
                actor = dispatcher if action in STAFF_ACTIONS else engineer
                transition(ticket, actor, action, reason=REASONS.get(action))
    db.session.flush()
    return created


# Planned work: a job type whose checklist shows each kind of item the engineer app draws (a
# yes/no with a follow-up question only after "no", a number with its range, a choice, a photo),
# and open tickets of that type. Without them the demo had no job type at all, so neither the
# dispatcher nor engineer1 could see a checklist without writing one through the API first.
CHILLER_INSPECTION: dict[str, Any] = {
    "name": "Chiller quarterly inspection",
    "description": "Quarterly check of a chiller: isolate, read the temperatures, photograph "
    "the control panel.",
    "default_priority": "P3",
    "required_skills": ["refrigeration"],
    "estimated_minutes": 60,
    "checklist": {
        "sections": [
            {
                "title": "Safety",
                "items": [
                    {"key": "isolated", "label": "Unit isolated before work?",
                     "type": "yes_no", "required": True},
                    {"key": "why_not_isolated", "label": "Why could it not be isolated?",
                     "type": "text", "required": True,
                     "show_if": {"item": "isolated", "any_of": ["no"]}},
                ],
            },
            {
                "title": "Readings",
                "items": [
                    {"key": "supply_temp", "label": "Chilled water supply temperature",
                     "type": "number", "unit": "°C", "min": 4, "max": 9, "required": True,
                     "help": "Outside 4-9 °C the check is marked failed."},
                    {"key": "condenser", "label": "Condenser coil condition",
                     "type": "single_choice", "choices": ["clean", "dusty", "blocked"]},
                    {"key": "panel_photo", "label": "Photo of the control panel",
                     "type": "photo", "required": True},
                ],
            },
        ]
    },
}  # fmt: skip
# Per chiller of the estate, in order: the engineer number it is assigned to, or None. One
# waits for the dispatcher to assign it, one is on engineer1's phone.
PLANNED: list[int | None] = [None, 1]


def _job_types(admin: User) -> JobType:
    name = CHILLER_INSPECTION["name"]
    found = db.session.scalars(select(JobType).where(func.lower(JobType.name) == name.lower()))
    # Through the API's schema: the stored checklist has every item field, as the phone expects.
    return found.first() or create_job_type(admin, **JobTypeCreateIn().load(CHILLER_INSPECTION))


def _planned_tickets(
    job_type: JobType,
    assets: list[Asset],
    engineers: list[User],
    dispatcher: User,
    sla_policy: dict[str, tuple[float, float]],
) -> int:
    """Open tickets of the demo job type (looked up by title); returns how many were new."""
    chillers = [a for a in assets if a.name.startswith("Chiller")]
    created = 0
    for i, engineer_no in enumerate(PLANNED):
        asset = chillers[i % len(chillers)]
        title = f"{asset.name} quarterly inspection ({asset.site.name}) #planned-{i + 1}"
        if _one(Ticket, title=title) is not None:
            continue
        ticket = create_ticket(
            actor=dispatcher,
            title=title,
            description="Planned maintenance from the service contract.",
            asset_id=asset.id,
            sla_policy=sla_policy,
            job_type_id=job_type.id,
        )
        created += 1
        if engineer_no is not None:
            assign_ticket(ticket, engineers[engineer_no - 1], actor=dispatcher, reason="demo data")
    db.session.flush()
    return created


SIGNERS = ["K. Meyer", "S. Öztürk", "J. Wolff", "R. Hartmann", "T. Nguyen"]


def _close_out(ticket: Ticket, engineer: User, rng: random.Random) -> None:
    """What an engineer does before ``complete`` when the completion rules (sign-off
    feature) are installed: state that no parts were used and take the customer's signature
    (which completes the job once nothing else is missing)."""
    signer = SIGNERS[rng.randrange(len(SIGNERS))]
    strokes = [
        [[10 + 12 * i, 40 + rng.randint(-15, 15)] for i in range(8)],
        [[20 + 10 * i, 70 + rng.randint(-5, 5)] for i in range(5)],
    ]
    from backend.parts.operations import declare_no_parts
    from backend.signoff.operations import submit_signoff

    declare_no_parts(ticket, engineer)
    submit_signoff(ticket, engineer, signer_name=signer, signature={"strokes": strokes})


# The van kit every demo engineer carries: (SKU, name, unit, quantity in the van).
VAN_KIT = [
    ("FLT-G4-595", "Air filter G4 595 x 595 mm", "pcs", 6),
    ("BLT-SPA-1250", "V-belt SPA 1250", "pcs", 4),
    ("CAP-35UF", "Run capacitor 35 µF", "pcs", 5),
    ("REF-R410A", "Refrigerant R410A", "kg", 8),
    ("FUSE-10A", "Fuse 10 A (pack of 10)", "pack", 3),
]


def _vans(admin: User, engineers: list[User]) -> None:
    """A catalog of everyday parts and a stocked van per engineer, received into the central
    warehouse and transferred to the van once (a second seed finds the van and leaves it), so
    the demo can record parts used, not only "no parts used"."""
    parts = [
        _one(Part, sku=sku) or create_part(actor=admin, sku=sku, name=name, unit=unit)
        for sku, name, unit, _ in VAN_KIT
    ]
    store = _one(StockLocation, kind="warehouse", name="Central warehouse") or create_location(
        actor=admin, name="Central warehouse", kind="warehouse"
    )
    for engineer in engineers:
        if _one(StockLocation, kind="van", engineer_id=engineer.id) is not None:
            continue
        van = create_location(
            actor=admin, name=f"Van {engineer.name}", kind="van", engineer_id=engineer.id
        )
        for part, (_, _, _, quantity) in zip(parts, VAN_KIT, strict=True):
            qty = Decimal(quantity)
            post_movement(actor=admin, part_id=part.id, quantity=qty, to_location_id=store.id,
                          reason="demo delivery")  # fmt: skip
            post_movement(actor=admin, part_id=part.id, quantity=qty, from_location_id=store.id,
                          to_location_id=van.id, reason="demo van kit")  # fmt: skip
    db.session.flush()


PUBLIC_REPORTS = [
    ("Cold room", "The cold room alarm is beeping and it feels warm inside.", "Murat Yilmaz"),
    ("Guest lift 1", "Lift doors open and close again without moving.", "Sophie Lang"),
    ("Lift house 3", "Elevator stuck on the 4th floor, nobody inside.", "Herr Kowalski"),
]


def _public_reports(assets: list[Asset], sla_policy: dict[str, tuple[float, float]]) -> int:
    """Customer QR reports; ``client_report_id`` makes them idempotent like any replay."""
    created = 0
    by_name = {a.name: a for a in assets}
    for i, (asset_name, description, contact) in enumerate(PUBLIC_REPORTS, start=1):
        result = submit_report(
            qr_token=by_name[asset_name].qr_token,
            description=description,
            contact_name=contact,
            contact_phone=f"+49 30 555 01{i:02d}",
            client_report_id=f"demo-seed-{i}",
            priority="P3",
            sla_policy=sla_policy,
            dedupe_window=timedelta(minutes=10),
        )
        created += int(result.created)
    return created


def seed_demo(sla_policy: dict[str, tuple[float, float]]) -> dict[str, int]:
    """Create (or complete) the demo data set. Flush only; the caller commits."""
    rng = random.Random(SEED)
    admin = _user(*ADMIN[:2], ADMIN[2], "admin")
    dispatcher = _user(*DISPATCHER[:2], DISPATCHER[2], "dispatcher")
    regions = _regions()
    _skills()
    engineers = _engineers(rng, regions)
    _vans(admin, engineers)
    assets = _estate()
    new_tickets = _tickets(assets, engineers, dispatcher, sla_policy)
    new_reports = _public_reports(assets, sla_policy)
    planned = _planned_tickets(_job_types(admin), assets, engineers, dispatcher, sla_policy)
    from backend.workorders.sla_scan import scan

    scan()  # show realistic SLA flags on the demo board right away
    return {
        "tickets_created": new_tickets,
        "public_reports_created": new_reports,
        "planned_tickets_created": planned,
        **counts(),
    }


def counts() -> dict[str, int]:
    def n(model: Any) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "users": n(User),
        "regions": n(Region),
        "skills": n(Skill),
        "customers": n(Customer),
        "sites": n(Site),
        "assets": n(Asset),
        "tickets": n(Ticket),
        "parts": n(Part),
        "job_types": n(JobType),
    }


DEMO_LOGINS = [
    (ADMIN[0], ADMIN[1], "admin"),
    (DISPATCHER[0], DISPATCHER[1], "dispatcher"),
    ("engineer1..8@fieldops.test", ENGINEER_PASSWORD, "engineer"),
]
