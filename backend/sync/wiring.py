"""Imported at start-up by ``backend.models``: registers the change-log flush listener. Each
feature registers its own sync mutations (workorders, dispatch, media, parts, signoff)."""

from __future__ import annotations

from backend.sync import changelog

__all__ = ["changelog"]
