"""Requests for generation: validate, pass the policy gate, create the job, publish.

A request either becomes a queued job with its allowed Decision, or is
refused with nothing queued: a validation error writes nothing, a policy
refusal writes only its Decision and audit events.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.assets.models import Asset
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied, PolicyRefused
from apps.projects.models import Perm, Project
from apps.prompts.models import PromptTemplateVersion
from apps.prompts.rendering import render

from ..models import GenerationJob, ModelRoute
from .lifecycle import generation_fail

logger = logging.getLogger(__name__)

SEED_MAX = 2**53 - 1  # exact in JSON and JavaScript numbers
SIZE_MULTIPLE = 16  # VAE factor 8 x patch size 2


@dataclass(frozen=True)
class GenerationParams:
    """What a user may choose; anything left None takes the route's value."""

    route: str
    width: int
    height: int
    prompt: str = ""
    negative_prompt: str | None = None
    template_version: PromptTemplateVersion | None = None
    variables: dict[str, str] | None = None
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    parent_asset: Asset | None = None  # set by regeneration: the lineage link


def _resolve_prompt(params: GenerationParams, errors: dict[str, list[str]]) -> tuple[str, str]:
    version = params.template_version
    negative = params.negative_prompt
    if version is not None:
        try:
            prompt = render(version.body, params.variables or {})
        except ValidationError as exc:
            errors.setdefault("variables", []).extend(exc.messages)
            prompt = ""
        if negative is None:
            negative = version.negative_prompt
    else:
        if params.variables:
            errors.setdefault("variables", []).append(
                "Variables were given but no template was chosen."
            )
        prompt = params.prompt.strip()
    limit = settings.GENERATION_PROMPT_MAX_CHARS
    if version is None and not prompt:
        errors.setdefault("prompt", []).append("Write a prompt or choose a template.")
    if len(prompt) > limit:
        errors.setdefault("prompt", []).append(
            f"The prompt is {len(prompt)} characters; the limit is {limit}."
        )
    negative = (negative or "").strip()
    if len(negative) > limit:
        errors.setdefault("negative_prompt", []).append(
            f"The negative prompt is {len(negative)} characters; the limit is {limit}."
        )
    return prompt, negative


def _validate_route_params(
    route: ModelRoute, params: GenerationParams, errors: dict[str, list[str]]
) -> tuple[int, float, int]:
    w, h = params.width, params.height
    if w % SIZE_MULTIPLE or h % SIZE_MULTIPLE:
        errors.setdefault("size", []).append(
            f"{w}x{h} is not a multiple of {SIZE_MULTIPLE} on both sides."
        )
    elif (w, h) not in route.sizes:
        allowed = ", ".join(f"{a}x{b}" for a, b in route.sizes)
        errors.setdefault("size", []).append(f"{route.label} allows {allowed}; not {w}x{h}.")
    steps = route.steps if params.steps is None else params.steps
    if not route.min_steps <= steps <= route.max_steps:
        errors.setdefault("steps", []).append(
            f"Steps must be between {route.min_steps} and {route.max_steps} on {route.label}."
        )
    guidance = route.guidance if params.guidance is None else params.guidance
    if not route.min_guidance <= guidance <= route.max_guidance:
        errors.setdefault("guidance", []).append(
            f"Guidance must be between {route.min_guidance:g} and {route.max_guidance:g} "
            f"on {route.label}."
        )
    seed = secrets.randbelow(SEED_MAX + 1) if params.seed is None else params.seed
    if not 0 <= seed <= SEED_MAX:
        errors.setdefault("seed", []).append(f"The seed must be between 0 and {SEED_MAX}.")
    return steps, guidance, seed


def _prompt_digest(text: str) -> str:
    """Audit events are append-only, so they keep a hash of prompt text, never the
    text itself, which data-handling policy may require redacting later."""
    return hashlib.sha256(text.encode()).hexdigest()


def generation_request(*, actor: User, project: Project, params: GenerationParams) -> GenerationJob:
    """Validate a request completely, pass it through the policy gate, then create
    the job and publish it after commit.

    Raises ValidationError with field errors (nothing written, nothing
    queued), PermissionDenied when the actor's role does not allow generating,
    or PolicyRefused when the gate refuses; both refusals are audited, and a
    policy refusal also leaves its stored Decision.
    """
    from apps.policies import gate
    from apps.policies.models import Stage
    from apps.policies.services import decision_record

    if not actor.has_perm(Perm.GENERATE, project):
        audit_record(
            actor=actor,
            action="generation.refuse",
            project=project,
            target=project,
            payload={"reason": "role does not allow generating", "route": params.route},
        )
        raise PermissionDenied("Only creators, reviewers and managers can generate in a project.")
    request = _validated(project=project, params=params)
    verdict = gate.evaluate_generation(
        project=project,
        route=request.route,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        width=params.width,
        height=params.height,
        steps=request.steps,
    )
    if not verdict.allowed:
        with transaction.atomic():
            decision = decision_record(
                actor=actor,
                stage=Stage.REQUEST,
                verdict=verdict,
                project=project,
                route=request.route,
            )
            audit_record(
                actor=actor,
                action="generation.refuse",
                project=project,
                target=project,
                payload={
                    "reason": "policy",
                    "decision": str(decision.pk),
                    "route": request.route.name,
                    "prompt_sha256": _prompt_digest(request.prompt),
                },
            )
            from apps.webhooks.services import webhook_emit

            webhook_emit(
                project=project,
                event="job.refused",
                payload={
                    "job": None,
                    "stage": "request",
                    "decision": str(decision.pk),
                    "rules": [rule.code for rule in verdict.rules],
                },
            )
        raise PolicyRefused(
            "This generation was refused by policy.",
            rules=[rule.as_dict() for rule in verdict.rules],
            decision_id=str(decision.pk),
        )
    with transaction.atomic():
        job = _generation_create(actor=actor, project=project, params=params, request=request)
        decision_record(
            actor=actor,
            stage=Stage.REQUEST,
            verdict=verdict,
            project=project,
            route=request.route,
            job=job,
        )
    return job


