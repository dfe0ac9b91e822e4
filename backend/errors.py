"""Domain errors raised by operations; the API layer maps them onto HTTP answers.

Operations never know about HTTP, but every error carries the status it deserves so the
mapping is one dictionary lookup, and sync push can turn the same error into a per-mutation
``rejected``/``conflict`` result.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    kind = "error"

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "kind": self.kind}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class Invalid(DomainError):
    status = 422
    kind = "invalid"


class NotFound(DomainError):
    status = 404
    kind = "not_found"


class NotAllowed(DomainError):
    status = 403
    kind = "not_allowed"


class Conflict(DomainError):
    status = 409
    kind = "conflict"


class StaleVersion(Conflict):
    kind = "stale_version"


class InvalidTransition(Conflict):
    kind = "invalid_transition"


class PreconditionFailed(DomainError):
    """A version the client named in a precondition (``If-Match``) is no longer current: the
    HTTP spelling of a stale edit (412), where a stale ``version`` in a body is a 409."""

    status = 412
    kind = "stale_version"


class TooLarge(DomainError):
    status = 413
    kind = "too_large"


class UnsupportedMedia(DomainError):
    status = 415
    kind = "unsupported_media_type"
