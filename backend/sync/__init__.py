"""Offline sync (shared/SYNC.md): change log, scoped pull, idempotent push, conflicts."""
