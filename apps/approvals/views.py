from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.assets.selectors import asset_get_for_user
from apps.core.exceptions import ApplicationError
from apps.projects.access import project_for_request
from apps.projects.models import Perm

from .forms import DecisionForm
from .services import asset_decide


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.REVIEW)
    asset = asset_get_for_user(user=request.user, project=project, asset_id=pk)  # type: ignore[arg-type]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve, request changes or reject.")
    else:
        try:
            decision = asset_decide(actor=request.user, asset=asset, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Recorded: {decision.get_verdict_display()}.")
    return redirect("projects:job-detail", slug=project.slug, pk=asset.job_id)
