from django.urls import path

from . import prometheus, views

app_name = "metrics"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", prometheus.metrics_view, name="prometheus"),
]
