"""The service report PDF (fpdf2): ticket, customer, site, asset, timeline, notes, parts,
photo thumbnails and the signature.

Generated once per state of the ticket and cached in media storage, tagged with a fingerprint
of everything the report shows (the ticket's version plus count and latest change of each
child collection); an unchanged ticket is served from the cache. Both copies are rendered by a
job when the job is completed (``signoff.tasks``), so the download is normally a storage
read; a copy that is missing or stale is rendered on the spot, after the request's reads
have ended (no transaction is open while fpdf2 works).

Text is set in DejaVu Sans (Latin, Greek, Cyrillic...) with Noto Sans CJK as a fallback,
loaded only when the text needs it (the font is large), so customer names in Chinese render
as glyphs. Without those fonts the report falls back to a core font and replaces what it
cannot encode rather than failing.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from flask import has_app_context
from fpdf import FPDF
from sqlalchemy import func, select

from backend.accounts.models import User
from backend.assets.models import Asset, Customer, Site
from backend.checklists.models import ChecklistAnswer
from backend.checklists.operations import checklists_of, values
from backend.config import settings
from backend.db import db, release_read
from backend.jobtypes.checklist import answer_text, items_of
from backend.media.models import Photo
from backend.parts.queries import usages_with_parts
from backend.signoff import storage
from backend.signoff.models import Signoff
from backend.signoff.operations import accepted_signoff
from backend.workorders.models import Note, Ticket, TicketEvent
from backend.workorders.operations import list_events, list_notes

LAYOUT_VERSION = 4  # bump when the layout changes: every cached report is regenerated
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
MAX_PHOTOS = 12
_CACHE_MAGIC = b"fieldops-report "


@dataclass
class ReportData:
    ticket: Ticket
    customer: Customer | None
    site: Site | None
    asset: Asset | None
    events: list[tuple[TicketEvent, str]]
    notes: list[tuple[Note, str]]
    parts: list[tuple[str, str, str, str]]  # sku, name, quantity, unit
    photos: list[tuple[str, bytes]]  # caption, thumbnail bytes
    signoff: Signoff | None
    signature_png: bytes | None
    engineer: str | None
    audience: Audience = "staff"
    extra: dict[str, Any] = field(default_factory=dict)
    # The checklist (job type name and version), and its rows: item label, answer, result.
    # The customer's copy lists only the failed items' labels (answers are not theirs).
    checklist_title: str | None = None
    checklist: list[tuple[str, str, str]] = field(default_factory=list)


# --- cache ---------------------------------------------------------------------------------


def fingerprint(ticket: Ticket) -> str:
    """Changes whenever anything the report shows changes."""
    parts: list[Any] = [LAYOUT_VERSION, ticket.id, ticket.version, ticket.updated_at]
    for model, stamp in (
        (TicketEvent, TicketEvent.at),
        (Note, Note.updated_at),
        (Signoff, Signoff.updated_at),
        (ChecklistAnswer, ChecklistAnswer.answered_at),
    ):
        parts.extend(
            db.session.execute(
                select(func.count(), func.max(stamp)).where(model.ticket_id == ticket.id)
            ).one()
        )
    parts.extend(
        db.session.execute(
            select(func.count(), func.max(Photo.updated_at)).where(Photo.ticket_id == ticket.id)
        ).one()
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


Audience = Literal["staff", "customer"]


def service_report(ticket: Ticket, audience: Audience = "staff") -> tuple[bytes, str]:
    """The report for the ticket's current state, from the cache or freshly made, and its
    ETag (returned together: the fingerprint behind both costs four queries). The
    ``customer`` copy (the public download) holds only what the customer needs: notes the
    engineer marked for the customer, and the status changes without who made them or why
    (staff names and internal reasons are not the customer's business)."""
    # One cached file per ticket and audience, replaced when the state changes (a key per
    # state would keep every superseded PDF forever). The state it was made for is its first
    # line, in the same object, so a reader can never pair one state's tag with another's PDF.
    key = f"reports/{ticket.id}/{audience}.pdf"
    etag = f"{fingerprint(ticket)}-{audience}"  # the two copies are different documents
    tag = _CACHE_MAGIC + etag.encode()
    cached = storage.get(key)
    if cached is not None:
        head, _, pdf = cached.partition(b"\n")
        if head == tag:
            return pdf, etag
    data = collect(ticket, audience)
    release_read(expire=False)  # render and put with no transaction open
    pdf = render(data)
    storage.replace(key, tag + b"\n" + pdf, "application/octet-stream")
    return pdf, etag


# --- data ----------------------------------------------------------------------------------


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def collect(ticket: Ticket, audience: Audience = "staff") -> ReportData:
    site = db.session.get(Site, ticket.site_id) if ticket.site_id else None
    asset = db.session.get(Asset, ticket.asset_id) if ticket.asset_id else None
    customer = db.session.get(Customer, site.customer_id) if site else None
    events = list_events(ticket)
    notes = list_notes(ticket)
    if audience == "customer":
        events = [e for e in events if e.from_status != e.to_status]
        notes = [n for n in notes if n.customer_visible]
    names = _names(
        {e.actor_id for e in events} | {n.author_id for n in notes} | {ticket.assignee_id}
    )
    signoff = accepted_signoff(ticket.id)
    title, rows = _checklist_rows(ticket, audience)
    return ReportData(
        ticket=ticket,
        customer=customer,
        site=site,
        asset=asset,
        events=[(e, names.get(e.actor_id, "system") if e.actor_id else "system") for e in events],
        notes=[(n, names.get(n.author_id, "") if n.author_id else "") for n in notes],
        parts=[
            (p.sku, p.name, f"{u.quantity.normalize():f}", p.unit)
            for u, p in usages_with_parts(ticket.id)
        ],
        photos=_thumbnails(ticket.id),
        signoff=signoff,
        signature_png=storage.get(signoff.signature_key) if signoff else None,
        engineer=names.get(ticket.assignee_id) if ticket.assignee_id else None,
        audience=audience,
        checklist_title=title,
        checklist=rows,
    )


def _checklist_rows(
    ticket: Ticket, audience: Audience
) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The checklist's title and rows: every shown item for staff (label, answer, result);
    for the customer only the failed items, by label."""
    found = checklists_of([ticket]).get(ticket.id)
    if found is None:
        return None, []
    title = f"{found.version.name} (version {found.version.number})"
    if audience == "customer":
        return title, [(f["label"], "", "failed") for f in found.failed_items()]
    answers = values(found.answers)
    failed = set(found.evaluation.failed)
    rows = []
    for item in items_of(found.version.checklist):
        key = item["key"]
        if key not in found.evaluation.visible:
            continue
        answered = key in answers
        result = "failed" if key in failed else ("ok" if answered else "")
        text = answer_text(item, answers[key]) if answered else "-"
        rows.append((item["label"], text, result))
    return title, rows


def _thumbnails(ticket_id: uuid.UUID) -> list[tuple[str, bytes]]:
    stmt = (
        select(Photo)
        .where(Photo.ticket_id == ticket_id, Photo.processing == "ready")
        .order_by(Photo.created_at)
        .limit(MAX_PHOTOS)
    )
    out = []
    for p in db.session.scalars(stmt):
        thumb = (p.renditions or {}).get("thumb") or {}
        data = storage.get(thumb["key"]) if thumb.get("key") else None
        if data:
            when = p.captured_at or p.created_at
            out.append((f"{'Customer' if p.origin == 'public' else 'Engineer'}, {_dt(when)}", data))
    return out


# --- rendering -----------------------------------------------------------------------------


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _font_dir() -> Path:
    configured = settings().REPORT_FONT_DIR if has_app_context() else None
    return Path(configured) if configured else DEJAVU_DIR


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        self.family = "helvetica"
        self.unicode = False
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_creator("fieldops")

    def use_fonts(self, text_sample: str) -> None:
        regular, bold = _font_dir() / "DejaVuSans.ttf", _font_dir() / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("dejavu", "", str(regular))
            self.add_font("dejavu", "B", str(bold))
            self.family, self.unicode = "dejavu", True
            if CJK_FONT.is_file() and any(ord(ch) >= 0x2E80 for ch in text_sample):
                self.add_font("notocjk", "", str(CJK_FONT), collection_font_number=0)
                self.add_font("notocjk", "B", str(CJK_FONT), collection_font_number=0)
                self.set_fallback_fonts(["notocjk"])

    def text_ok(self, text: str) -> str:
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.family, "B", 9)
        self.set_text_color(100)
        self.cell(0, 6, self.text_ok(self.report_title), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(120)
        self.cell(0, 6, f"Page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.family, "B", 12)
        self.cell(0, 8, self.text_ok(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def line_text(self, text: str, size: int = 10, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.multi_cell(0, 5.5, self.text_ok(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def pairs(self, rows: list[tuple[str, str | None]]) -> None:
        for label, value in rows:
            if value in (None, ""):
                continue
            self.set_font(self.family, "B", 10)
            self.cell(38, 5.5, self.text_ok(label))
            self.set_font(self.family, "", 10)
            self.multi_cell(0, 5.5, self.text_ok(str(value)), new_x="LMARGIN", new_y="NEXT")

    def grid(
        self, header: tuple[str, ...], rows: Sequence[Sequence[str]], widths: tuple[float, ...]
    ) -> None:
        self.set_font(self.family, "", 9)
        with self.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
            head = table.row()
            for h in header:
                head.cell(h)
            for r in rows:
                row = table.row()
                for value in r:
                    row.cell(self.text_ok(value))
        self.set_font(self.family, "", 10)


def _all_text(data: ReportData) -> str:
    t = data.ticket
    bits = [t.title, t.description or "", t.contact_name or "", data.engineer or ""]
    for obj in (data.customer, data.site, data.asset):
        if obj is not None:
            bits.append(getattr(obj, "name", "") or "")
            bits.append(getattr(obj, "address", "") or "")
    bits += [n.body for n, _ in data.notes] + [a for _, a in data.notes]
    bits += [e.reason or "" for e, _ in data.events] + [a for _, a in data.events]
    bits += [" ".join(p) for p in data.parts]
    bits += [" ".join(row) for row in data.checklist] + [data.checklist_title or ""]
    if data.signoff is not None:
        bits += [data.signoff.signer_name, data.signoff.comment or ""]
    return "\n".join(bits)


def render(data: ReportData) -> bytes:
    t = data.ticket
    pdf = _Report(f"Service report {t.number}")
    pdf.use_fonts(_all_text(data))
    pdf.set_font(pdf.family, "", 10)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font(pdf.family, "B", 18)
    pdf.multi_cell(0, 9, pdf.text_ok(f"{t.number}: {t.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 10)
    pdf.pairs(
        [
            ("Status", t.status),
            ("Priority", t.priority),
            ("Opened", _dt(t.created_at)),
            ("Resolved", _dt(t.resolved_at) if t.resolved_at else None),
            ("Engineer", data.engineer),
            ("Description", t.description),
        ]
    )
    pdf.heading("Customer and place")
    pdf.pairs(
        [
            ("Customer", data.customer.name if data.customer else None),
            ("Contact", ", ".join(x for x in (t.contact_name, t.contact_phone) if x) or None),
            ("Site", data.site.name if data.site else None),
            ("Address", data.site.address if data.site else None),
            ("Asset", data.asset.name if data.asset else None),
            (
                "Model / serial",
                " / ".join(x for x in (data.asset.model, data.asset.serial) if x)
                if data.asset
                else None,
            ),
        ]
    )

    pdf.heading("Timeline")
    rows = []
    for event, actor in data.events:
        if event.from_status is None:
            change = event.to_status or ""
        elif event.from_status != event.to_status:
            change = f"{event.from_status} -> {event.to_status}"
        else:
            change = ""
        when = event.at.strftime("%Y-%m-%d %H:%M")
        rows.append((when, event.action, change, actor, event.reason or ""))
    if data.audience == "customer":
        pdf.grid(("When (UTC)", "Action", "Status"), [r[:3] for r in rows], (45, 60, 65))
    else:
        pdf.grid(("When (UTC)", "Action", "Status", "By", "Reason"), rows, (33, 24, 40, 35, 38))

    if data.notes:
        pdf.heading("Notes")
        for note, author in data.notes:
            pdf.line_text(f"{_dt(note.created_at)} - {author}", size=9, bold=True)
            pdf.line_text(note.body)

    if data.checklist_title is not None:
        pdf.heading(f"Checklist: {data.checklist_title}")
        if data.audience == "customer":
            if data.checklist:
                pdf.line_text("Items that failed the check:")
                for label, _, _ in data.checklist:
                    pdf.line_text(f"- {label}")
            else:
                pdf.line_text("No item failed the check.")
        else:
            pdf.grid(("Item", "Answer", "Result"), data.checklist, (75, 75, 20))

    pdf.heading("Parts used")
    if data.parts:
        pdf.grid(("SKU", "Part", "Quantity", "Unit"), data.parts, (35, 85, 25, 25))
    else:
        pdf.line_text("No parts used.")

    if data.photos:
        if pdf.will_page_break(75):  # keep the heading with the first row of photos
            pdf.add_page()
        pdf.heading("Photos")
        _photo_grid(pdf, data.photos)

    if pdf.will_page_break(80):  # keep the sign-off block (and its image) together
        pdf.add_page()
    pdf.heading("Customer sign-off")
    s = data.signoff
    if s is None:
        pdf.line_text("Not signed.")
    else:
        pdf.pairs(
            [
                ("Signed by", s.signer_name),
                ("Signed at", _dt(s.signed_at)),
                ("Rating", f"{s.rating} / 5" if s.rating else None),
                ("Comment", s.comment),
            ]
        )
        if data.signature_png:
            pdf.image(io.BytesIO(data.signature_png), w=90)
    return bytes(pdf.output())


def _photo_grid(pdf: _Report, photos: list[tuple[str, bytes]]) -> None:
    cell_w, img_h, gap = 58.0, 44.0, 4.0
    x0 = pdf.l_margin
    for i, (caption, data) in enumerate(photos):
        col = i % 3
        if col == 0:
            if pdf.will_page_break(img_h + 10):
                pdf.add_page()
            y = pdf.get_y()
        x = x0 + col * (cell_w + gap)
        try:
            pdf.image(io.BytesIO(data), x=x, y=y, h=img_h, keep_aspect_ratio=True, w=cell_w)
        except Exception:  # a damaged thumbnail must not cost the customer the report
            continue
        pdf.set_xy(x, y + img_h + 1)
        pdf.set_font(pdf.family, "", 7)
        pdf.cell(cell_w, 4, pdf.text_ok(caption))
        if col == 2 or i == len(photos) - 1:
            pdf.set_xy(x0, y + img_h + 7)
    pdf.set_font(pdf.family, "", 10)
