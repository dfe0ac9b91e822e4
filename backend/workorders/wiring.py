"""Imported at start-up by ``backend.models``: registers workorders' sync mutations."""

from __future__ import annotations

from backend.workorders import sync_mutations

__all__ = ["sync_mutations"]
