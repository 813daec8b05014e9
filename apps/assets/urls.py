from django.urls import path

from . import views

urlpatterns = [
    path("gallery/", views.gallery, name="gallery"),
    path("assets/<uuid:pk>/file/", views.asset_file, name="asset-file"),
]
