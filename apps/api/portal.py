"""API keys in the portal: managers create (the token is shown once), revoke, rotate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.projects.access import project_for_request
from apps.projects.models import Perm

from .keys import api_key_create, api_key_revoke, api_key_rotate
from .models import ApiKey, Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="The system that will use it, e.g. 'CMS'.")
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(required=False, min_value=1, max_value=366, initial=90)


@login_required
def api_keys(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    actor: Any = request.user
    form = ApiKeyForm(request.POST or None)
    token = None
    if request.method == "POST" and form.is_valid():
        try:
            new = api_key_create(actor=actor, project=project, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            token = new.token
            form = ApiKeyForm()
    return render(
        request,
        "api/keys.html",
        {"project": project, "form": form, "keys": project.api_keys.all(), "token": token},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def api_key_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    key = get_object_or_404(ApiKey, project=project, pk=pk)
    actor: Any = request.user
    if action == "revoke":
        api_key_revoke(actor=actor, key=key)
        messages.success(request, f"Key {key.prefix}… revoked; it is refused from now on.")
    elif action == "rotate" and key.revoked_at is None:
        new = api_key_rotate(actor=actor, key=key)
        messages.success(request, f"New key (shown once, copy it now): {new.token}")
    return redirect("projects:api-keys", slug=project.slug)
