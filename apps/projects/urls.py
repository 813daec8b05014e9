from django.urls import include, path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/settings/", views.settings_page, name="settings"),
    path("<slug:slug>/members/<str:username>/", views.member_change, name="member-change"),
    path("<slug:slug>/templates/", include("apps.prompts.urls")),
    path("<slug:slug>/", include("apps.generation.urls")),
    path("<slug:slug>/", include("apps.assets.urls")),
]
