from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import governance, views

P = "projects/<slug:slug>"
urlpatterns = [
    path("v1/projects/", views.ProjectList.as_view(), name="api-projects"),
    path(f"v1/{P}/", views.ProjectDetail.as_view(), name="api-project"),
    path(f"v1/{P}/templates/", views.TemplateList.as_view(), name="api-templates"),
    path(f"v1/{P}/templates/<int:pk>/", views.TemplateDetail.as_view(), name="api-template"),
    path(
        f"v1/{P}/templates/<int:pk>/versions/",
        views.TemplateVersionCreate.as_view(),
        name="api-template-versions",
    ),
    path(f"v1/{P}/jobs/", views.JobList.as_view(), name="api-jobs"),
    path(f"v1/{P}/jobs/<uuid:pk>/", views.JobDetail.as_view(), name="api-job"),
    path(f"v1/{P}/jobs/<uuid:pk>/cancel/", views.JobCancel.as_view(), name="api-job-cancel"),
    path(f"v1/{P}/assets/", views.AssetList.as_view(), name="api-assets"),
    path(f"v1/{P}/assets/<uuid:pk>/", views.AssetDetail.as_view(), name="api-asset"),
    path(f"v1/{P}/assets/<uuid:pk>/file/", views.AssetFile.as_view(), name="api-asset-file"),
    path(
        f"v1/{P}/assets/<uuid:pk>/renditions/<slug:name>/",
        views.RenditionFile.as_view(),
        name="api-rendition-file",
    ),
    path(f"v1/{P}/assets/<uuid:pk>/submit/", views.AssetSubmit.as_view(), name="api-submit"),
    path(f"v1/{P}/assets/<uuid:pk>/decision/", views.AssetDecide.as_view(), name="api-decide"),
    path(f"v1/{P}/assets/<uuid:pk>/withdraw/", views.AssetWithdraw.as_view(), name="api-withdraw"),
    path(f"v1/{P}/assets/<uuid:pk>/comments/", views.CommentList.as_view(), name="api-comments"),
    path(
        f"v1/{P}/assets/<uuid:pk>/share-links/",
        views.ShareLinkList.as_view(),
        name="api-share-links",
    ),
    path(
        f"v1/{P}/assets/<uuid:pk>/share-links/<int:link_id>/revoke/",
        views.ShareLinkRevoke.as_view(),
        name="api-share-link-revoke",
    ),
    path(f"v1/{P}/usage-policy/", governance.UsagePolicyDetail.as_view(), name="api-usage-policy"),
    path("v1/audit/events/", governance.AuditEventList.as_view(), name="api-audit-events"),
    path("v1/policies/usage/", governance.UsagePolicyList.as_view(), name="api-usage-policies"),
    path(
        "v1/policies/usage/<slug:scope>/",
        governance.UsagePolicyGovern.as_view(),
        name="api-usage-policy-govern",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
