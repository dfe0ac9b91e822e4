"""The dry run's checks, row by row, in words: every problem is ``{row, column, message}``
with the spreadsheet's row number (the header is row 1), so a person can find and fix it.
Pure: the records other rows refer to are looked up through the ``known`` callback the
operation passes (one query per referenced table, not one per row)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, validate

from backend.dispatch.shifts import format_pattern, parse_pattern
from backend.imports.entities import ENTITIES, LANGUAGES, LIST_KINDS, Column, Entity, split_list
from backend.pgtext import text_problem

MAX_ERRORS = 1000  # kept and shown; the count says how many more there were
_FORMULA_GUARD = ("'=", "'+", "'-", "'@")  # how backend.spreadsheet keeps formulas as text
_email = validate.Email()

Known = Callable[[str, set[str]], set[str]]
# An entity's own checks of the valid rows against the database (an engineer's e-mail that is
# another user's login): (row number, column, message) for each problem.
Conflicts = Callable[[Entity, list[tuple[int, list[str | None]]]], list[tuple[int, str, str]]]


@dataclass
class DryRun:
    rows: list[list[str | None]] = field(default_factory=list)  # valid rows, entity's columns
    total: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0

    def error(self, row: int, column: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def header_names(header: list[str | None]) -> list[str]:
    """``External Ref`` and ``external_ref`` are the same column."""
    return [(h or "").strip().lower().replace(" ", "_").replace("-", "_") for h in header]


def check(
    entity: Entity,
    lines: Iterable[list[str | None]],
    known: Known,
    max_rows: int,
    conflicts: Conflicts | None = None,
) -> DryRun:
    """Every row of the file checked; ``rows`` keeps the valid ones in the entity's column
    order (what apply writes)."""
    out = DryRun()
    it = iter(lines)
    header = next(it, None)
    if header is None:
        out.error(1, None, "the file is empty: the first row must name the columns")
        return out
    names = header_names(header)
    position = _positions(entity, names, out)
    if out.error_count:
        return out
    seen: dict[tuple[str | None, ...], int] = {}
    refs: dict[str, dict[str, list[int]]] = {col: {} for col in entity.refs}
    numbers: list[int] = []  # the row number of each of out.rows
    for number, raw in enumerate(it, start=2):
        if not any(raw):
            continue  # a blank line
        out.total += 1
        if out.total > max_rows:
            out.error(number, None, f"the file has more than {max_rows} rows; split it")
            out.rows.clear()
            return out
        values, ok = _row(entity, raw, position, number, out)
        key = tuple(values[entity.names.index(c)] for c in entity.key_columns)
        if None not in key:
            if key in seen:
                out.error(number, entity.key, _again(entity, key, seen[key]))
                ok = False
            else:
                seen[key] = number
        for col in entity.refs:
            ref = values[entity.names.index(col)]
            kind = entity.columns[entity.names.index(col)].kind
            for one in split_list(ref, kind) if kind in LIST_KINDS else [ref]:
                if one is not None:
                    refs[col].setdefault(one, []).append(number)
        if ok:
            numbers.append(number)
            out.rows.append(values)
    bad_rows = _check_refs(entity, refs, known, out)
    if conflicts is not None:
        valid = [(n, r) for n, r in zip(numbers, out.rows, strict=True) if n not in bad_rows]
        for number, column, message in conflicts(entity, valid):
            out.error(number, column, message)
            bad_rows.add(number)
    if bad_rows:
        out.rows = [r for n, r in zip(numbers, out.rows, strict=True) if n not in bad_rows]
    out.errors.sort(key=lambda e: e["row"])
    return out


def _again(entity: Entity, key: tuple[str | None, ...], row: int) -> str:
    if len(key) == 1:
        return f"{key[0]!r} is already on row {row}"
    named = " and ".join(f"{c} {v!r}" for c, v in zip(entity.key_columns, key, strict=True))
    return f"{named} are already on row {row}"


def _positions(entity: Entity, names: list[str], out: DryRun) -> dict[str, int]:
    position: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            continue
        if name not in entity.names:
            out.error(1, name, f"unknown column; the columns are {', '.join(entity.names)}")
        elif name in position:
            out.error(
                1, name, f"the column appears twice (columns {position[name] + 1} and {i + 1})"
            )
        else:
            position[name] = i
    for column in entity.columns:
        if column.required and column.name not in position:
            out.error(1, column.name, "missing column (required)")
    return position


def _row(
    entity: Entity, raw: list[str | None], position: dict[str, int], number: int, out: DryRun
) -> tuple[list[str | None], bool]:
    values: list[str | None] = []
    ok = True
    for column in entity.columns:
        i = position.get(column.name)
        value = raw[i] if i is not None and i < len(raw) else None
        if value is not None and value.startswith(_FORMULA_GUARD):
            value = value[1:]  # an exported cell kept as text: import it as it was
        problem = _problem(column, value)
        if problem:
            out.error(number, column.name, problem)
            ok = False
        values.append(_normal(column, value) if not problem else None)
    return values, ok


def _problem(column: Column, value: str | None) -> str | None:
    if value is None:
        return "is empty; this column is required" if column.required else None
    why = text_problem(value)
    if why:
        return why
    if column.max_len is not None and len(value) > column.max_len:
        return f"is {len(value)} characters long; at most {column.max_len}"
    if column.kind in ("email", "user_email"):
        try:
            _email(value)
        except ValidationError:
            return f"{value!r} is not an e-mail address"
    elif column.kind in ("latitude", "longitude"):
        limit = 90 if column.kind == "latitude" else 180
        try:
            number = float(value)
        except ValueError:
            return f"{value!r} is not a number (decimal degrees, e.g. 51.5072)"
        if not -limit <= number <= limit:
            return f"{value} is outside -{limit} to {limit}"
    elif column.kind == "shift":
        try:
            parse_pattern(value)
        except ValueError as exc:
            return str(exc)
    elif column.kind == "language":
        if value.strip().lower() not in {lang.lower() for lang in LANGUAGES}:
            return f"{value!r} is not a language we write in; one of {', '.join(LANGUAGES)}"
    elif column.kind == "quantity":
        try:
            qty = Decimal(value)
        except InvalidOperation:
            return f"{value!r} is not a number"
        if not qty.is_finite() or qty < 0 or qty >= Decimal("1e11"):
            return f"{value} must be a number from 0 to 99,999,999,999"
    return None


def _normal(column: Column, value: str | None) -> str | None:
    if value is None:
        return None
    if column.kind in ("latitude", "longitude"):
        return repr(float(value))
    if column.kind == "quantity":
        return str(Decimal(value).quantize(Decimal("0.001")))
    if column.kind == "user_email":
        return value.strip().lower()  # as the accounts store logins: case-insensitive
    if column.kind in LIST_KINDS:
        return "; ".join(split_list(value, column.kind)) or None
    if column.kind == "shift":
        return format_pattern(parse_pattern(value))
    if column.kind == "language":
        return next(lang for lang in LANGUAGES if lang.lower() == value.strip().lower())
    return value


def _check_refs(
    entity: Entity, refs: dict[str, dict[str, list[int]]], known: Known, out: DryRun
) -> set[int]:
    """Rows naming a record that does not exist: an error each; their row numbers."""
    bad: set[int] = set()
    for col, wanted in refs.items():
        if not wanted:
            continue
        target, table, by = entity.refs[col]
        found = known(table, set(wanted))
        # skills and regions are not imported: they are defined in the app
        advice = f"; import the {target} first" if target in ENTITIES else ""
        for ref in sorted(set(wanted) - found, key=lambda r: wanted[r][0]):
            for number in wanted[ref]:
                out.error(number, col, f"no {target[:-1]} has {by} {ref!r}{advice}")
                bad.add(number)
    return bad
