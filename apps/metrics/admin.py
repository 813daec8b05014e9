from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.projects.models import Project

from .models import Dashboard
from .views import dashboard_context


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """The figures of every project, for compliance officers (`view_all_metrics`)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("metrics.view_all_metrics")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        context = dashboard_context(request, Project.objects.order_by("name"))
        if isinstance(context, HttpResponse):
            return context
        context.update(self.admin_site.each_context(request), title="Metrics", opts=self.opts)
        return TemplateResponse(request, "admin/metrics/dashboard.html", context)
