from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.approvals.forms import CommentForm, DecisionForm, WithdrawForm
from apps.approvals.workflow import allowed_targets
from apps.assets.models import Asset, AssetState
from apps.assets.selectors import asset_descendants, asset_get_for_user, asset_lineage
from apps.assets.views import ShareForm
from apps.core.exceptions import ApplicationError, PolicyRefused
from apps.projects.access import has_perm, project_for_request
from apps.projects.models import Perm
from apps.prompts.models import PromptTemplateVersion

from .forms import GenerateForm, RegenerateForm
from .models import GenerationJob, JobStatus
from .selectors import job_get_in_project
from .services import generation_cancel, generation_regenerate, generation_request


@login_required
def generate(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.GENERATE)
    version = None
    version_id = request.POST.get("template_version") or request.GET.get("template")
    if version_id:
        # A template id from the link, or the exact version the form was rendered with.
        lookup = {"pk": version_id} if request.method == "POST" else {"template_id": version_id}
        version = (
            PromptTemplateVersion.objects.filter(template__project=project, **lookup)
            .select_related("template")
            .order_by("-number")
            .first()
        )
        if version is None:
            raise Http404("No such template.")
    form = GenerateForm(request.POST or None, version=version, initial={"size": "512x512"})
    if request.method == "POST" and form.is_valid():
        try:
            job = generation_request(actor=request.user, project=project, params=form.params())  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        except PolicyRefused as exc:
            form.add_policy_refusal(exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("projects:job-detail", slug=project.slug, pk=job.pk)
    return render(
        request,
        "generation/generate.html",
        {"project": project, "form": form, "version": version},
        status=(422 if form.refused else 400) if form.errors else 200,
    )


def _job_for_request(request: HttpRequest, slug: str, pk: str) -> GenerationJob:
    """Jobs are drafts: a viewer learns nothing about them, not even that they exist."""
    project = project_for_request(request, slug, perm=Perm.VIEW_DRAFTS, hidden=True)
    return job_get_in_project(project=project, job_id=pk)


@login_required
def job_detail(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    job = _job_for_request(request, slug, pk)
    asset = getattr(job, "asset", None) if job.status == JobStatus.SUCCEEDED else None
    context: dict[str, object] = {"project": job.project, "job": job, "asset": asset}
    if asset is not None:
        context |= _review_context(request, job, asset)
    return render(request, "generation/job_detail.html", context)


def _review_context(request: HttpRequest, job: GenerationJob, asset: Asset) -> dict[str, object]:
    """What the job page offers on its asset: only the moves this user may make now."""
    is_creator = job.created_by_id == request.user.pk
    reviewer = has_perm(request, Perm.REVIEW, job.project)
    targets = allowed_targets(asset.state)
    return {
        "decisions": asset.decisions.all(),
        "history": asset.transitions.all(),
        "comments": asset.comments.filter(parent=None).prefetch_related("replies"),
        "lineage": asset_lineage(asset=asset),
        "descendants": asset_descendants(asset=asset),
        "can_submit": AssetState.IN_REVIEW in targets
        and has_perm(request, Perm.GENERATE, job.project),
        "decision_form": DecisionForm()
        if reviewer and not is_creator and asset.state == AssetState.IN_REVIEW
        else None,
        "withdraw_form": WithdrawForm() if reviewer and AssetState.WITHDRAWN in targets else None,
        "comment_form": CommentForm(),
        "share_form": ShareForm() if asset.state == AssetState.APPROVED else None,
        "share_links": asset.share_links.all(),
        "renditions": asset.renditions.all(),
        "regenerate_form": RegenerateForm(job=job)
        if has_perm(request, Perm.GENERATE, job.project)
        else None,
    }


@login_required
@require_POST
def regenerate(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    """From any asset: the same request with the adjustments in the form."""
    project = project_for_request(request, slug, perm=Perm.GENERATE, hidden=True)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    form = RegenerateForm(request.POST, job=asset.job)
    if form.is_valid():
        try:
            job = generation_regenerate(actor=request.user, asset=asset, **form.changes())  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PolicyRefused as exc:
            messages.error(request, " ".join(rule["message"] for rule in exc.rules))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("projects:job-detail", slug=project.slug, pk=job.pk)
    else:
        messages.error(request, "Check the regeneration settings.")
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)


@login_required
@require_POST
def job_cancel(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    job = _job_for_request(request, slug, pk)
    try:
        if generation_cancel(actor=request.user, job_id=job.pk):  # type: ignore[arg-type]
            messages.success(request, "Cancelled.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("projects:job-detail", slug=job.project.slug, pk=job.pk)


@login_required
@require_GET
def job_status(request: HttpRequest, slug: str, pk: str) -> JsonResponse:
    """Polled by the job page for its live progress bar."""
    job = _job_for_request(request, slug, pk)
    asset = getattr(job, "asset", None) if job.status == JobStatus.SUCCEEDED else None
    return JsonResponse(
        {
            "id": str(job.pk),
            "status": job.status,
            "status_label": job.get_status_display(),
            "final": job.is_final,
            "stage": job.stage,
            "stage_label": job.get_stage_display(),
            "step": job.progress_step,
            "steps": job.steps,
            "percent": job.progress_percent,
            "failure_reason": job.failure_reason,
            "image_url": (
                reverse("projects:asset-file", kwargs={"slug": slug, "pk": asset.pk})
                if asset
                else None
            ),
        }
    )
