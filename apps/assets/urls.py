from django.urls import path

from apps.approvals import views as approval_views
from apps.generation import views as generation_views

from . import views

urlpatterns = [
    path("gallery/", views.gallery, name="gallery"),
    path("review/", views.review_queue, name="review-queue"),
    path("compare/", views.compare, name="compare"),
    path("assets/<uuid:pk>/file/", views.asset_file, name="asset-file"),
    path("assets/<uuid:pk>/submit/", approval_views.submit, name="asset-submit"),
    path("assets/<uuid:pk>/decide/", approval_views.decide, name="asset-decide"),
    path("assets/<uuid:pk>/withdraw/", approval_views.withdraw, name="asset-withdraw"),
    path("assets/<uuid:pk>/comments/", approval_views.comment, name="asset-comment"),
    path("export/", views.export, name="export"),
    path("assets/<uuid:pk>/renditions/", views.renditions_request, name="asset-renditions"),
    path(
        "assets/<uuid:pk>/renditions/<slug:name>/",
        views.rendition_file,
        name="asset-rendition",
    ),
    path("assets/<uuid:pk>/share/", views.share_create, name="asset-share"),
    path(
        "assets/<uuid:pk>/share/<int:link_id>/revoke/",
        views.share_revoke,
        name="asset-share-revoke",
    ),
    path("assets/<uuid:pk>/regenerate/", generation_views.regenerate, name="asset-regenerate"),
]
