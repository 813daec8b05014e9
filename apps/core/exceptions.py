"""Domain errors raised by services.

Views translate them at the edge: form errors in the portal, problem+json in
the API. Services never return HTTP responses.
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the operation; `message` is safe to show the user."""

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    """The actor's role in the project does not allow the operation."""
