from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.forms import apply_service_errors
from apps.projects.access import has_perm, project_for_request
from apps.projects.models import Perm

from .forms import TemplateForm, TemplateVersionForm
from .models import PromptTemplate
from .services import template_create, template_version_create


@login_required
def template_new(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.GENERATE)
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_create(actor=request.user, project=project, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("projects:template-detail", slug=project.slug, pk=template.pk)
    return render(request, "prompts/template_form.html", {"project": project, "form": form})


@login_required
def template_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = project_for_request(request, slug)
    template = get_object_or_404(PromptTemplate, project=project, pk=pk)
    can_edit = has_perm(request, Perm.GENERATE, project)
    form = TemplateVersionForm(request.POST or None)
    if request.method == "POST":
        project_for_request(request, slug, perm=Perm.GENERATE)
        if form.is_valid():
            try:
                template_version_create(actor=request.user, template=template, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("projects:template-detail", slug=project.slug, pk=template.pk)
    elif template.current_version:
        current = template.current_version
        form = TemplateVersionForm(
            initial={"body": current.body, "negative_prompt": current.negative_prompt}
        )
    return render(
        request,
        "prompts/template_detail.html",
        {"project": project, "template": template, "form": form, "can_edit": can_edit},
    )
