from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Stable under inserts: a CMS paging through assets never sees one twice."""

    ordering = "-created_at"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


class SequenceCursorPagination(CursorPagination):
    """The audit trail pages in chain order, newest first."""

    ordering = "-sequence"
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
