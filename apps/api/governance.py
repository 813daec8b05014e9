"""Compliance reads and writes: the audit trail and usage policies.

These are not project-scoped: a compliance officer governs every project
without being a member of any (as in the admin), so access is decided by
model permissions of a person. API keys act for a project role and are
refused here, whatever their scopes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.models import AuditEvent
from apps.generation.models import ModelRoute
from apps.policies.gate import usage_policy_for
from apps.policies.models import UsagePolicy
from apps.policies.services import policy_save
from apps.projects.models import Project

from . import serializers as s
from .models import ApiKey
from .pagination import IdCursorPagination, SequenceCursorPagination
from .views import ProjectScoped

DEFAULT_SCOPE = "default"


def require_person_perm(request: Request, perm: str, what: str) -> None:
    if isinstance(request.auth, ApiKey) or not request.user.has_perm(perm):
        raise PermissionDenied(f"Only compliance officers {what}.")


class AuditEventList(generics.ListAPIView):
    """The audit trail, read-only, for compliance officers (`audit.view_auditevent`)."""

    serializer_class = s.AuditEventOut
    pagination_class = SequenceCursorPagination
    filterset_fields = {
        "action": ["exact"],
        "actor_username": ["exact"],
        "project_slug": ["exact"],
        "target_type": ["exact"],
        "target_id": ["exact"],
        "created_at": ["gte", "lte"],
    }

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        require_person_perm(self.request, "audit.view_auditevent", "read the audit trail")
        return AuditEvent.objects.all()


class UsagePolicyDetail(ProjectScoped, generics.RetrieveAPIView):
    """The usage and data-handling policy in force for a project, for its members."""

    serializer_class = s.UsagePolicyOut

    def get_object(self) -> Any:
        return usage_policy_for(self.project())


class UsagePolicyList(generics.ListAPIView):
    """Every stored usage policy: the site default and each project's own."""

    serializer_class = s.UsagePolicyOut
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[UsagePolicy]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return UsagePolicy.objects.none()
        require_person_perm(self.request, "policies.view_usagepolicy", "read every usage policy")
        return (
            UsagePolicy.objects.select_related("project")
            .prefetch_related("allowed_routes")
            .order_by("pk")
        )


class UsagePolicyGovern(APIView):
    """One scope's usage policy: `default` (the site default) or a project's slug.

    A project without its own row reads the site default (`inherited: true`);
    the first change gives it its own row, copied from the default and then
    changed, so what applies stays one readable record. DELETE removes a
    project's own row: it falls back to the site default. Every change is a
    new policy version with a `policy.edit` audit event.
    """

    def _project(self, scope: str) -> Project | None:
        """Every project, member or not: governing them is the compliance role."""
        if scope == DEFAULT_SCOPE:
            return None
        project = Project.objects.filter(slug=scope).first()
        if project is None:
            raise Http404("No such project.")
        return project

    def _stored(self, project: Project | None) -> UsagePolicy | None:
        return UsagePolicy.objects.filter(project=project).first()

    @extend_schema(responses={200: s.UsagePolicyOut})
    def get(self, request: Request, scope: str) -> Response:
        require_person_perm(request, "policies.view_usagepolicy", "read every usage policy")
        project = self._project(scope)
        policy = usage_policy_for(project)
        return Response(s.UsagePolicyOut(policy).data)

    @extend_schema(request=s.UsagePolicyIn, responses={200: s.UsagePolicyOut})
    @transaction.atomic
    def patch(self, request: Request, scope: str) -> Response:
        require_person_perm(request, "policies.change_usagepolicy", "change usage policies")
        project = self._project(scope)
        body = s.UsagePolicyIn(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        routes = changes.pop("allowed_routes", None)
        policy = self._stored(project) if project else usage_policy_for(None)
        if policy is None:
            if not request.user.has_perm("policies.add_usagepolicy"):
                raise PermissionDenied("Only compliance officers give a project its own policy.")
            policy, routes = _copy_of_default(project, routes)  # type: ignore[arg-type]
        for name, value in changes.items():
            setattr(policy, name, value)
        m2m = {"allowed_routes": routes} if routes is not None else None
        policy_save(actor=request.user, instance=policy, m2m=m2m)  # type: ignore[arg-type]
        policy.refresh_from_db()
        return Response(s.UsagePolicyOut(policy).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, scope: str) -> Response:
        require_person_perm(request, "policies.delete_usagepolicy", "remove usage policies")
        project = self._project(scope)
        if project is None:
            raise PermissionDenied("The site default cannot be removed, only changed.")
        policy = self._stored(project)
        if policy is None:
            raise Http404("This project has no policy of its own.")
        policy_save(actor=request.user, instance=policy, delete=True)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _copy_of_default(
    project: Project, routes: list[ModelRoute] | None
) -> tuple[UsagePolicy, list[ModelRoute] | None]:
    default = UsagePolicy.objects.filter(project=None).first()
    policy = UsagePolicy(project=project)
    if default is not None:
        for field in UsagePolicy._meta.concrete_fields:
            if field.name not in {"id", "project", "version", "updated_at"}:
                setattr(policy, field.attname, getattr(default, field.attname))
        if routes is None:
            routes = list(default.allowed_routes.all())
    return policy, routes
