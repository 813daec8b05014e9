"""Admin edits leave audit events, not only Django's own (editable, unchained) LogEntry rows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models.fields.files import FieldFile
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest

from .models import Action
from .services import audit_record

# Values of fields whose name matches are never written to the trail.
_SECRET_FIELD = re.compile(r"password|secret|token|private", re.IGNORECASE)


def _plain(value: Any) -> Any:
    """Something JSON can hold, readable by a person looking at the trail."""
    if isinstance(value, models.Model):
        return {"id": str(value.pk), "label": str(value)}
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _project_of(obj: models.Model) -> Any:
    from apps.projects.models import Project

    if isinstance(obj, Project):
        return obj
    project = getattr(obj, "project", None)
    return project if isinstance(project, Project) else None


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes "admin.add" / "admin.change" / "admin.delete" events beside Django's LogEntry.

    The admin calls these hooks inside the transaction that saves or deletes
    the object (except the bulk "delete selected" action, which Django runs
    without one), so the event commits with the change. Changed field values
    are recorded as before/after, except fields that look like secrets or are
    listed in `audit_exclude_fields`.
    """

    audit_exclude_fields: tuple[str, ...] = ()

    def _audit_field_changes(self, form: BaseForm) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in form.changed_data:
            if name in self.audit_exclude_fields or _SECRET_FIELD.search(name):
                changes[name] = "(not recorded)"
                continue
            changes[name] = {
                "before": _plain(form.initial.get(name)),
                "after": _plain(form.cleaned_data.get(name)),
            }
        return changes

    def construct_change_message(
        self,
        request: HttpRequest,
        form: BaseForm,
        formsets: Iterable[BaseFormSet[Any]] | None,
        add: bool = False,
    ) -> list[dict[str, Any]]:
        # The change hooks only receive the message; keep the form's values for them.
        request._audit_field_changes = self._audit_field_changes(form)  # type: ignore[attr-defined]
        return super().construct_change_message(request, form, formsets, add)  # type: ignore[arg-type]

    def _audit(self, request: HttpRequest, action: str, obj: models.Model, message: Any) -> None:
        payload: dict[str, Any] = {"change_message": message}
        changes = getattr(request, "_audit_field_changes", None)
        if changes and action != Action.ADMIN_DELETE:
            payload["fields"] = changes
        user = request.user if request.user.is_authenticated else None
        audit_record(
            actor=user,
            action=action,
            target=obj,
            project=_project_of(obj),
            payload=payload,
        )

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._audit(request, Action.ADMIN_ADD, obj, message)
        return entry

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self._audit(request, Action.ADMIN_CHANGE, obj, message)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        """Django 5.1+ logs deletions here (log_deletion is deprecated and only
        called when a subclass overrides it); called before the rows go."""
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._audit(request, Action.ADMIN_DELETE, obj, "")
        return entries
