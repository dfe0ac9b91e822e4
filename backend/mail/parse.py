# ruff: noqa: RUF001  (Chinese reply prefixes and quote lines use full-width punctuation)
"""Reading an inbound message as a mail service delivers it (raw RFC 5322 bytes): pure, no
database. ``parse`` answers an ``Inbound`` or raises ``Invalid`` (422) naming what is wrong;
it never lets a parser error through as a 500.

The standard library parses (``BytesParser`` with ``policy.default``: RFC 2047 encoded
words such as a Chinese ``Subject`` are decoded, MIME parts walked). Text PostgreSQL cannot
store is repaired where the sender clearly meant UTF-8 (raw 8-bit headers, RFC 6532) and
refused otherwise, like every other input path (``backend.pgtext``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser

from backend.errors import Invalid
from backend.pgtext import text_problem

MESSAGE_KEY_MAX = 300
_MSG_ID = re.compile(r"<[^<>\s]{1,300}>")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|答复|回复|转发)\s*[:：]\s*)+", re.IGNORECASE)
_QUOTE_HEADER = re.compile(r"^(On .+ wrote:|.+写道：?|-+\s*Original Message\s*-+)\s*$")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Inbound:
    key: str  # the Message-ID, or "sha256:<hex>" of the bytes when it has none
    sender: str  # the From address, lower-cased
    sender_name: str
    subject: str
    text: str
    references: tuple[str, ...]  # In-Reply-To and References, in order
    language: str  # "en" | "zh-CN"
    attachments: tuple[Attachment, ...] = field(default=())
    others: tuple[str, ...] = field(default=())  # parts we do not take (named for the answer)
    # An auto-reply, a bounce or a list mail (RFC 3834): never a report or a reply.
    automatic: bool = False


def _refuse(message: str, field_name: str = "message") -> Invalid:
    return Invalid(message, errors={field_name: [message]})


def _storable(value: str, what: str) -> str:
    """``value`` as text PostgreSQL can store. A header with raw 8-bit bytes comes back from
    the parser as surrogate escapes: UTF-8 (what RFC 6532 allows) is decoded, anything else
    is refused with a 422 naming the part."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        try:
            value = value.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeError as exc:
            raise _refuse(f"{what} is not valid UTF-8 and declares no charset", what) from exc
    why = text_problem(value)
    if why:
        raise _refuse(f"{what}: {why}", what)
    return value


class _HtmlText(HTMLParser):
    """The visible text of an HTML-only message (no scripts, no styles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(lines).strip()


def _content(part: Message) -> str:
    """A text part's content; an unknown or lying charset is read as UTF-8 with
    replacement characters rather than refused (the words matter more than the bytes)."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body_text(msg: EmailMessage) -> tuple[str, Message | None]:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", None
    text = _content(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return text, body


def strip_quoted(text: str) -> str:
    """A reply's own words: the quoted message below (``>`` lines and the "On ... wrote:" line
    before them) is what we sent, not news."""
    kept: list[str] = []
    for line in text.splitlines():
        if line.startswith(">"):
            continue
        if _QUOTE_HEADER.match(line.strip()):
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def clean_subject(subject: str) -> str:
    return _REPLY_PREFIX.sub("", " ".join(subject.split())).strip()


def _language(msg: EmailMessage, subject: str, text: str) -> str:
    declared = str(msg.get("Content-Language", "") or "").strip().lower()
    if declared.startswith("zh"):
        return "zh-CN"
    if declared.startswith("en"):
        return "en"
    return "zh-CN" if _CJK.search(subject) or _CJK.search(text[:2000]) else "en"


def _parts(
    msg: EmailMessage, body: Message | None, max_photos: int
) -> tuple[list[Attachment], list[str]]:
    """Images (attached or inline) become photo candidates, up to ``max_photos``; every other
    attachment is named in ``others`` (and the answer), never silently dropped."""
    images: list[Attachment] = []
    others: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        maintype = part.get_content_maintype()
        filename = _storable(part.get_filename() or "", "attachment filename")[:200]
        disposition = part.get_content_disposition()
        if maintype == "text" and disposition != "attachment":
            continue  # the alternative of the body (the HTML beside the plain text)
        if maintype == "image":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data and len(images) < max_photos:
                images.append(Attachment(filename, part.get_content_type(), data))
            else:
                others.append(filename or part.get_content_type())
        else:
            others.append(filename or part.get_content_type())
    return images, others


def _addresses(msg: EmailMessage) -> tuple[str, str]:
    header = msg.get("From")
    addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()) or ())
    if len(addresses) != 1:
        raise _refuse("the message needs exactly one From address", "from")
    address = addresses[0]
    addr = (address.addr_spec or "").strip().lower()
    if "@" not in addr or not address.username or not address.domain or len(addr) > 254:
        raise _refuse("the From address is not an email address", "from")
    return _storable(addr, "from"), _storable(address.display_name or "", "from")[:200]


def message_key(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or (none, or absurdly long) the sha256 of the bytes: a mail service
    retrying a delivery sends the same either way."""
    value = " ".join(str(msg.get("Message-ID", "") or "").split())
    found = _MSG_ID.search(value)
    if found and len(found.group()) <= MESSAGE_KEY_MAX and not text_problem(found.group()):
        return found.group()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


_DAEMONS = ("mailer-daemon@", "postmaster@")


def is_automatic(msg: EmailMessage, sender: str) -> bool:
    """Out-of-office answers, bounces and bulk mail (``Auto-Submitted`` other than ``no``,
    ``Precedence: bulk|junk|list|auto_reply``, a mailer daemon as sender). Taking them as a
    customer's words would put "I am out of office" on a ticket, and answering a bounce with
    more email can loop."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    return (
        (bool(auto) and auto != "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or sender.startswith(_DAEMONS)
        or msg.get_content_type() == "multipart/report"
    )


def references(msg: EmailMessage) -> tuple[str, ...]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids.extend(_MSG_ID.findall(str(msg.get(name, "") or "")))
    return tuple(dict.fromkeys(ids))[:50]


def parse(raw: bytes, *, max_photos: int) -> Inbound:
    if not raw.strip():
        raise _refuse("the message is empty")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        if not isinstance(msg, EmailMessage) or not msg.keys():
            raise _refuse("this is not an email message: it has no headers")
        sender, name = _addresses(msg)
        subject = _storable(str(msg.get("Subject", "") or ""), "subject")
        text, body = _body_text(msg)
        text = _storable(text, "body")
        images, others = _parts(msg, body, max_photos)
        return Inbound(
            key=message_key(msg, raw),
            sender=sender,
            sender_name=name,
            subject=" ".join(subject.split())[:998],
            text=text.replace("\r\n", "\n").strip(),
            references=references(msg),
            language=_language(msg, subject, text),
            attachments=tuple(images),
            others=tuple(others),
            automatic=is_automatic(msg, sender),
        )
    except Invalid:
        raise
    except Exception as exc:  # the parser on hostile input: a 422, never a 500
        raise _refuse(f"the message could not be read ({exc.__class__.__name__})") from exc
