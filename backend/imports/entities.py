"""What each importable file holds: its columns, the key a row is upserted by, and the other
records a column refers to. One declaration per entity, read by the validator (the dry run),
the writer (apply), the export (the same columns, so an exported file imports back unchanged)
and the API (the columns a template needs)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    required: bool = False
    # text | email | user_email | latitude | longitude | quantity | skills | regions | shift
    # | language (skills and regions: several values in one cell, separated by ";")
    kind: str = "text"
    max_len: int | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    title: str
    key: str  # the column a row is found again by on a re-import
    columns: tuple[Column, ...]
    # column -> (the entity it names, its table, the column of that table it names it by)
    refs: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # further columns that are part of the key (van stock: one row per engineer and part)
    key_with: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.key, *self.key_with)


_REF = "Your system's id of the record: a re-import updates the record with this id"

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "customers",
            "Customers",
            "external_ref",
            (
                Column("external_ref", _REF, True, max_len=100),
                Column("name", "Customer name", True, max_len=200),
                Column("email", "Contact e-mail", kind="email", max_len=254),
                Column("phone", "Contact phone", max_len=50),
            ),
        ),
        Entity(
            "sites",
            "Sites",
            "external_ref",
            (
                Column("external_ref", _REF, True, max_len=100),
                Column("customer_ref", "The customer's external_ref", True, max_len=100),
                Column("name", "Site name", True, max_len=200),
                Column("address", "Postal address", max_len=2000),
                Column("latitude", "WGS 84 degrees, -90 to 90", True, kind="latitude"),
                Column("longitude", "WGS 84 degrees, -180 to 180", True, kind="longitude"),
            ),
            refs={"customer_ref": ("customers", "customers", "external_ref")},
        ),
        Entity(
            "assets",
            "Assets",
            "external_ref",
            (
                Column("external_ref", _REF, True, max_len=100),
                Column("site_ref", "The site's external_ref", True, max_len=100),
                Column("name", "Asset name", True, max_len=200),
                Column("model", "Make and model", max_len=200),
                Column("serial", "Serial number", max_len=200),
            ),
            refs={"site_ref": ("sites", "sites", "external_ref")},
        ),
        Entity(
            "parts",
            "Parts catalog",
            "sku",
            (
                Column("sku", "Stock keeping unit: the part's key", True, max_len=64),
                Column("name", "Part name", True, max_len=200),
                Column("unit", "Unit of measure (pcs when empty)", max_len=20),
                Column("min_quantity", "Default low-stock threshold", kind="quantity", max_len=20),
            ),
        ),
        Entity(
            "van_stock",
            "Van stock",
            "engineer_email",
            (
                Column(
                    "engineer_email",
                    "The engineer's login e-mail (the van is theirs)",
                    True,
                    kind="user_email",
                    max_len=254,
                ),
                Column("sku", "The part's SKU", True, max_len=64),
                Column(
                    "quantity",
                    "What the van holds: an adjustment with reason 'import' reaches it",
                    True,
                    kind="quantity",
                    max_len=20,
                ),
            ),
            refs={
                "engineer_email": ("engineers", "users", "email"),
                "sku": ("parts", "parts", "sku"),
            },
            key_with=("sku",),
        ),
        Entity(
            "engineers",
            "Engineers",
            "external_ref",
            (
                Column("external_ref", _REF, True, max_len=100),
                Column(
                    "email",
                    "Login e-mail (the set-password link goes here)",
                    True,
                    kind="user_email",
                    max_len=254,
                ),
                Column("name", "Full name", True, max_len=200),
                Column(
                    "skills",
                    "Skill codes, separated by ';' (each must exist)",
                    kind="skills",
                    max_len=2000,
                ),
                Column(
                    "regions",
                    "Region names or ids, separated by ';' (each must exist)",
                    kind="regions",
                    max_len=4000,
                ),
                Column(
                    "shift",
                    "Working days, hours and time zone, e.g. "
                    "'Mon-Fri 08:00-17:00 Europe/Berlin' (22:00-06:00 runs overnight)",
                    True,
                    kind="shift",
                    max_len=200,
                ),
                Column(
                    "home_latitude",
                    "Where the engineer starts from: WGS 84, -90 to 90",
                    True,
                    kind="latitude",
                ),
                Column("home_longitude", "WGS 84 degrees, -180 to 180", True, kind="longitude"),
                Column(
                    "language",
                    "Language of their e-mails: en or zh-CN (empty: default)",
                    kind="language",
                    max_len=10,
                ),
            ),
            refs={
                "skills": ("skills", "skills", "code"),
                "regions": ("regions", "regions", "name or id"),
            },
        ),
    )
}

# Columns holding several values: split on these, stored joined by "; " in sorted order, so
# the same set typed in another order is the same row (a re-import changes nothing).
LIST_KINDS = {"skills": ";,", "regions": ";"}
LANGUAGES = ("en", "zh-CN")


def split_list(value: str | None, kind: str) -> list[str]:
    if not value:
        return []
    text = value
    for sep in LIST_KINDS[kind][1:]:
        text = text.replace(sep, LIST_KINDS[kind][0])
    return sorted({v.strip() for v in text.split(LIST_KINDS[kind][0]) if v.strip()})
