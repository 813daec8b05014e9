"""REST API v1: one view per operation for governed writes, generic reads.

Every view resolves the project through `project_for_request` (another
project's objects answer 404) and calls the same services as the portal.
API keys act through their principal; their scopes are checked here too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals.models import Comment
from apps.approvals.services import (
    approval_holds,
    asset_decide,
    asset_submit,
    asset_withdraw,
    comment_create,
)
from apps.assets.delivery import delivered_original
from apps.assets.models import Asset, Rendition, ShareLink
from apps.assets.selectors import asset_get_for_user, asset_list_for_user
from apps.assets.sharing import share_link_create, share_link_revoke
from apps.generation.models import GenerationJob
from apps.generation.selectors import job_get_in_project, job_list_for_project
from apps.generation.services import GenerationParams, generation_cancel, generation_request
from apps.projects.access import project_for_request
from apps.projects.models import Perm, Project
from apps.projects.selectors import project_list_for_user
from apps.prompts.models import PromptTemplate
from apps.prompts.services import template_create, template_version_create

from . import serializers as s
from .errors import IdempotencyMismatch
from .models import ApiKey, IdempotencyRecord, Scope


def require_scope(request: Request, scope: str) -> None:
    """A person's role decides alone; an API key also needs the scope."""
    key = request.auth
    if isinstance(key, ApiKey) and scope not in key.scopes:
        raise PermissionDenied(f"This API key lacks the '{scope}' scope.")


class ProjectScoped:
    request: Request
    kwargs: dict[str, Any]

    def project(self, perm: str | None = None, hidden: bool = False) -> Project:
        return project_for_request(self.request, self.kwargs["slug"], perm=perm, hidden=hidden)


class ProjectList(generics.ListAPIView):
    serializer_class = s.ProjectOut

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Project.objects.none()
        return project_list_for_user(user=self.request.user).order_by("-created_at")  # type: ignore[arg-type]


class ProjectDetail(ProjectScoped, generics.RetrieveAPIView):
    serializer_class = s.ProjectOut

    def get_object(self) -> Project:
        return self.project()


class TemplateList(ProjectScoped, generics.ListAPIView):
    serializer_class = s.TemplateOut

    def get_queryset(self) -> QuerySet[PromptTemplate]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PromptTemplate.objects.none()
        return self.project(Perm.VIEW_DRAFTS, hidden=True).templates.order_by("-created_at")

    @extend_schema(request=s.TemplateIn, responses={201: s.TemplateOut})
    def post(self, request: Request, slug: str) -> Response:
        require_scope(request, Scope.SUBMIT)
        project = self.project(Perm.GENERATE)
        data = s.TemplateIn(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_create(actor=request.user, project=project, **data.validated_data)  # type: ignore[arg-type]
        return Response(s.TemplateOut(template).data, status=status.HTTP_201_CREATED)


class TemplateDetail(ProjectScoped, generics.RetrieveAPIView):
    serializer_class = s.TemplateOut

    def get_object(self) -> PromptTemplate:
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        return get_object_or_404(PromptTemplate, project=project, pk=self.kwargs["pk"])


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retrying with the same key and body returns the same job; "
    "the same key with another body is refused (422).",
)


class JobList(ProjectScoped, generics.ListAPIView):
    serializer_class = s.JobOut
    filterset_fields = ["status", "route__name"]
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self) -> QuerySet[GenerationJob]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return GenerationJob.objects.none()
        require_scope(self.request, Scope.SUBMIT)
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        return job_list_for_project(project=project).select_related("asset", "route")

    @extend_schema(
        request=s.JobIn, responses={201: s.JobOut, 200: s.JobOut}, parameters=[IDEMPOTENCY]
    )
    def post(self, request: Request, slug: str) -> Response:
        require_scope(request, Scope.SUBMIT)
        project = self.project(Perm.GENERATE)
        data = s.JobIn(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:200]
        body_hash = hashlib.sha256(
            json.dumps(data.validated_data, sort_keys=True, default=str).encode()
        ).hexdigest()
        if key:
            earlier = IdempotencyRecord.objects.filter(principal=request.user, key=key).first()
            if earlier is not None:
                return self._replay(earlier, body_hash)
        params = self._params(project, data.validated_data)
        try:
            with transaction.atomic():
                job = generation_request(actor=request.user, project=project, params=params)  # type: ignore[arg-type]
                if key:
                    IdempotencyRecord.objects.create(
                        principal=request.user, key=key, request_sha256=body_hash, job=job
                    )
        except IntegrityError:
            # A concurrent retry with the same key won the race: answer with its job.
            earlier = IdempotencyRecord.objects.get(principal=request.user, key=key)
            return self._replay(earlier, body_hash)
        return Response(s.JobOut(job).data, status=status.HTTP_201_CREATED)

    def _replay(self, earlier: IdempotencyRecord, body_hash: str) -> Response:
        if earlier.request_sha256 != body_hash:
            raise IdempotencyMismatch()
        return Response(s.JobOut(earlier.job).data, status=status.HTTP_200_OK)

    def _params(self, project: Project, data: dict[str, Any]) -> GenerationParams:
        version = None
        if "template" in data:
            template = PromptTemplate.objects.filter(project=project, pk=data["template"]).first()
            if template is None:
                raise Http404("No such template.")
            version = template.current_version
        parent = None
        if "parent_asset" in data:
            parent = asset_get_for_user(
                user=self.request.user,
                project=project,
                asset_id=str(data["parent_asset"]),  # type: ignore[arg-type]
            )
        return GenerationParams(
            route=data["route"],
            width=data["width"],
            height=data["height"],
            prompt=data.get("prompt", ""),
            negative_prompt=data.get("negative_prompt"),
            template_version=version,
            variables=data.get("variables"),
            seed=data.get("seed"),
            steps=data.get("steps"),
            guidance=data.get("guidance"),
            parent_asset=parent,
        )


