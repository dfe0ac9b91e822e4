"""Bytes of signatures and cached reports, through the media storage interface.

The media feature's ``get_storage()`` (filesystem or S3) is used when it is installed; the
fallback writes under ``MEDIA_ROOT`` so sign-off never depends on photo support being
deployed. Keys are content-addressed or versioned, so a write is never an overwrite of
something a reader may hold.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from flask import current_app


class Blobs(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...


class _MediaRootFiles:
    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def blobs() -> Blobs:
    try:
        from backend.media.storage import get_storage
    except ImportError:  # media feature not installed: plain files under MEDIA_ROOT
        return _MediaRootFiles(str(current_app.config.get("MEDIA_ROOT") or "./var/media"))
    return get_storage()


def put(key: str, data: bytes, content_type: str) -> None:
    store = blobs()
    if not store.exists(key):
        store.put(key, data, content_type)


def get(key: str) -> bytes | None:
    store = blobs()
    try:
        return store.get(key)
    except Exception:  # missing object (NotFound, FileNotFoundError, S3 NoSuchKey)
        return None
