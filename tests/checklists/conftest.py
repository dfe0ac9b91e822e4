"""The API tests' fixtures (``api``, fresh rate limits), parts' ``job`` (an engineer working a
ticket) and sync's ``http`` push/pull."""

from __future__ import annotations

from tests.api.conftest import _fresh_rate_limits, api  # noqa: F401 (fixtures)
from tests.parts.conftest import dispatcher, job  # noqa: F401 (fixtures: a job in progress)
from tests.sync.conftest import http  # noqa: F401 (fixture)
