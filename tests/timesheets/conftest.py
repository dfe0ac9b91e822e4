"""Shared with the sync tests: a dispatcher, ``assign``, and HTTP push/pull (``http``)."""

from tests.sync.conftest import assign, dispatcher, http  # noqa: F401
