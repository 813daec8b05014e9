from django.urls import path

from . import views

urlpatterns = [
    path("new/", views.template_new, name="template-new"),
    path("<int:pk>/", views.template_detail, name="template-detail"),
]
