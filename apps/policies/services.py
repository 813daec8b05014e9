"""Writes for policy: versioned edits, decisions, and the safeguard rules on them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.forms.models import model_to_dict

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.generation.models import GenerationJob, ModelRoute
from apps.projects.models import Project

from . import gate
from .models import (
    Decision,
    FilterCategory,
    FilterRegister,
    FilterSettings,
    FilterTermList,
    ImageLabelThreshold,
    ModelLicense,
    OrganisationProfile,
    Outcome,
    PolicyKind,
    PolicyVersion,
    UsagePolicy,
)

SYSTEM_ACTOR = "system"


# --- decisions ---------------------------------------------------------------


def decision_record(
    *,
    actor: User | None,
    stage: str,
    verdict: gate.Verdict,
    project: Project | None,
    route: ModelRoute | None = None,
    job: GenerationJob | None = None,
) -> Decision:
    """Store what the gate decided and audit it, in the caller's transaction."""
    decision = Decision.objects.create(
        stage=stage,
        outcome=Outcome.ALLOWED if verdict.allowed else Outcome.REFUSED,
        project=project,
        job=job,
        actor=actor,
        actor_username=actor.get_username() if actor else SYSTEM_ACTOR,
        route=route.name if route else "",
        rules=[rule.as_dict() for rule in verdict.rules],
        policy_versions=verdict.versions,
        filter_scores=verdict.scores,
    )
    audit_record(
        actor=actor,
        actor_username=None if actor else SYSTEM_ACTOR,
        action="policy.decision",
        target=job or decision,
        project=project,
        payload={
            "decision": str(decision.pk),
            "stage": stage,
            "outcome": decision.outcome,
            "rules": [{"code": r.code, "category": r.category} for r in verdict.rules],
            "policy_versions": verdict.versions,
        },
    )
    return decision


def decision_attach_job(*, decision: Decision, job: GenerationJob) -> None:
    """The request-stage decision is taken before its job exists; link them once it does."""
    Decision.objects.filter(pk=decision.pk).update(job=job)


# --- versioned edits ---------------------------------------------------------


def _snapshot(instance: models.Model) -> dict[str, Any]:
    data = model_to_dict(instance)
    data.pop("version", None)
    for name, value in list(data.items()):
        if isinstance(value, list):
            data[name] = sorted(v.pk if isinstance(v, models.Model) else v for v in value)
        elif not isinstance(value, str | int | float | bool | dict | type(None)):
            data[name] = str(value)
    return data


def _filters_snapshot() -> dict[str, Any]:
    return {
        "settings": _snapshot(gate.filter_settings()),
        "categories": [_snapshot(c) for c in FilterCategory.objects.order_by("slug")],
        "term_lists": {
            f"{row.category.slug}:{row.language}": _snapshot(row)
            for row in FilterTermList.objects.select_related("category")
        },
        "registers": {r.slug: _snapshot(r) for r in FilterRegister.objects.all()},
        "image_thresholds": {t.label: t.threshold for t in ImageLabelThreshold.objects.all()},
    }


def _key_of(instance: models.Model) -> tuple[str, str]:
    if isinstance(instance, ModelLicense):
        return PolicyKind.LICENSE, f"license:{instance.pk}"
    if isinstance(instance, UsagePolicy):
        return PolicyKind.USAGE, instance.key
    if isinstance(instance, OrganisationProfile):
        return PolicyKind.ORGANISATION, "organisation"
    return PolicyKind.FILTERS, "filters"


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


@transaction.atomic
def policy_save(
    *,
    actor: User | None,
    instance: models.Model,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    delete: bool = False,
) -> PolicyVersion:
    """Save (or delete) an edited policy object as a new version.

    `instance` carries the edited field values; the stored row is read again
    for the "before" side. Licenses, organisation and usage policies are
    versioned on their own; filter settings, categories and image thresholds
    share the "filters" version. Every edit is audited with before/after.
    """
    kind, key = _key_of(instance)
    is_filters = kind == PolicyKind.FILTERS
    model = type(instance)
    stored = model._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    before = _filters_snapshot() if is_filters else (_snapshot(stored) if stored else {})

    if delete:
        pk = instance.pk
        instance.delete()
        instance.pk = pk  # so the audit event still names the row that was removed
    else:
        instance.full_clean(validate_unique=True)
        if isinstance(instance, ModelLicense):
            instance.text_sha256 = (
                hashlib.sha256(instance.text.encode()).hexdigest() if instance.text else ""
            )
        instance.save()
        for name, values in (m2m or {}).items():
            getattr(instance, name).set(values)
        kind, key = _key_of(instance)  # a new row has its pk (and key) only now
    if isinstance(instance, FilterSettings | ModelLicense) and not delete:
        check_safeguards_kept()

    versioned: Any = gate.filter_settings() if is_filters else instance
    if delete and not is_filters:
        # The row is gone; its deletion is its last version, with nothing after.
        version = (getattr(stored, "version", 0) if stored else 0) + 1
        after: dict[str, Any] = {}
    else:
        version = _next_version(versioned)
        after = _filters_snapshot() if is_filters else _snapshot(versioned)
    project = getattr(instance, "project", None)
    snapshot = _record_version(
        actor=actor,
        kind=kind,
        key=key,
        version=version,
        versioned=versioned,
        after=after,
        project=project if isinstance(project, Project) else None,
        payload={
            "object": f"{model._meta.model_name}:{instance.pk}",
            "deleted": delete,
            "changes": _diff(before, after) if not is_filters else _filters_diff(before, after),
        },
    )
    if is_filters:
        gate.prompt_filters.clear()
    return snapshot


