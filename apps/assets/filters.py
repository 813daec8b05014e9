"""Gallery filters (django-filter), applied on top of the permission-filtered selector."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.generation.models import ModelRoute
from apps.projects.models import Project
from apps.prompts.models import PromptTemplate

from .models import Asset, AssetState


class GalleryFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AssetState.choices, empty_label="Any state")
    route = django_filters.ModelChoiceFilter(
        field_name="job__route", queryset=ModelRoute.objects.none(), empty_label="Any route"
    )
    creator = django_filters.ModelChoiceFilter(
        field_name="job__created_by", queryset=User.objects.none(), empty_label="Anyone"
    )
    template = django_filters.ModelChoiceFilter(
        field_name="job__template_version__template",
        queryset=PromptTemplate.objects.none(),
        empty_label="Any template",
    )
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From"
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="To"
    )

    class Meta:
        model = Asset
        fields = ["state", "route", "creator", "template", "created_from", "created_to"]

    def __init__(self, *args: object, project: Project, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Choices come from this project only: other projects' names never leak here.
        filters = self.filters
        filters["route"].queryset = ModelRoute.objects.all()  # type: ignore[attr-defined]
        filters["creator"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__project=project
        ).order_by("username")
        filters["template"].queryset = project.templates.all()  # type: ignore[attr-defined]

    @property
    def qs(self) -> QuerySet[Asset]:
        return super().qs.order_by("-created_at")
