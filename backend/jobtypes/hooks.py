"""Checks other features add to a job type's definition, so this package imports none of them.

``definition_checks``: ``check(content)`` with the version's content (``CONTENT_FIELDS``),
raising ``Invalid`` naming the field: dispatch knows the skill codes, parts the part ids and
signoff the completion rules. Run by ``operations`` on create and on every edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from backend.hooks import register, run

DefinitionCheck = Callable[[Mapping[str, Any]], Any]

definition_checks: list[DefinitionCheck] = []

__all__ = ["definition_checks", "register", "run"]
