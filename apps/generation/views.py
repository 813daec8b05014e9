from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.core.exceptions import ApplicationError
from apps.projects.access import project_for_request
from apps.projects.models import Role
from apps.prompts.models import PromptTemplateVersion

from .forms import GenerateForm
from .models import GenerationJob, JobStatus
from .services import generation_request


@login_required
def generate(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_for_request(request, slug, minimum_role=Role.CREATOR)
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
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("projects:job-detail", slug=project.slug, pk=job.pk)
    return render(
        request,
        "generation/generate.html",
        {"project": project, "form": form, "version": version},
        status=400 if form.errors else 200,
    )


def _job_for_request(request: HttpRequest, slug: str, pk: str) -> GenerationJob:
    project, _ = project_for_request(request, slug)
    return get_object_or_404(
        GenerationJob.objects.select_related("route", "project", "created_by"),
        project=project,
        pk=pk,
    )


@login_required
def job_detail(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    job = _job_for_request(request, slug, pk)
    return render(request, "generation/job_detail.html", {"project": job.project, "job": job})


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
