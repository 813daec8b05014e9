from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.generation.selectors import job_list_for_project

from .access import has_perm, project_for_request
from .forms import MemberForm, RoleForm
from .models import Perm
from .selectors import member_list, membership_get, project_list_for_user
from .services import membership_remove, membership_set


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = project_list_for_user(user=request.user)  # type: ignore[arg-type]
    return render(request, "projects/list.html", {"projects": projects})


@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug)
    can_see_drafts = has_perm(request, Perm.VIEW_DRAFTS, project)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "membership": membership_get(user=request.user, project=project),  # type: ignore[arg-type]
            "can_create": has_perm(request, Perm.GENERATE, project),
            "can_manage": has_perm(request, Perm.MANAGE, project),
            "can_review": has_perm(request, Perm.REVIEW, project),
            "templates": project.templates.prefetch_related("versions"),
            "jobs": job_list_for_project(project=project)[:10] if can_see_drafts else None,
        },
    )


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", "There is no user with that name.")
        else:
            try:
                membership_set(
                    actor=request.user,  # type: ignore[arg-type]
                    project=project,
                    user=user,
                    role=form.cleaned_data["role"],
                )
            except (ApplicationError, ValidationError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                messages.success(request, f"{user.get_username()} is now a member.")
                return redirect("projects:members", slug=project.slug)
    return render(
        request,
        "projects/members.html",
        {"project": project, "members": member_list(project=project), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def member_change(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    user = get_object_or_404(User, username=username, memberships__project=project)
    try:
        if request.POST.get("remove"):
            membership_remove(actor=request.user, project=project, user=user)  # type: ignore[arg-type]
            messages.success(request, f"{username} was removed from {project.name}.")
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose a valid role.")
            else:
                membership_set(
                    actor=request.user,  # type: ignore[arg-type]
                    project=project,
                    user=user,
                    role=form.cleaned_data["role"],
                )
                messages.success(request, f"{username}'s role was changed.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("projects:members", slug=project.slug)
