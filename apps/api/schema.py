"""OpenAPI generation: every operation documents its problem+json errors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_STATUSES = {
    "400": "Invalid request: field errors under `errors`.",
    "401": "Missing, unknown, expired or revoked credentials.",
    "403": "The role or the API key's scopes do not allow this.",
    "404": "No such object, or one of a project the caller cannot see.",
    "409": "A business rule refused it now (e.g. an illegal review move).",
    "422": "Refused by policy (`rules`), or an Idempotency-Key reused with another body.",
    "429": "Rate limit reached; see Retry-After.",
}


class Problem(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
    rules = serializers.ListField(child=serializers.DictField(), required=False)


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_STATUSES.items():
            if code not in responses:
                body = self._get_response_for_code(Problem, code, ["application/problem+json"])
                body["description"] = description
                responses[code] = body
        return responses
