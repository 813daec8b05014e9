from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from apps.assets import share_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("accounts/", include("apps.accounts.urls")),
    path("projects/", include("apps.projects.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("apps.api.urls")),
    path("s/<str:token>/", share_views.share_page, name="share-page"),
    path("s/<str:token>/file/", share_views.share_file, name="share-file"),
]
