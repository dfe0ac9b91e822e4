"""Text PostgreSQL can store: the one rule every input path applies before the database.

PostgreSQL ``text`` and ``jsonb`` cannot hold U+0000, and psycopg cannot encode a lone UTF-16
surrogate (U+D800..U+DFFF: half an emoji, which ``JSON.stringify`` sends as ``"\\ud83d"`` and
Python's JSON decoder keeps as is). Either one reaching the database is a 500 on every retry.
REST refuses such input with a 422 (``backend.api.schemas_common``), the sync push answers the
one mutation ``rejected`` and applies the rest (``backend.sync.apply``), and the public report
form's ``Text`` field says which field to fix: all three call ``problem`` here.

A well-formed surrogate *pair* (``"\\ud83d\\ude00"``) is decoded into one character (😀) and
is fine; only an unpaired half is refused.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError

_BAD = re.compile("[\x00\ud800-\udfff]")

RULE = "text must not contain NUL (U+0000) or a lone UTF-16 surrogate (half an emoji)"


def _describe(text: str, match: re.Match[str]) -> str:
    ch = match.group()
    what = "NUL (U+0000)" if ch == "\x00" else f"a lone UTF-16 surrogate U+{ord(ch):04X}"
    return f"contains {what} at character {match.start() + 1}"


def text_problem(text: str) -> str | None:
    """Why PostgreSQL cannot store ``text`` (``"contains NUL (U+0000) at character 4"``)."""
    match = _BAD.search(text)
    return _describe(text, match) if match else None


def problem(value: Any, path: str = "") -> str | None:
    """The first unstorable text in a JSON-like value (strings, dict keys and values, lists),
    named by its path: ``"body: contains a lone UTF-16 surrogate U+D83D at character 15"``.
    None when every text can be stored."""
    if isinstance(value, str):
        why = text_problem(value)
        return f"{path or 'text'}: {why}" if why else None
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            why = text_problem(key_text)
            if why:
                return f"{path + '.' if path else ''}{_printable(key_text)} (a key): {why}"
            found = problem(item, f"{path}.{key_text}" if path else key_text)
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = problem(item, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def _printable(text: str) -> str:
    """A message that itself can be stored and shown: bad characters as U+FFFD."""
    return _BAD.sub("\ufffd", text)


def scrub(value: Any) -> Any:
    """A storable copy of a JSON-like value, each unstorable character replaced by U+FFFD: for
    keeping a record of what was refused (the phone keeps the original)."""
    if isinstance(value, str):
        return _printable(value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def storable(value: str) -> None:
    """marshmallow validator: refuse text PostgreSQL cannot store, saying where."""
    why = text_problem(value)
    if why:
        raise ValidationError(f"{why}; {RULE}")
