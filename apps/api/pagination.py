from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class StrictPageSize:
    """A bad `page_size` is an error, not silently the default: the schema says integer."""

    page_size_query_param = "page_size"
    page_size: int
    max_page_size: int

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            size = int(raw[-1])
        except ValueError:
            raise ValidationError({"page_size": "A whole number."}) from None
        return max(1, min(size, self.max_page_size))


class CreatedCursorPagination(StrictPageSize, CursorPagination):
    """Stable under inserts: a CMS paging through assets never sees one twice."""

    ordering = "-created_at"
    page_size = 50
    max_page_size = 200


class SequenceCursorPagination(StrictPageSize, CursorPagination):
    """The audit trail pages in chain order, newest first."""

    ordering = "-sequence"
    page_size = 100
    max_page_size = 1000


class IdCursorPagination(StrictPageSize, CursorPagination):
    """For rows without a creation time: in the order they were made."""

    ordering = "id"
    page_size = 50
    max_page_size = 200