def _next_version(versioned: Any) -> int:
    """Bump the version counter of the row that carries it, under a row lock."""
    manager = type(versioned)._default_manager
    version = int(manager.select_for_update().get(pk=versioned.pk).version) + 1
    manager.filter(pk=versioned.pk).update(version=version)
    versioned.version = version
    return version


def _record_version(
    *,
    actor: User | None,
    kind: str,
    key: str,
    version: int,
    versioned: Any,
    after: dict[str, Any],
    project: Project | None,
    payload: dict[str, Any],
) -> PolicyVersion:
    """The immutable snapshot of a new version and its `policy.edit` audit event."""
    snapshot = PolicyVersion.objects.create(
        kind=kind,
        key=key,
        version=version,
        snapshot=after,
        created_by=actor,
        created_by_username=actor.get_username() if actor else SYSTEM_ACTOR,
    )
    audit_record(
        actor=actor,
        actor_username=None if actor else SYSTEM_ACTOR,
        action="policy.edit",
        target=versioned,
        target_label=f"{key} v{version}",
        project=project,
        payload={"key": key, "version": version, **payload},
    )
    return snapshot


def _filters_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    settings_diff = _diff(before.get("settings", {}), after["settings"])
    if settings_diff:
        changes["settings"] = settings_diff
    old = {c["slug"]: c for c in before.get("categories", [])}
    new = {c["slug"]: c for c in after["categories"]}
    for slug in sorted(old.keys() | new.keys()):
        if old.get(slug) != new.get(slug):
            changes[f"category:{slug}"] = _diff(old.get(slug, {}), new.get(slug, {})) or {
                "deleted": True
            }
    for name in ("term_lists", "registers"):
        old_rows, new_rows = before.get(name, {}), after.get(name, {})
        for key in sorted(old_rows.keys() | new_rows.keys()):
            if old_rows.get(key) != new_rows.get(key):
                changes[f"{name}:{key}"] = _diff(old_rows.get(key, {}), new_rows.get(key, {})) or {
                    "deleted": True
                }
    if before.get("image_thresholds") != after["image_thresholds"]:
        changes["image_thresholds"] = {
            "before": before.get("image_thresholds"),
            "after": after["image_thresholds"],
        }
    return changes


# --- safeguards --------------------------------------------------------------


def route_safeguard_errors(route: ModelRoute) -> list[str]:
    """Why this route may not be enabled: its license needs a filter that is off."""
    lic = gate.license_for(route)
    if lic is None:
        return []
    flt = gate.filter_settings()
    errors = []
    if lic.requires_prompt_filter and not flt.prompt_filter_enabled:
        errors.append(f"{lic.name} requires the prompt filter, which is switched off.")
    if lic.requires_image_filter and not flt.image_filter_enabled:
        errors.append(f"{lic.name} requires the image filter, which is switched off.")
    return errors


def check_safeguards_kept() -> None:
    """Refuse any state in which an enabled route runs without its required safeguards."""
    for route in ModelRoute.objects.filter(enabled=True).select_related("weights"):
        errors = route_safeguard_errors(route)
        if errors:
            raise ValidationError(
                f"The route '{route.name}' is enabled and {errors[0][0].lower()}{errors[0][1:]} "
                "Disable the route first, or keep the filter on."
            )


@transaction.atomic
def route_set_enabled(*, actor: User | None, route: ModelRoute, enabled: bool) -> ModelRoute:
    """Enable or disable a route; a route whose license needs filters that are off stays off."""
    if enabled:
        errors = route_safeguard_errors(route)
        if errors:
            raise ValidationError({"enabled": errors})
    before = route.enabled
    ModelRoute.objects.filter(pk=route.pk).update(enabled=enabled)
    route.enabled = enabled
    audit_record(
        actor=actor,
        actor_username=None if actor else SYSTEM_ACTOR,
        action="setting.edit",
        target=route,
        payload={"enabled": {"before": before, "after": enabled}},
    )
    return route


# --- term lists in every language ---------------------------------------------


@transaction.atomic(durable=True)
def filter_lexicon_import(*, actor: User | None, lexicon: Mapping[str, Any]) -> PolicyVersion:
    """Replace the named term lists and registers with an imported document's.

    `lexicon` is the output of `lexicon_io.lexicon_parse` (already checked).
    Lists and registers the document does not name are left as they are. The
    whole import is one new filters version, audited with before/after.
    """
    before = _filters_snapshot()
    categories = {c.slug: c for c in FilterCategory.objects.all()}
    for slug, register in lexicon.get("registers", {}).items():
        FilterRegister.objects.update_or_create(
            slug=slug,
            defaults={"label": register["label"], "entries": "\n".join(register["entries"])},
        )
    for language, per_category in lexicon.get("lists", {}).items():
        for slug, rules in per_category.items():
            groups = rules["cooccurrence"]
            FilterTermList.objects.update_or_create(
                category=categories[slug],
                language=language,
                defaults={
                    "terms": "\n".join(rules["terms"]),
                    "exceptions": "\n".join(rules["exceptions"]),
                    "group_a": "\n".join(groups[0]),
                    "group_b": "\n".join(groups[1]),
                },
            )
    settings_row = gate.filter_settings()
    version = _next_version(settings_row)
    after = _filters_snapshot()
    snapshot = _record_version(
        actor=actor,
        kind=PolicyKind.FILTERS,
        key="filters",
        version=version,
        versioned=settings_row,
        after=after,
        project=None,
        payload={
            "object": "lexicon-import",
            "deleted": False,
            "changes": _filters_diff(before, after),
        },
    )
    transaction.on_commit(gate.prompt_filters.clear)
    return snapshot
