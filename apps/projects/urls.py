from django.urls import include, path

from apps.api import portal as api_portal

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/settings/", views.settings_page, name="settings"),
    path("<slug:slug>/api-keys/", api_portal.api_keys, name="api-keys"),
    path(
        "<slug:slug>/api-keys/<int:pk>/<str:action>/",
        api_portal.api_key_action,
        name="api-key-action",
    ),
    path("<slug:slug>/members/<str:username>/", views.member_change, name="member-change"),
    path("<slug:slug>/templates/", include("apps.prompts.urls")),
    path("<slug:slug>/webhooks/", include("apps.webhooks.urls")),
    path("<slug:slug>/", include("apps.generation.urls")),
    path("<slug:slug>/", include("apps.assets.urls")),
]
