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


class PolicyRefused(ApplicationError):
    """The policy gate refused; `rules` say which rules fired and what to change.

    Neither the message nor the rules quote the refused text.
    """

    def __init__(self, message: str, *, rules: list[dict[str, str]], decision_id: str) -> None:
        super().__init__(message, extra={"rules": rules, "decision": decision_id})
        self.rules = rules
        self.decision_id = decision_id
