"""Writes for generation jobs: request, claim, progress, completion, failure, sweeping.

Every state change is a compare-and-set on (status, attempts) so a worker
that lost its job (killed, timed out, swept) can never overwrite the work of
the worker that took over.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.assets.models import Asset
from apps.assets.services import asset_create_from_png
from apps.audit.services import audit_record
from apps.core.exceptions import PermissionDenied
from apps.projects.models import Perm, Project
from apps.prompts.models import PromptTemplateVersion
from apps.prompts.rendering import render

from .models import FINAL_STATES, GenerationJob, JobStage, JobStatus, ModelRoute, ModelWeights

logger = logging.getLogger(__name__)

JobId = UUID | str
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


SYSTEM_ACTOR = "system"


def _prompt_digest(text: str) -> str:
    """Audit events are append-only, so they keep a hash of prompt text, never the
    text itself, which data-handling policy may require redacting later."""
    return hashlib.sha256(text.encode()).hexdigest()


def generation_request(*, actor: User, project: Project, params: GenerationParams) -> GenerationJob:
    """Validate a request completely, then create the job and publish it after commit.

    Raises ValidationError with field errors (nothing written, nothing queued)
    or PermissionDenied when the actor's role does not allow generating; the
    refusal is audited.
    """
    if not actor.has_perm(Perm.GENERATE, project):
        audit_record(
            actor=actor,
            action="generation.refuse",
            project=project,
            target=project,
            payload={"reason": "role does not allow generating", "route": params.route},
        )
        raise PermissionDenied("Only creators, reviewers and managers can generate in a project.")
    return _generation_create(actor=actor, project=project, params=params)


@transaction.atomic
def _generation_create(*, actor: User, project: Project, params: GenerationParams) -> GenerationJob:
    errors: dict[str, list[str]] = {}
    route = ModelRoute.objects.select_related("weights").filter(name=params.route).first()
    if route is None or not route.enabled:
        errors["route"] = [f"There is no enabled route called '{params.route}'."]
    version = params.template_version
    if version is not None and version.template.project_id != project.pk:
        errors["template"] = ["That template does not belong to this project."]
    prompt, negative = _resolve_prompt(params, errors)
    if route is None or not route.enabled:
        raise ValidationError(errors)
    steps, guidance, seed = _validate_route_params(route, params, errors)
    if errors:
        raise ValidationError(errors)

    job = GenerationJob.objects.create(
        project=project,
        created_by=actor,
        route=route,
        template_version=version,
        variables=params.variables or {},
        prompt=prompt,
        negative_prompt=negative,
        seed=seed,
        steps=steps,
        guidance=guidance,
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
            "prompt_sha256": _prompt_digest(prompt),
            "seed": seed,
            "steps": steps,
            "guidance": guidance,
            "size": [params.width, params.height],
        },
    )
    job_id, queue = job.pk, route.queue
    transaction.on_commit(lambda: job_publish(job_id=job_id, queue=queue))
    return job


def job_publish(*, job_id: JobId, queue: str) -> None:
    """Send the job to its route's queue; a broker failure fails the job visibly."""
    from .tasks import generate_image

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


class Claim(enum.Enum):
    CLAIMED = "claimed"
    BUSY = "busy"  # another worker holds it and is alive
    GONE = "gone"  # finished, failed or deleted: nothing to do


@dataclass(frozen=True)
class ClaimResult:
    outcome: Claim
    attempt: int = 0


def generation_claim(*, job_id: JobId, worker: str) -> ClaimResult:
    """Take a job: QUEUED, or RUNNING under a worker whose heartbeat went stale.

    The stale case is how a job survives its worker being killed: the broker
    redelivers the message, and the new worker takes over only once the old
    heartbeat has stopped.
    """
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.GENERATION_STALE_AFTER_SECONDS)
    with transaction.atomic():
        job = (
            GenerationJob.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.is_final:
            return ClaimResult(Claim.GONE)
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at > stale_before:
            return ClaimResult(Claim.BUSY)
        if job.attempts >= settings.GENERATION_MAX_ATTEMPTS:
            # A job that keeps killing its worker must not take the fleet down with it.
            generation_fail(
                job_id=job_id,
                attempt=None,
                reason=f"The GPU worker stopped {job.attempts} times while running this job; "
                "it was not tried again. Try a smaller size or fewer steps, or ask an "
                "administrator to check the workers.",
            )
            return ClaimResult(Claim.GONE)
        attempt = job.attempts + 1
        audit_record(
            actor=None,
            actor_username=SYSTEM_ACTOR,
            action="generation.start",
            target=job,
            project=job.project,
            payload={"worker": worker, "attempt": attempt, "took_over": job.attempts > 0},
        )
        GenerationJob.objects.filter(pk=job_id).update(
            status=JobStatus.RUNNING,
            stage=JobStage.ENCODING,
            progress_step=0,
            attempts=attempt,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
        )
    return ClaimResult(Claim.CLAIMED, attempt)


def _running(job_id: JobId, attempt: int) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)


def generation_record_runtime(*, job_id: JobId, attempt: int, runtime: dict[str, object]) -> bool:
    """Record which model, versions and device are about to run the job."""
    return bool(_running(job_id, attempt).update(**runtime, heartbeat_at=timezone.now()))