class JobCancel(ProjectScoped, APIView):
    @extend_schema(request=None, responses={200: s.JobOut})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        require_scope(request, Scope.SUBMIT)
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        job = job_get_in_project(project=project, job_id=str(pk))
        generation_cancel(actor=request.user, job_id=job.pk)  # type: ignore[arg-type]
        job.refresh_from_db()
        return Response(s.JobOut(job).data)


class JobDetail(ProjectScoped, generics.RetrieveAPIView):
    serializer_class = s.JobOut

    def get_object(self) -> GenerationJob:
        require_scope(self.request, Scope.SUBMIT)
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        return job_get_in_project(project=project, job_id=str(self.kwargs["pk"]))


class AssetList(ProjectScoped, generics.ListAPIView):
    """The hottest read a CMS makes: rows come straight from `values()`.

    Model instances of three joined tables and a DRF serializer per row cost
    most of a request's CPU; `AssetOut` still documents (and a test pins) the
    exact same shape.
    """

    serializer_class = s.AssetOut
    filterset_fields = {"state": ["exact"], "created_at": ["gte", "lte"]}
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Asset.objects.none()
        require_scope(self.request, Scope.READ_ASSETS)
        project = self.project()
        return asset_list_for_user(user=self.request.user, project=project).values(  # type: ignore[arg-type]
            *s.ASSET_ROW_COLUMNS.values()
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([s.asset_row(row) for row in rows or []])


class AssetDetail(ProjectScoped, generics.RetrieveAPIView):
    serializer_class = s.AssetDetailOut

    def get_object(self) -> Asset:
        require_scope(self.request, Scope.READ_ASSETS)
        project = self.project()
        user: Any = self.request.user
        return asset_get_for_user(user=user, project=project, asset_id=str(self.kwargs["pk"]))


def _file_response(request: Request, stored: Any, sha256: str, filename: str) -> Any:
    """Downloads carry a strong ETag (the SHA-256), so CMS caches revalidate cheaply."""
    etag = f'"{sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = FileResponse(stored.open("rb"), as_attachment=True, filename=filename)
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    return response


class AssetFile(ProjectScoped, APIView):
    """The delivered (watermarked, signed) original of an approved asset."""

    @extend_schema(responses={(200, "image/png"): bytes, 304: None})
    def get(self, request: Request, slug: str, pk: str) -> Any:
        require_scope(request, Scope.READ_ASSETS)
        project = self.project()
        asset = asset_get_for_user(user=request.user, project=project, asset_id=str(pk))  # type: ignore[arg-type]
        delivered = delivered_original(asset) if approval_holds(asset) else None
        if delivered is None:
            raise Http404("Not delivered.")
        return _file_response(request, delivered.file, delivered.sha256, f"{asset.pk}.png")


class RenditionFile(ProjectScoped, APIView):
    @extend_schema(responses={(200, "image/*"): bytes, 304: None})
    def get(self, request: Request, slug: str, pk: str, name: str) -> Any:
        require_scope(request, Scope.READ_ASSETS)
        project = self.project()
        asset = asset_get_for_user(user=request.user, project=project, asset_id=str(pk))  # type: ignore[arg-type]
        rendition = get_object_or_404(Rendition, asset=asset, name=name)
        if not approval_holds(asset) or rendition.source_sha256 != asset.sha256:
            raise Http404("Not delivered.")
        filename = f"{asset.pk}-{name}.{rendition.format.lower()}"
        return _file_response(request, rendition.file, rendition.sha256, filename)


class AssetSubmit(ProjectScoped, APIView):
    @extend_schema(request=None, responses={200: s.AssetOut})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        require_scope(request, Scope.SUBMIT)
        asset = self._asset(pk, Perm.GENERATE)
        asset_submit(actor=request.user, asset=asset)  # type: ignore[arg-type]
        asset.refresh_from_db()
        return Response(s.AssetOut(asset).data)

    def _asset(self, pk: str, perm: str) -> Asset:
        project = self.project(perm)
        return asset_get_for_user(user=self.request.user, project=project, asset_id=str(pk))  # type: ignore[arg-type]


class AssetDecide(AssetSubmit):
    @extend_schema(request=s.DecisionIn, responses={200: s.AssetOut})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        require_scope(request, Scope.REVIEW)
        asset = self._asset(pk, Perm.REVIEW)
        data = s.DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        asset_decide(actor=request.user, asset=asset, **data.validated_data)  # type: ignore[arg-type]
        asset.refresh_from_db()
        return Response(s.AssetOut(asset).data)


class AssetWithdraw(AssetSubmit):
    @extend_schema(request=s.WithdrawIn, responses={200: s.AssetOut})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        require_scope(request, Scope.REVIEW)
        asset = self._asset(pk, Perm.REVIEW)
        data = s.WithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        asset_withdraw(actor=request.user, asset=asset, comment=data.validated_data["comment"])  # type: ignore[arg-type]
        asset.refresh_from_db()
        return Response(s.AssetOut(asset).data)


class CommentList(ProjectScoped, generics.ListAPIView):
    serializer_class = s.CommentOut

    def _asset(self) -> Asset:
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        user: Any = self.request.user
        return asset_get_for_user(user=user, project=project, asset_id=str(self.kwargs["pk"]))

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Comment.objects.none()
        return self._asset().comments.select_related("decision").order_by("-created_at")

    @extend_schema(request=s.CommentIn, responses={201: s.CommentOut})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        asset = self._asset()
        data = s.CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        parent = None
        if "parent" in data.validated_data:
            parent = get_object_or_404(Comment, asset=asset, pk=data.validated_data["parent"])
        comment = comment_create(
            actor=request.user,
            asset=asset,
            body=data.validated_data["body"],
            parent=parent,  # type: ignore[arg-type]
        )
        return Response(s.CommentOut(comment).data, status=status.HTTP_201_CREATED)


class ShareLinkList(ProjectScoped, generics.ListAPIView):
    serializer_class = s.ShareLinkOut

    def _asset(self) -> Asset:
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        user: Any = self.request.user
        return asset_get_for_user(user=user, project=project, asset_id=str(self.kwargs["pk"]))

    def get_queryset(self) -> QuerySet[ShareLink]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ShareLink.objects.none()
        require_scope(self.request, Scope.READ_ASSETS)
        return self._asset().share_links.all()

    @extend_schema(request=s.ShareLinkIn, responses={201: s.ShareLinkCreated})
    def post(self, request: Request, slug: str, pk: str) -> Response:
        require_scope(request, Scope.READ_ASSETS)
        asset = self._asset()
        data = s.ShareLinkIn(data=request.data)
        data.is_valid(raise_exception=True)
        new = share_link_create(actor=request.user, asset=asset, **data.validated_data)  # type: ignore[arg-type]
        body = dict(s.ShareLinkOut(new.link).data)
        body["url"] = request.build_absolute_uri(reverse("share-page", args=[new.token]))
        return Response(body, status=status.HTTP_201_CREATED)


class ShareLinkRevoke(ProjectScoped, APIView):
    @extend_schema(request=None, responses={200: s.ShareLinkOut})
    def post(self, request: Request, slug: str, pk: str, link_id: int) -> Response:
        require_scope(request, Scope.READ_ASSETS)
        project = self.project(Perm.VIEW_DRAFTS, hidden=True)
        user: Any = request.user
        asset = asset_get_for_user(user=user, project=project, asset_id=str(pk))
        link = get_object_or_404(ShareLink, asset=asset, pk=link_id)
        share_link_revoke(actor=user, link=link, reason="Revoked through the API.")
        link.refresh_from_db()
        return Response(s.ShareLinkOut(link).data)


class TemplateVersionCreate(ProjectScoped, APIView):
    """A new version of a template; earlier versions stay as they were."""

    @extend_schema(request=s.TemplateVersionIn, responses={201: s.TemplateOut})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        require_scope(request, Scope.SUBMIT)
        project = self.project(Perm.GENERATE)
        template = get_object_or_404(PromptTemplate, project=project, pk=pk)
        data = s.TemplateVersionIn(data=request.data)
        data.is_valid(raise_exception=True)
        template_version_create(actor=request.user, template=template, **data.validated_data)  # type: ignore[arg-type]
        template.refresh_from_db()
        return Response(s.TemplateOut(template).data, status=status.HTTP_201_CREATED)
