"""Bytes of signatures and cached reports, through the media storage interface.

The media feature's ``get_storage()`` (filesystem or S3) holds them beside the photos. Keys
are content-addressed or versioned, so a write never overwrites something a reader may hold;
the report cache is the exception, replaced atomically (``replace``) so it stays one file per
ticket and audience.
"""

from __future__ import annotations

from typing import Protocol

from backend.media.storage import get_storage


class Blobs(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...


def blobs() -> Blobs:
    return get_storage()


def put(key: str, data: bytes, content_type: str) -> None:
    store = blobs()
    if not store.exists(key):
        store.put(key, data, content_type)


def replace(key: str, data: bytes, content_type: str) -> None:
    """Overwrite ``key`` (both storages replace an object atomically: a reader gets the old
    bytes or the new ones, never a mix). For caches that must not grow with every change."""
    blobs().put(key, data, content_type)


def get(key: str) -> bytes | None:
    store = blobs()
    try:
        return store.get(key)
    except Exception:  # missing object (NotFound, FileNotFoundError, S3 NoSuchKey)
        return None
