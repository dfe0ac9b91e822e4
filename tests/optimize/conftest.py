"""Reuse the dispatcher's engineer factory (profiles are D1's) for optimizer tests."""

from tests.dispatch.conftest import ALWAYS, dispatch_config, make_engineer, profile_of

__all__ = ["ALWAYS", "dispatch_config", "make_engineer", "profile_of"]
