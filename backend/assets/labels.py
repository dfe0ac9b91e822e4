"""QR label sheets: A4 pages of labels in a grid, each with the asset's QR code and, under
it, the asset's name, serial and the URL the code encodes (so a label whose code is scratched
can still be typed in). For printing a site's labels, hundreds at once, on sticker sheets.

The codes are drawn as vector rectangles (one per run of dark modules in a row) straight from
segno's matrix: sharp at any printer resolution, and no image to encode per label. Most of a
label's time is segno choosing the best mask: 500 labels take 4-5 s on a 2-core machine, 23 s
when it is busy (docs/api-keys.md#qr-label-sheets), so large sheets are a job. Text is set
in DejaVu Sans when installed (any script the font covers), else a core font with unknown
characters replaced, and shrunk to fit the label's width, never cut.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import func, select

from backend.assets.models import Asset
from backend.assets.operations import get_site
from backend.assets.qr import make_qr, report_url
from backend.db import db
from backend.errors import Invalid, NotFound

A4_MM = (210.0, 297.0)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
MAX_COLUMNS, MAX_ROWS = 6, 14
# A selection larger than this is refused (422): about 40 pages at the default grid.
MAX_LABELS = 1000
# Rendered in the request up to this many (10-45 ms a label: the QR encoder's choice of mask
# dominates); more go through a job (``POST /assets/labels/jobs``).
MAX_INLINE_LABELS = 48
_LINE_MM = 3.4  # height of one text line under the code
_LINES = 3  # name, serial, URL


@dataclass(frozen=True)
class Label:
    name: str
    serial: str | None
    url: str


@dataclass(frozen=True)
class Grid:
    """Labels per page and their placement on A4 (millimetres)."""

    columns: int = 3
    rows: int = 8
    margin_mm: float = 10.0
    gap_mm: float = 3.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def cell(self) -> tuple[float, float]:
        width = (A4_MM[0] - 2 * self.margin_mm - (self.columns - 1) * self.gap_mm) / self.columns
        height = (A4_MM[1] - 2 * self.margin_mm - (self.rows - 1) * self.gap_mm) / self.rows
        return width, height

    def pages(self, count: int) -> int:
        return max(1, -(-count // self.per_page))


class _Sheet(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        self.set_auto_page_break(auto=False)
        self.set_margins(0, 0, 0)
        self.set_creator("fieldops")
        self.set_title("QR labels")
        regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("dejavu", "", str(regular))
            self.add_font("dejavu", "B", str(bold))
            self.family, self.unicode = "dejavu", True
        else:
            self.family, self.unicode = "helvetica", False

    def fit(self, text: str, style: str, width: float, size: float) -> str:
        """Set the font at ``size`` or smaller (down to 4 pt) so ``text`` fits ``width``."""
        if not self.unicode:
            text = text.encode("latin-1", "replace").decode("latin-1")
        self.set_font(self.family, style, size)
        while size > 4 and self.get_string_width(text) > width:
            size -= 0.5
            self.set_font(self.family, style, size)
        return text

    def code(self, url: str, x: float, y: float, side: float) -> None:
        """The QR code of ``url`` in a ``side`` mm square at (x, y), quiet zone included."""
        qr = make_qr(url)
        border = 2  # modules of quiet zone each side; the label's gap adds to it
        rows = list(qr.matrix)
        module = side / (len(rows) + 2 * border)
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(rows):
            top = y + (r + border) * module
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # A hair taller and wider than a module: no white seams between rectangles.
                left = x + (start + border) * module
                self.rect(left, top, (c - start) * module + 0.01, module + 0.01, style="F")

    def label(self, item: Label, x: float, y: float, width: float, height: float) -> None:
        side = max(8.0, min(width, height - _LINES * _LINE_MM))
        self.code(item.url, x + (width - side) / 2, y, side)
        lines = [
            (item.name, "B", 8.0),
            (f"S/N {item.serial}" if item.serial else "S/N -", "", 7.0),
            (item.url, "", 6.0),
        ]
        top = y + side
        for text, style, size in lines:
            fitted = self.fit(text, style, width, size)
            self.set_xy(x, top)
            self.cell(width, _LINE_MM, fitted, align="C")
            top += _LINE_MM


def select_labels(
    *,
    asset_ids: Sequence[uuid.UUID] | None,
    site_id: uuid.UUID | None,
    base_url: str,
    limit: int,
) -> list[Label]:
    """The labels of the chosen assets, in the order given (repeats dropped), or of a site's
    assets by name. More than ``limit`` is a 422 naming the limit; an unknown asset or site a
    404."""
    if asset_ids is not None:
        wanted = list(dict.fromkeys(asset_ids))
        if len(wanted) > limit:
            raise _too_many(len(wanted), limit)
        found = {a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_(wanted)))}
        missing = [str(i) for i in wanted if i not in found]
        if missing:
            raise NotFound(
                f"no asset {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}",
                errors={"asset_ids": missing[:20]},
            )
        assets = [found[i] for i in wanted]
    else:
        assert site_id is not None  # the schema asks for one of the two
        get_site(site_id)
        count = db.session.scalar(select(func.count()).where(Asset.site_id == site_id)) or 0
        if count > limit:
            raise _too_many(count, limit)
        assets = list(
            db.session.scalars(
                select(Asset).where(Asset.site_id == site_id).order_by(Asset.name, Asset.id)
            )
        )
    return [Label(a.name, a.serial, report_url(a, base_url)) for a in assets]


def _too_many(count: int, limit: int) -> Invalid:
    return Invalid(
        f"{count} labels asked for; at most {limit} per sheet here"
        + ("" if limit == MAX_LABELS else f" (up to {MAX_LABELS}: POST /assets/labels/jobs)"),
        errors={"asset_ids": [f"at most {limit}"]},
        limit=limit,
    )


def render_sheet(
    labels: Sequence[Label], grid: Grid, progress: Callable[[int], None] | None = None
) -> bytes:
    """The PDF: ``grid.pages(len(labels))`` A4 pages, labels left to right, top to bottom;
    ``progress(done)`` is told after each page."""
    sheet = _Sheet()
    width, height = grid.cell
    if not labels:
        sheet.add_page()
    for i, item in enumerate(labels):
        slot = i % grid.per_page
        if slot == 0:
            sheet.add_page()
        row, column = divmod(slot, grid.columns)
        x = grid.margin_mm + column * (width + grid.gap_mm)
        y = grid.margin_mm + row * (height + grid.gap_mm)
        sheet.label(item, x, y, width, height)
        if progress is not None and (slot == grid.per_page - 1 or i == len(labels) - 1):
            progress(i + 1)
    return bytes(sheet.output())
