"""Review actions from the job page; each is one POST to one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.assets.models import Asset
from apps.assets.selectors import asset_get_for_user
from apps.core.exceptions import ApplicationError
from apps.projects.access import project_for_request
from apps.projects.models import Perm

from .forms import CommentForm, DecisionForm, WithdrawForm
from .models import Comment
from .services import asset_decide, asset_submit, asset_withdraw, comment_create


def _act(
    request: HttpRequest, slug: str, pk: str, perm: str, act: Callable[[Asset], str]
) -> HttpResponse:
    project = project_for_request(request, slug, perm=perm)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    try:
        messages.success(request, act(asset))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)


@login_required
@require_POST
def submit(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    def act(asset: Asset) -> str:
        asset_submit(actor=request.user, asset=asset)  # type: ignore[arg-type]
        return "Submitted for review."

    return _act(request, slug, pk, Perm.GENERATE, act)


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    def act(asset: Asset) -> str:
        form = DecisionForm(request.POST)
        if not form.is_valid():
            raise ApplicationError("Choose approve, request changes or reject.")
        decision = asset_decide(actor=request.user, asset=asset, **form.cleaned_data)  # type: ignore[arg-type]
        return f"Recorded: {decision.get_verdict_display()}."

    return _act(request, slug, pk, Perm.REVIEW, act)


@login_required
@require_POST
def withdraw(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    def act(asset: Asset) -> str:
        form = WithdrawForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        asset_withdraw(actor=request.user, asset=asset, comment=comment)  # type: ignore[arg-type]
        return "Approval withdrawn; its share links are revoked."

    return _act(request, slug, pk, Perm.REVIEW, act)


@login_required
@require_POST
def comment(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    def act(asset: Asset) -> str:
        form = CommentForm(request.POST)
        if not form.is_valid():
            raise ApplicationError("Write something.")
        parent: Any = None
        parent_id = request.POST.get("parent", "")
        if parent_id.isdigit():  # a reply, from the thread's own small form
            parent = Comment.objects.filter(asset=asset, pk=int(parent_id)).first()
        comment_create(
            actor=request.user,  # type: ignore[arg-type]
            asset=asset,
            body=form.cleaned_data["body"],
            parent=parent,
        )
        return "Comment added."

    return _act(request, slug, pk, Perm.VIEW_DRAFTS, act)