@dataclass(frozen=True)
class _Validated:
    route: ModelRoute
    prompt: str
    negative_prompt: str
    steps: int
    guidance: float
    seed: int


def _validated(*, project: Project, params: GenerationParams) -> _Validated:
    """Every field error at once, before the gate spends time on the prompt."""
    errors: dict[str, list[str]] = {}
    route = ModelRoute.objects.select_related("weights").filter(name=params.route).first()
    if route is None or not route.enabled:
        errors["route"] = [f"There is no enabled route called '{params.route}'."]
    version = params.template_version
    if version is not None and version.template.project_id != project.pk:
        errors["template"] = ["That template does not belong to this project."]
    parent = params.parent_asset
    if parent is not None and parent.project_id != project.pk:
        errors["parent"] = ["That asset does not belong to this project."]
    prompt, negative = _resolve_prompt(params, errors)
    if route is None or not route.enabled:
        raise ValidationError(errors)
    steps, guidance, seed = _validate_route_params(route, params, errors)
    if errors:
        raise ValidationError(errors)
    return _Validated(route, prompt, negative, steps, guidance, seed)


def _generation_create(
    *, actor: User, project: Project, params: GenerationParams, request: _Validated
) -> GenerationJob:
    route, version = request.route, params.template_version
    job = GenerationJob.objects.create(
        project=project,
        created_by=actor,
        route=route,
        template_version=version,
        variables=params.variables or {},
        parent_asset=params.parent_asset,
        prompt=request.prompt,
        prompt_sha256=_prompt_digest(request.prompt),
        negative_prompt=request.negative_prompt,
        seed=request.seed,
        steps=request.steps,
        guidance=request.guidance,
        width=params.width,
        height=params.height,
    )
    audit_record(
        actor=actor,
        action="generation.request",
        target=job,
        project=project,
        payload={
            "route": route.name,
            "template_version": version.pk if version else None,
            "parent_asset": str(params.parent_asset.pk) if params.parent_asset else None,
            "prompt_sha256": job.prompt_sha256,
            "seed": request.seed,
            "steps": request.steps,
            "guidance": request.guidance,
            "size": [params.width, params.height],
        },
    )
    job_id, queue = job.pk, route.queue
    transaction.on_commit(lambda: job_publish(job_id=job_id, queue=queue))
    return job


def job_publish(*, job_id: UUID | str, queue: str) -> None:
    """Send the job to its route's queue; a broker failure fails the job visibly."""
    from ..tasks import generate_image

    # Stamped before sending: a fast worker may start the job before send returns.
    published_at = timezone.now()
    try:
        generate_image.apply_async(args=[str(job_id)], queue=queue)
    except Exception as exc:  # noqa: BLE001 - any broker error must surface on the job
        logger.exception("Could not publish job %s", job_id)
        generation_fail(job_id=job_id, attempt=None, reason=f"Could not reach the job queue: {exc}")
        return
    GenerationJob.objects.filter(pk=job_id, published_at__isnull=True).update(
        published_at=published_at
    )


def generation_regenerate(
    *,
    actor: User,
    asset: Asset,
    route: str | None = None,
    prompt: str | None = None,
    negative_prompt: str | None = None,
    variables: dict[str, str] | None = None,
    seed: int | None = None,
    keep_seed: bool = True,
    steps: int | None = None,
    guidance: float | None = None,
) -> GenerationJob:
    """Generate again from an asset with adjustments; the new job names it as parent.

    Unchanged fields carry over (a template job keeps its template version and
    re-renders with the new variables; a new prompt replaces the template).
    Promoting a draft to a final is `route="final"`: steps and guidance then
    take the final route's values unless given. Same checks as any request.
    """
    job = asset.job
    same_route = route is None or route == job.route.name
    version = job.template_version if prompt is None else None
    if prompt is None and version is None:
        if job.prompt_redacted_at is not None:
            raise ValidationError(
                {
                    "prompt": "The original prompt was redacted under data-handling policy; "
                    "write a new one."
                }
            )
        prompt = job.prompt
    params = GenerationParams(
        route=route or job.route.name,
        width=job.width,
        height=job.height,
        prompt=prompt or "",
        negative_prompt=job.negative_prompt if negative_prompt is None else negative_prompt,
        template_version=version,
        variables=(job.variables if variables is None else variables) if version else None,
        seed=seed if seed is not None else (job.seed if keep_seed else None),
        steps=steps if steps is not None else (job.steps if same_route else None),
        guidance=guidance if guidance is not None else (job.guidance if same_route else None),
        parent_asset=asset,
    )
    return generation_request(actor=actor, project=asset.project, params=params)
