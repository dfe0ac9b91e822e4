"""The one mechanism for features to react to each other without importing each other.

A hook point is a plain module-level list owned by the feature that calls it (e.g.
``workorders.hooks.after_assign``, ``notify.operations.on_notification``); a feature higher
up registers a function on it from its ``wiring.py``, which ``backend.models`` imports at
start-up. The owner calls ``run`` (or iterates the list when it needs the answers). Hooks run
inside the caller's transaction: they write rows and queue jobs, no I/O. This keeps every
import pointing down the layers (docs/architecture.md#hooks-between-features)."""

from __future__ import annotations

from typing import Any


def register(hooks: list[Any], fn: Any) -> Any:
    """Add ``fn`` once (re-imports during tests must not register twice)."""
    key = (getattr(fn, "__module__", None), getattr(fn, "__qualname__", None))
    if all(
        (getattr(h, "__module__", None), getattr(h, "__qualname__", None)) != key for h in hooks
    ):
        hooks.append(fn)
    return fn


def run(hooks: list[Any], *args: Any) -> None:
    """Call every registered function with ``args``, in registration order."""
    for hook in list(hooks):
        hook(*args)
