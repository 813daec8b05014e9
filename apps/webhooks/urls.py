"""Included by apps.projects.urls as `<slug:slug>/webhooks/`: names are `projects:webhooks:*`."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoints, name="list"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/deactivate/", views.endpoint_deactivate, name="deactivate"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("deliveries/<uuid:delivery_id>/resend/", views.delivery_resend, name="resend"),
]