def generation_progress(
    *, job_id: JobId, attempt: int, stage: str, step: int | None = None
) -> bool:
    """Report progress; False means this worker no longer owns the job and should stop."""
    fields: dict[str, object] = {"stage": stage, "heartbeat_at": timezone.now()}
    if step is not None:
        fields["progress_step"] = step
    return bool(_running(job_id, attempt).update(**fields))


def generation_heartbeat(*, job_id: JobId, attempt: int) -> bool:
    return bool(_running(job_id, attempt).update(heartbeat_at=timezone.now()))


@transaction.atomic
def generation_complete(
    *, job_id: JobId, attempt: int, png: bytes, first_image_at: datetime
) -> Asset | None:
    """Store the image and finish the job, exactly once across redeliveries.

    Returns None (and stores nothing) when another attempt owns the job now.
    """
    job = (
        GenerationJob.objects.select_for_update()
        .select_related("project")
        .filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)
        .first()
    )
    if job is None:
        return None
    asset = asset_create_from_png(job=job, png=png)
    audit_record(
        actor=None,
        actor_username=SYSTEM_ACTOR,
        action="generation.complete",
        target=job,
        project=job.project,
        payload={"attempt": attempt, "asset": str(asset.pk), "sha256": asset.sha256},
    )
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        stage=JobStage.DONE,
        progress_step=job.steps,
        first_image_at=first_image_at,
        finished_at=now,
        heartbeat_at=now,
    )
    return asset


def generation_fail(*, job_id: JobId, attempt: int | None, reason: str) -> bool:
    """Fail a job with a reason the user can read.

    `attempt=None` fails it from any non-final state (publishing, sweeping).
    """
    with transaction.atomic():
        qs = GenerationJob.objects.filter(pk=job_id).exclude(status__in=FINAL_STATES)
        if attempt is not None:
            qs = qs.filter(status=JobStatus.RUNNING, attempts=attempt)
        job = qs.select_for_update(of=("self",)).select_related("project").first()
        if job is None:
            return False
        reason = reason[:2000]
        GenerationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, failure_reason=reason, finished_at=timezone.now()
        )
        audit_record(
            actor=None,
            actor_username=SYSTEM_ACTOR,
            action="generation.fail",
            target=job,
            project=job.project,
            payload={"attempt": job.attempts, "reason": reason},
        )
    return True


_SILENT_REASON = (
    "The GPU worker stopped responding and no other worker took the job over. "
    "Generate again; if it keeps happening, ask an administrator to check the workers."
)
_UNTAKEN_REASON = "No GPU worker picked the job up in time: the workers for this route may be down."


def generation_sweep_stuck(*, now: datetime | None = None) -> int:
    """Fail jobs nobody is working on: silent RUNNING ones and QUEUED ones never taken."""
    now = now or timezone.now()
    silent_before = now - timedelta(seconds=settings.GENERATION_ABANDON_AFTER_SECONDS)
    queued_before = now - timedelta(seconds=settings.GENERATION_QUEUE_TIMEOUT_SECONDS)
    silent = GenerationJob.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=silent_before
    ).values_list("pk", flat=True)
    never_taken = GenerationJob.objects.filter(
        status=JobStatus.QUEUED, created_at__lt=queued_before
    ).values_list("pk", flat=True)
    stuck = [(pk, _SILENT_REASON) for pk in silent] + [(pk, _UNTAKEN_REASON) for pk in never_taken]
    # One at a time, each with its audit event; a job that moved meanwhile is skipped.
    failed = sum(generation_fail(job_id=pk, attempt=None, reason=why) for pk, why in stuck)
    if failed:
        logger.warning("Swept %d stuck generation job(s)", failed)
    return failed


# Defaults follow each checkpoint's model card: the distilled Turbo runs 8
# steps without guidance; Raw (the base) runs 28 steps at guidance 4.5.
# Leaving them to diffusers' defaults (28 / 4.5) would make drafts 7x slower.
ROUTE_PRESETS: dict[str, dict[str, object]] = {
    "draft": {
        "label": "Draft (Krea 2 Turbo, 8 steps)",
        "queue": "gpu-draft",
        "steps": 8,
        "min_steps": 4,
        "max_steps": 12,
        "guidance": 0.0,
        "min_guidance": 0.0,
        "max_guidance": 2.0,
    },
    "final": {
        "label": "Final (Krea 2 Raw, 28 steps)",
        "queue": "gpu-final",
        "steps": 28,
        "min_steps": 12,
        "max_steps": 50,
        "guidance": 4.5,
        "min_guidance": 1.0,
        "max_guidance": 10.0,
    },
}
DEFAULT_SIZES = [[1024, 1024], [1344, 768], [768, 1344], [512, 512]]


@transaction.atomic
def route_configure(
    *, name: str, weights: ModelWeights, sizes: list[list[int]] | None = None, **overrides: object
) -> ModelRoute:
    """Create or update a route from its preset, with explicit overrides."""
    fields = dict(ROUTE_PRESETS.get(name, {}))
    fields.update(overrides)
    fields["weights"] = weights
    fields["allowed_sizes"] = sizes or DEFAULT_SIZES
    fields.setdefault("label", name)
    fields.setdefault("queue", f"gpu-{name}")
    route, _ = ModelRoute.objects.update_or_create(name=name, defaults=fields)
    return route
