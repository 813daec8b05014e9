from __future__ import annotations

import re
from typing import Any

from django import forms

from apps.core.exceptions import PolicyRefused
from apps.prompts.models import PromptTemplateVersion

from .models import ModelRoute
from .services import GenerationParams

_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*$")
VARIABLE_PREFIX = "var_"


class GenerateForm(forms.Form):
    """Parses types only; every rule (sizes, bounds, variables) is checked by the service."""

    route = forms.ChoiceField(label="Route")
    size = forms.CharField(label="Size", help_text="Width x height, e.g. 1024x1024.")
    prompt = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Prompt"
    )
    negative_prompt = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Negative prompt"
    )
    seed = forms.IntegerField(
        required=False, help_text="Leave empty for a random seed; it is always recorded."
    )
    steps = forms.IntegerField(required=False, help_text="Leave empty for the route's default.")
    guidance = forms.FloatField(required=False, help_text="Leave empty for the route's default.")

    def __init__(
        self, *args: Any, version: PromptTemplateVersion | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        routes = ModelRoute.objects.filter(enabled=True)
        route_field = self.fields["route"]
        assert isinstance(route_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        route_field.choices = [(r.name, r.label) for r in routes]
        sizes = sorted({f"{w}x{h}" for r in routes for w, h in r.sizes})
        self.fields["size"].widget = forms.TextInput(attrs={"list": "sizes"})
        self.size_choices = sizes
        if version is not None:
            del self.fields["prompt"]
            self.fields["negative_prompt"].initial = version.negative_prompt
            for name in version.variables:
                self.fields[VARIABLE_PREFIX + name] = forms.CharField(
                    label=name.replace("_", " ").capitalize(), max_length=500
                )
            # The template's own fields first: they are what the user came to fill.
            variable_fields = [VARIABLE_PREFIX + n for n in version.variables]
            self.order_fields([*variable_fields, "route", "size", "negative_prompt"])

    def clean_size(self) -> tuple[int, int]:
        match = _SIZE.match(self.cleaned_data["size"])
        if not match:
            raise forms.ValidationError("Write the size as WIDTHxHEIGHT, e.g. 1024x1024.")
        return int(match.group(1)), int(match.group(2))

    def params(self) -> GenerationParams:
        data = self.cleaned_data
        width, height = data["size"]
        variables = None
        if self.version is not None:
            variables = {
                key.removeprefix(VARIABLE_PREFIX): value
                for key, value in data.items()
                if key.startswith(VARIABLE_PREFIX)
            }
        return GenerationParams(
            route=data["route"],
            width=width,
            height=height,
            prompt=data.get("prompt") or "",
            negative_prompt=data.get("negative_prompt"),
            template_version=self.version,
            variables=variables,
            seed=data.get("seed"),
            steps=data.get("steps"),
            guidance=data.get("guidance"),
        )

    refused = False

    def add_policy_refusal(self, refusal: PolicyRefused) -> None:
        """Each rule beside the field it concerns; rules never quote the refused text."""
        self.refused = True
        self.add_error(None, "Policy refused this generation. Change what is marked and try again.")
        for rule in refusal.rules:
            field = rule.get("field")
            if field == "prompt" and self.version is not None:
                field = None  # the prompt came from the template and its variables
            self.add_error(field if field in self.fields else None, rule["message"])

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            if field == "variables" and self.version is not None:
                field = None  # type: ignore[assignment]
            self.add_error(field if field in self.fields else None, messages)


class RegenerateForm(forms.Form):
    """Adjustments for a regeneration; empty fields keep the parent's values."""

    route = forms.ChoiceField(label="Route")
    prompt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave empty to keep the prompt (or template) of this asset.",
    )
    seed = forms.IntegerField(required=False, min_value=0, help_text="Empty: keep the seed.")
    new_seed = forms.BooleanField(required=False, label="Draw a new seed")

    def __init__(self, *args: Any, job: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        routes = ModelRoute.objects.filter(enabled=True).order_by("name")
        route_field = self.fields["route"]
        assert isinstance(route_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        route_field.choices = [(r.name, r.label) for r in routes]
        route_field.initial = job.route.name
        self.job = job

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {"route": data["route"]}
        if data.get("prompt", "").strip():
            changes["prompt"] = data["prompt"]
        if data.get("seed") is not None:
            changes["seed"] = data["seed"]
        elif data.get("new_seed"):
            changes["keep_seed"] = False
        return changes
