from django.urls import path

from apps.approvals import views as approval_views

from . import views

urlpatterns = [
    path("gallery/", views.gallery, name="gallery"),
    path("assets/<uuid:pk>/file/", views.asset_file, name="asset-file"),
    path("assets/<uuid:pk>/decide/", approval_views.decide, name="asset-decide"),
]
