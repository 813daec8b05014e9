from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied
from apps.projects.models import Perm, Project

from .models import PromptTemplate, PromptTemplateVersion
from .rendering import template_variables


def _validated_body(body: str) -> tuple[str, list[str]]:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "The template text is empty."})
    limit = settings.GENERATION_PROMPT_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            {"body": f"The template is {len(body)} characters; the limit is {limit}."}
        )
    try:
        names = template_variables(body)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from exc
    return body, names


def _check_policy(actor: User, project: Project, body: str, negative_prompt: str) -> None:
    """Template text passes the prompt filter when saved, so refused wording never
    becomes a template; the refusal is stored and audited, without the text."""
    from apps.policies import gate
    from apps.policies.models import Stage
    from apps.policies.services import decision_record

    verdict = gate.evaluate_template(body=body, negative_prompt=negative_prompt, project=project)
    if verdict.allowed:
        return
    with transaction.atomic():
        decision_record(actor=actor, stage=Stage.TEMPLATE, verdict=verdict, project=project)
    errors: dict[str, list[str]] = {}
    for rule in verdict.rules:
        field = {"template": "body", "negative_prompt": "negative_prompt"}.get(rule.field, "body")
        errors.setdefault(field, []).append(rule.message)
    raise ValidationError(errors)


def _require_generate(actor: User, project: Project) -> None:
    if not actor.has_perm(Perm.GENERATE, project):
        raise PermissionDenied("Only creators, reviewers and managers can edit templates.")


def template_create(
    *, actor: User, project: Project, name: str, body: str, negative_prompt: str = ""
) -> PromptTemplate:
    """Checks first (a policy refusal must keep its own record), then one transaction."""
    _require_generate(actor, project)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    body, names = _validated_body(body)
    _check_policy(actor, project, body, negative_prompt)
    with transaction.atomic():
        if PromptTemplate.objects.filter(project=project, name=name).exists():
            raise ValidationError({"name": "This project already has a template with that name."})
        template = PromptTemplate.objects.create(project=project, name=name, created_by=actor)
        version = PromptTemplateVersion.objects.create(
            template=template,
            number=1,
            body=body,
            negative_prompt=negative_prompt.strip(),
            variables=names,
            created_by=actor,
        )
        _audit_version(actor, version, "template.create")
    return template


def _audit_version(actor: User, version: PromptTemplateVersion, action: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=version.template,
        project=version.template.project,
        payload={
            "version": version.number,
            "after": {"body": version.body, "negative_prompt": version.negative_prompt},
        },
    )


def template_version_create(
    *, actor: User, template: PromptTemplate, body: str, negative_prompt: str = ""
) -> PromptTemplateVersion:
    """Add a revision; earlier versions stay as they were so old jobs stay explainable."""
    _require_generate(actor, template.project)
    body, names = _validated_body(body)
    _check_policy(actor, template.project, body, negative_prompt)
    with transaction.atomic():
        # Lock the template row so two editors cannot both take the same number.
        PromptTemplate.objects.select_for_update().get(pk=template.pk)
        last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = PromptTemplateVersion.objects.create(
            template=template,
            number=last + 1,
            body=body,
            negative_prompt=negative_prompt.strip(),
            variables=names,
            created_by=actor,
        )
        _audit_version(actor, version, "template.version")
    return version
