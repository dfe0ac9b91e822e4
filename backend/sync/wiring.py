"""Imported at start-up by ``backend.models``: registers the change-log flush listener and the
workorders mutations (other features register theirs in their own wiring)."""

from __future__ import annotations

from backend.sync import changelog, mutations

__all__ = ["changelog", "mutations"]
