"""Booking tests use the REST helpers (``api``, ``staff``) and the dispatch fixtures
(``make_engineer``)."""

from tests.api.conftest import _fresh_rate_limits, admin, api, staff
from tests.dispatch.conftest import dispatch_config, make_engineer
from tests.public.conftest import _server_rendered_pages

__all__ = [
    "_fresh_rate_limits",
    "_server_rendered_pages",
    "admin",
    "api",
    "dispatch_config",
    "make_engineer",
    "staff",
]
