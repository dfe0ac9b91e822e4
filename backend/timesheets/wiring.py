"""Loads the time-sheet sync mutation into the registry (imported by ``backend.models``)."""

from backend.timesheets import sync_mutations  # noqa: F401
