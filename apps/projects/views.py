from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.generation.models import GenerationJob

from .access import project_for_request
from .models import Role
from .selectors import project_list_for_user


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = project_list_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "projects/list.html", {"projects": projects})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project, membership = project_for_request(request, slug)
    templates = project.templates.prefetch_related("versions")
    jobs = GenerationJob.objects.filter(project=project).select_related("route")[:10]
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "membership": membership,
            "can_create": membership.has_role(Role.CREATOR),
            "templates": templates,
            "jobs": jobs,
        },
    )
