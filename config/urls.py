from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.assets import share_views
from apps.metrics.prometheus import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("accounts/", include("apps.accounts.urls")),
    path("projects/", include("apps.projects.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("metrics", metrics_view),  # Prometheus' default metrics_path, no redirect
    path("metrics/", include("apps.metrics.urls")),
    path("s/<str:token>/", share_views.share_page, name="share-page"),
    path("s/<str:token>/file/", share_views.share_file, name="share-file"),
]


def handler404(request, exception):  # type: ignore[no-untyped-def]
    """API clients get problem+json for unknown URLs too; people get the page."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        body = {
            "type": "https://imprimatur.example/problems/not-found",
            "title": "Not found",
            "status": 404,
            "detail": "No such object.",
        }
        return JsonResponse(body, status=404, content_type="application/problem+json")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)
