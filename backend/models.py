"""Imports every feature package's ``models`` module (and ``wiring``, which registers its
hooks) so all mappers (and Alembic's metadata)
know every table. Feature packages are discovered, so a new package needs no edit here."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import backend
from backend.db import Base

_ROOT = Path(backend.__file__).parent


def _load() -> list[str]:
    loaded = []
    for info in sorted(pkgutil.iter_modules([str(_ROOT)]), key=lambda i: i.name):
        if not info.ispkg:
            continue
        for module in ("models", "wiring"):
            if (_ROOT / info.name / f"{module}.py").exists():
                importlib.import_module(f"backend.{info.name}.{module}")
                loaded.append(f"{info.name}.{module}")
    return loaded


FEATURES = _load()
metadata = Base.metadata

__all__ = ["FEATURES", "metadata"]
