"""Webhook pages: managers only (others 403), invisible outside the project (404)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError
from apps.projects.access import project_for_request
from apps.projects.models import Perm

from .forms import EndpointForm
from .selectors import delivery_get, delivery_list, endpoint_get, endpoint_list
from .services import (
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_endpoint_delete,
)
from .signing import SIGNATURE_HEADER


@login_required
def endpoints(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = webhook_endpoint_create(
                actor=request.user,  # type: ignore[arg-type]
                project=project,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered, not redirected: the secret never goes through the
            # session or a cookie, and this response is the only place it appears.
            response = render(
                request,
                "webhooks/created.html",
                {
                    "project": project,
                    "endpoint": new.endpoint,
                    "secret": new.secret,
                    "signature_header": SIGNATURE_HEADER,
                },
            )
            add_never_cache_headers(response)
            return response
    return render(
        request,
        "webhooks/list.html",
        {"project": project, "endpoints": endpoint_list(project=project), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def endpoint_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    endpoint = endpoint_get(project=project, endpoint_id=pk)
    return render(
        request,
        "webhooks/detail.html",
        {"project": project, "endpoint": endpoint, "deliveries": delivery_list(endpoint=endpoint)},
    )


@login_required
@require_POST
def endpoint_deactivate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    endpoint = endpoint_get(project=project, endpoint_id=pk)
    if webhook_endpoint_deactivate(actor=request.user, endpoint=endpoint):  # type: ignore[arg-type]
        messages.success(request, f"{endpoint.origin} will receive no more webhooks.")
    return redirect("projects:webhooks:list", slug=project.slug)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    endpoint = endpoint_get(project=project, endpoint_id=pk)
    origin = endpoint.origin
    webhook_endpoint_delete(actor=request.user, endpoint=endpoint)  # type: ignore[arg-type]
    messages.success(request, f"The endpoint {origin} and its delivery history were deleted.")
    return redirect("projects:webhooks:list", slug=project.slug)


@login_required
@require_POST
def delivery_resend(request: HttpRequest, slug: str, delivery_id: uuid.UUID) -> HttpResponse:
    project = project_for_request(request, slug, perm=Perm.MANAGE)
    delivery = delivery_get(project=project, delivery_id=delivery_id)
    try:
        webhook_delivery_resend(actor=request.user, delivery=delivery)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The {delivery.event} event was queued again.")
    return redirect("projects:webhooks:detail", slug=project.slug, pk=delivery.endpoint_id)
