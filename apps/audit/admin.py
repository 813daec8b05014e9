"""The audit trail for compliance officers: read-only list, detail, export, verification.

Access is the standard model permission `audit.view_auditevent` (superusers
have it). Nobody can add, change or delete events here, whatever their
permissions: the only writer is `services.audit_record`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from . import chain
from .models import Action, AuditEvent
from .services import audit_record
from .verify import verify_chain

EXPORT_CHUNK_SIZE = 2000

# Column order of both exports. The names are the hashed fields' names, so an
# auditor can recompute every hash from an export without the database.
EXPORT_COLUMNS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "project_id",
    "project_slug",
    "request_id",
    "ip",
    "user_agent",
    "payload",
    "prev_hash",
    "hash",
)
_EXPORT_SOURCE = tuple(
    {"actor_id": "recorded_actor_id", "project_id": "recorded_project_id"}.get(c, c)
    for c in EXPORT_COLUMNS
)
# Spreadsheets run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class CreatedBetweenFilter(admin.FieldListFilter):
    """A from/to date range (UTC, both days included) on top of date_hierarchy's drill-down."""

    template = "admin/audit/created_between_filter.html"

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: dict[str, Any],
        model: type[Model],
        model_admin: admin.ModelAdmin,
        field_path: str,
    ) -> None:
        self.lookup_from = f"{field_path}__gte"
        self.lookup_to = f"{field_path}__lt"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "created between (UTC)"

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_from, self.lookup_to]

    def _value(self, name: str) -> str:
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else ""
        return str(value or "")

    @staticmethod
    def _day(text: str) -> dt.datetime:
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError as exc:
            raise IncorrectLookupParameters(f"Not a date: {text!r}") from exc
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)

    def queryset(self, request: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
        start, end = self._value(self.lookup_from), self._value(self.lookup_to)
        if start:
            queryset = queryset.filter(**{self.lookup_from: self._day(start)})
        if end:
            queryset = queryset.filter(**{self.lookup_to: self._day(end) + dt.timedelta(days=1)})
        return queryset

    def choices(self, changelist: Any) -> Iterator[Any]:
        own = set(self.expected_parameters())
        yield {
            "from": self._value(self.lookup_from),
            "to": self._value(self.lookup_to),
            "lookup_from": self.lookup_from,
            "lookup_to": self.lookup_to,
            "hidden": [(k, v) for k, v in changelist.params.items() if k not in own],
            "reset_url": changelist.get_query_string(remove=list(own)),
        }


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """csv.writer wants a file; this one hands each line straight back."""

    def write(self, value: str) -> str:
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "sequence",
        "created_at",
        "actor_username",
        "action",
        "target_type",
        "target_label",
        "project_slug",
        "ip",
    ]
    list_display_links = ["sequence"]
    list_filter = [
        ("created_at", CreatedBetweenFilter),
        "action",
        "actor_username",
        "project_slug",
        "target_type",
    ]
    search_fields = ["actor_username", "target_label", "=target_id", "=request_id", "project_slug"]
    date_hierarchy = "created_at"
    ordering = ["-sequence"]
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER
    actions = None
    fieldsets = [
        (None, {"fields": ["sequence", "created_at", "action"]}),
        ("Who", {"fields": ["actor_username", "recorded_actor_id", "ip", "user_agent"]}),
        (
            "What",
            {
                "fields": [
                    "target_type",
                    "target_id",
                    "target_label",
                    "project_slug",
                    "recorded_project_id",
                ]
            },
        ),
        ("Details", {"fields": ["payload_pretty", "request_id"]}),
        ("Chain", {"fields": ["prev_hash", "hash"]}),
    ]
    readonly_fields = [
        "sequence",
        "created_at",
        "action",
        "actor_username",
        "recorded_actor_id",
        "ip",
        "user_agent",
        "target_type",
        "target_id",
        "target_label",
        "project_slug",
        "recorded_project_id",
        "payload_pretty",
        "request_id",
        "prev_hash",
        "hash",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="payload")
    def payload_pretty(self, obj: AuditEvent) -> str:
        text = json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "export/<str:fmt>/",
                wrap(require_POST(self.export_view)),
                name="audit_auditevent_export",
            ),
            path(
                "verify/",
                wrap(require_http_methods(["GET", "POST"])(self.verify_view)),
                name="audit_auditevent_verify",
            ),
            *super().get_urls(),
        ]

    def _require_view(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
        """Stream the rows the change list currently shows (its filters, search and
        date drill-down; all pages), oldest first, as CSV or JSON Lines.

        The "audit.export" event is written before streaming starts, with the
        filter and format; the row count is not known until the end.
        """
        self._require_view(request)
        if fmt not in ("csv", "jsonl"):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:audit_auditevent_changelist"))
        rows = (
            changelist.get_queryset(request)
            .order_by("sequence")
            .values_list(*_EXPORT_SOURCE)
            .iterator(chunk_size=EXPORT_CHUNK_SIZE)
        )
        query = {k: v[0] if len(v) == 1 else v for k, v in request.GET.lists()}
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action=Action.AUDIT_EXPORT,
            payload={"format": fmt, "filter": query},
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        if fmt == "csv":
            body: Iterator[str] = self._csv_lines(rows)
            content_type = "text/csv; charset=utf-8"
        else:
            body = self._jsonl_lines(rows)
            content_type = "application/x-ndjson; charset=utf-8"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
        return response

    @staticmethod
    def _record(row: tuple[Any, ...]) -> dict[str, Any]:
        record = dict(zip(EXPORT_COLUMNS, row, strict=True))
        record["created_at"] = chain.format_timestamp(record["created_at"])
        return record

    def _csv_lines(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
        """Cells that a spreadsheet would run as a formula get a leading apostrophe;
        the JSON Lines export is the exact one."""
        writer = csv.writer(_Echo())
        yield writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            record = self._record(row)
            record["payload"] = chain.canonical_json(record["payload"])
            yield writer.writerow([_csv_cell(record[c]) for c in EXPORT_COLUMNS])

    def _jsonl_lines(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
        for row in rows:
            yield json.dumps(self._record(row), ensure_ascii=False) + "\n"

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """GET shows the button; POST recomputes the chain and records that it was checked."""
        self._require_view(request)
        result = None
        if request.method == "POST":
            result = verify_chain()
            audit_record(
                actor=request.user,  # type: ignore[arg-type]
                action=Action.AUDIT_VERIFY,
                payload={
                    "ok": result.ok,
                    "checked": result.checked,
                    "first_bad_sequence": result.first_bad_sequence,
                    "problem": str(result.kind or ""),
                    "detail": result.problem,
                    "seconds": round(result.seconds, 3),
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Verify the audit chain",
            "result": result,
        }
        return TemplateResponse(request, "admin/audit/auditevent/verify.html", context)
