"""The policy gate: read the rules in force and judge one generation against them.

Reading only; `services` stores the verdict as a Decision. The same
evaluation runs on request (before anything is queued) and in the worker just
before the pipeline (policy may have changed in between). Every check fails
closed: missing license, unknown organisation size, a filter that cannot load.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone
from PIL import Image

from apps.generation.models import ModelRoute
from apps.projects.models import Project

from .filters.base import FilterResult, FilterUnavailable, Hit
from .filters.image import ImageClassifier, image_check, load_classifier
from .filters.language import SUPPORTED as SUPPORTED_LANGUAGES
from .filters.prompt import CategoryRules, PromptFilter, PromptFilterConfig
from .filters.semantic import Embedder, SentenceTransformerEmbedder
from .models import (
    CommercialUse,
    FilterCategory,
    FilterRegister,
    FilterSettings,
    FilterTermList,
    ImageLabelThreshold,
    IntendedUse,
    ModelLicense,
    OrganisationProfile,
    UsagePolicy,
)

PII_GUIDANCE = (
    "Remove personal data (e-mail addresses, phone numbers, card, bank or ID numbers) "
    "from the text."
)


@dataclass(frozen=True)
class Rule:
    """One reason for a refusal, safe to show: it never quotes the blocked text."""

    code: str
    message: str
    category: str = ""
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class Verdict:
    rules: list[Rule] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return not self.rules

    def refuse(self, code: str, message: str, **extra: str) -> None:
        self.rules.append(Rule(code=code, message=message, **extra))


# --- the rules in force ------------------------------------------------------


def filter_settings() -> FilterSettings:
    settings_row, _ = FilterSettings.objects.get_or_create(pk=1)
    return settings_row


def organisation() -> OrganisationProfile:
    profile, _ = OrganisationProfile.objects.get_or_create(pk=1)
    return profile


def usage_policy_for(project: Project | None) -> UsagePolicy:
    """The project's own policy, else the site default (created on first use)."""
    if project is not None:
        own = UsagePolicy.objects.filter(project=project).first()
        if own is not None:
            return own
    default, _ = UsagePolicy.objects.get_or_create(project=None)
    return default


def license_for(route: ModelRoute) -> ModelLicense | None:
    return route.weights.licenses.order_by("pk").first()


def prompt_filter_config(settings_row: FilterSettings) -> PromptFilterConfig:
    lists: dict[int, dict[str, Any]] = {}
    for row in FilterTermList.objects.all():
        lists.setdefault(row.category_id, {})[row.language] = {
            "terms": _lines(row.terms),
            "exceptions": _lines(row.exceptions),
            "cooccurrence": [_lines(row.group_a), _lines(row.group_b)],
        }
    categories = tuple(
        CategoryRules.from_dict(
            {
                "slug": c.slug,
                "label": c.label,
                "terms": _lines(c.terms),
                "examples": _lines(c.examples),
                "counter_examples": _lines(c.counter_examples),
                "semantic_threshold": c.semantic_threshold,
                "multilingual_threshold": c.multilingual_threshold,
                "semantic_needs_indicator": c.semantic_needs_indicator,
                "check_negative": c.check_negative,
                "guidance": c.guidance,
                "cooccurrence": c.cooccurrence or None,
                "exceptions": _lines(c.exceptions),
                "languages": lists.get(c.pk, {}),
            }
        )
        for c in FilterCategory.objects.filter(enabled=True)
    )
    return PromptFilterConfig(
        categories=categories,
        pii_detectors=frozenset(settings_row.pii_detectors or ()),
        semantic=settings_row.semantic_check_enabled,
        registers=tuple((r.slug, _lines(r.entries)) for r in FilterRegister.objects.all()),
    )


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _embedder(config: PromptFilterConfig) -> Embedder | None:
    """None lets the filter load the shared packaged model on first use.

    POLICY_EMBEDDING_MODEL_DIR points at another sentence-transformers
    directory; one that cannot load makes the filter unavailable (fail closed).
    """
    path = django_settings.POLICY_EMBEDDING_MODEL_DIR
    if not path or not config.semantic:
        return None
    try:
        return _embedder_at(str(path))
    except Exception as exc:  # noqa: BLE001 - any load failure must refuse
        raise FilterUnavailable(
            f"The semantic prompt filter could not load its model: {type(exc).__name__}"
        ) from exc


@functools.lru_cache(maxsize=2)
def _embedder_at(path: str) -> Embedder:
    return SentenceTransformerEmbedder(path)


class _FilterCache:
    """One built PromptFilter per filter-configuration version, per process.

    Building one embeds every example phrase; doing that per request would
    cost far more than the check itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[int, PromptFilter] | None = None

    def get(self, settings_row: FilterSettings) -> PromptFilter:
        with self._lock:
            if self._built is None or self._built[0] != settings_row.version:
                config = prompt_filter_config(settings_row)
                built = PromptFilter(config, embedder=_embedder(config))
                self._built = (settings_row.version, built)
            return self._built[1]

    def clear(self) -> None:
        with self._lock:
            self._built = None


prompt_filters = _FilterCache()


# --- the checks --------------------------------------------------------------


def enterprise_license_valid(lic: ModelLicense, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    if not lic.enterprise_license_on_file:
        return False
    return lic.enterprise_license_expires is None or lic.enterprise_license_expires >= today


def check_license(lic: ModelLicense | None, intended_use: str, verdict: Verdict) -> None:
    if lic is None:
        verdict.refuse(
            "license.missing",
            "These model weights have no license on record; a compliance officer must add one "
            "before they can be used.",
        )
        return
    verdict.versions[f"license:{lic.pk}"] = lic.version
    if intended_use != IntendedUse.COMMERCIAL or lic.commercial_use == CommercialUse.ALLOWED:
        return
    if enterprise_license_valid(lic):
        return
    if lic.enterprise_license_on_file:
        verdict.refuse(
            "license.enterprise_expired",
            f"The enterprise license for {lic.name} expired on "
            f"{lic.enterprise_license_expires}; commercial use needs a current one.",
        )
        return
    if lic.commercial_use == CommercialUse.PROHIBITED:
        verdict.refuse(
            "license.commercial_prohibited",
            f"{lic.name} does not allow commercial use without an enterprise license. "
            "Use an exploration project, or ask compliance to record an enterprise license.",
        )
        return
    org = organisation()
    verdict.versions["organisation"] = org.version
    over = _over_thresholds(lic, org)
    if over:
        verdict.refuse(
            "license.threshold",
            f"Commercial use of {lic.name} is limited to organisations {over}; "
            "an enterprise license is needed. Ask compliance to record one.",
        )


def _over_thresholds(lic: ModelLicense, org: OrganisationProfile) -> str:
    """Why the organisation is not (known to be) under the license's thresholds, or ''."""
    reasons = []
    checks = (
        (lic.max_annual_revenue_usd, org.annual_revenue_usd, "with annual revenue up to ${:,}"),
        (lic.max_employees, org.employees, "with up to {:,} employees"),
    )
    for limit, actual, wording in checks:
        if limit is None:
            continue
        # Unknown size is treated as over: the gate fails closed.
        if actual is None or actual > limit:
            reasons.append(wording.format(limit))
    return " and ".join(reasons)


def check_safeguards(lic: ModelLicense | None, flt: FilterSettings, verdict: Verdict) -> None:
    if lic is None:
        return
    if lic.requires_prompt_filter and not flt.prompt_filter_enabled:
        verdict.refuse(
            "safeguard.prompt_filter_off",
            f"{lic.name} requires a prompt filter, and it is switched off.",
        )
    if lic.requires_image_filter and not flt.image_filter_enabled:
        verdict.refuse(
            "safeguard.image_filter_off",
            f"{lic.name} requires an image filter, and it is switched off.",
        )


def check_usage(
    policy: UsagePolicy, route: ModelRoute, width: int, height: int, steps: int, verdict: Verdict
) -> None:
    verdict.versions[policy.key] = policy.version
    allowed = list(policy.allowed_routes.values_list("pk", flat=True))
    if allowed and route.pk not in allowed:
        verdict.refuse(
            "usage.route_not_allowed",
            f"This project's usage policy does not allow the {route.name} route.",
        )
    if width > policy.max_width or height > policy.max_height:
        verdict.refuse(
            "usage.size",
            f"This project allows images up to {policy.max_width}x{policy.max_height}.",
        )
    if steps > policy.max_steps:
        verdict.refuse("usage.steps", f"This project allows at most {policy.max_steps} steps.")


def check_text(
    texts: Mapping[str, str],
    flt: FilterSettings,
    verdict: Verdict,
    *,
    contacts: Iterable[str] = (),
) -> FilterResult | None:
    """Run the prompt filter; an unavailable filter refuses (fails closed).

    `contacts`: the project's registered company contacts, allowed in prompts.
    """
    verdict.versions["filters"] = flt.version
    if not flt.prompt_filter_enabled:
        return None
    try:
        result = prompt_filters.get(flt).check(
            {k: v for k, v in texts.items() if v}, contacts=contacts
        )
    except FilterUnavailable as exc:
        verdict.refuse(
            "filter.unavailable",
            f"The prompt filter is unavailable, so nothing can be generated: {exc}",
        )
        return None
    except Exception as exc:  # noqa: BLE001 - any filter error must refuse, never pass
        verdict.refuse(
            "filter.error",
            f"The prompt filter failed ({type(exc).__name__}), so nothing can be generated.",
        )
        return None
    verdict.scores["prompt"] = {k: round(v, 4) for k, v in result.scores.items()}
    verdict.scores["prompt_filter_ms"] = round(result.elapsed_ms, 2)
    verdict.scores["languages"] = {k: g.as_dict() for k, g in result.languages.items()}
    guidance = {c.slug: (c.label, c.guidance) for c in prompt_filters.get(flt).config.categories}
    for hit in _dedupe(result.hits):
        verdict.refuse(**_text_rule(hit, guidance, result.languages))
    return result


def guard_model() -> Any:
    """The configured guard model, or None when none is configured."""
    path = django_settings.PROMPT_GUARD_MODEL_DIR
    if not path:
        return None
    from .filters.guard import get_guard

    threshold = django_settings.PROMPT_GUARD_UNSAFE_THRESHOLD
    return get_guard(
        path,
        device=django_settings.PROMPT_GUARD_DEVICE,
        dtype=django_settings.PROMPT_GUARD_DTYPE or None,
        flavour=django_settings.PROMPT_GUARD_FLAVOUR,
        unsafe_threshold=float(threshold) if threshold not in ("", None) else None,
        controversial_is_unsafe=django_settings.PROMPT_GUARD_CONTROVERSIAL_IS_UNSAFE,
        category_map=django_settings.PROMPT_GUARD_CATEGORY_MAP or None,
        threads=django_settings.PROMPT_GUARD_THREADS or None,
    )


def check_guard(texts: Mapping[str, str], verdict: Verdict) -> None:
    """Run the guard model where one is configured; unavailable or erroring refuses."""
    try:
        guard = guard_model()
        if guard is None:
            return
        result = guard.check({k: v for k, v in texts.items() if v})
    except FilterUnavailable as exc:
        verdict.refuse(
            "filter.unavailable",
            f"The guard model is unavailable, so nothing can be generated: {exc}",
        )
        return
    except Exception as exc:  # noqa: BLE001 - any filter error must refuse, never pass
        verdict.refuse(
            "filter.error",
            f"The guard model failed ({type(exc).__name__}), so nothing can be generated.",
        )
        return
    verdict.scores["guard_model"] = f"{guard.name}:{guard.version}"
    verdict.scores["guard"] = {k: round(v, 4) for k, v in result.scores.items()}
    for hit in _dedupe(result.hits):
        verdict.refuse(**_text_rule(hit, GUARD_GUIDANCE))


GUARD_GUIDANCE = {
    "guard_other": (
        "the guard model's safety policy",
        "The safety model judged this unsafe; remove what could be harmful.",
    ),
    "guard_unparseable": (
        "the guard model's safety policy",
        "The safety model could not judge this text; rephrase it more plainly.",
    ),
}


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[str, str]] = set()
    out = []
    for hit in hits:
        key = (hit.category, hit.field)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


_FIELD_NAMES = {"prompt": "prompt", "negative_prompt": "negative prompt", "template": "template"}


def _text_rule(
    hit: Hit, guidance: Mapping[str, tuple[str, str]], languages: Mapping[str, Any] | None = None
) -> dict[str, str]:
    where = _FIELD_NAMES.get(hit.field, hit.field)
    guess = (languages or {}).get(hit.field)
    language = SUPPORTED_LANGUAGES.get(getattr(guess, "language", ""), "")
    if language:
        # Which language was judged, so a refusal of localised copy can be checked.
        where = f"{where} (read as {language})"
    if hit.category == "pii" or hit.category.startswith("pii."):
        kind = hit.category.removeprefix("pii.").replace("_", " ")
        message = f"The {where} contains personal data ({kind}). {PII_GUIDANCE}"
    else:
        label, advice = guidance.get(hit.category, (hit.category, ""))
        message = f"The {where} matches the content rule '{label}'. {advice}".strip()
    return {
        "code": f"filter.{hit.filter}",
        "message": message,
        "category": hit.category,
        "field": hit.field,
    }


def evaluate_generation(
    *,
    project: Project,
    route: ModelRoute,
    prompt: str,
    negative_prompt: str,
    width: int,
    height: int,
    steps: int,
    text_cleared_under: int | None = None,
    guard: bool | None = None,
) -> Verdict:
    """Everything the gate checks before a pipeline may run.

    `text_cleared_under`: the filter version under which this very text was
    already allowed (at request time). The filters are deterministic for a
    version, so the worker runs them again only when the version changed;
    every other rule (usage, license and its expiry, safeguards) is judged
    again as it is now.

    `guard`: run the guard model (when one is configured). The worker always
    does; at request time it runs only with PROMPT_GUARD_AT_REQUEST, since on
    a web CPU it costs seconds (docs/guard-model.md).
    """
    verdict = Verdict()
    policy = usage_policy_for(project)
    lic = license_for(route)
    flt = filter_settings()
    check_usage(policy, route, width, height, steps, verdict)
    check_license(lic, policy.intended_use, verdict)
    check_safeguards(lic, flt, verdict)
    if text_cleared_under is not None and text_cleared_under == flt.version:
        verdict.versions["filters"] = flt.version
        verdict.scores["prompt"] = "allowed at request under this filter version"
    else:
        check_text(
            {"prompt": prompt, "negative_prompt": negative_prompt},
            flt,
            verdict,
            contacts=project.public_contacts or (),
        )
    if guard is None:
        guard = django_settings.PROMPT_GUARD_AT_REQUEST
    if guard:
        check_guard({"prompt": prompt, "negative_prompt": negative_prompt}, verdict)
    return verdict


def evaluate_template(
    *, body: str, negative_prompt: str, project: Project | None = None
) -> Verdict:
    """Template text is checked when saved, so refused wording never becomes a template.

    The project's registered contacts are allowed in templates as in prompts.
    """
    verdict = Verdict()
    contacts = (project.public_contacts or ()) if project is not None else ()
    check_text(
        {"template": body, "negative_prompt": negative_prompt},
        filter_settings(),
        verdict,
        contacts=contacts,
    )
    return verdict


# --- the image filter ----------------------------------------------------------


def _image_classifier(flt: FilterSettings) -> ImageClassifier:
    return load_classifier(flt.image_classifier, flt.image_classifier_options or {})


def check_image_filter_ready(route: ModelRoute, verdict: Verdict) -> None:
    """In the worker, before the pipeline: never spend a GPU on an output nobody can check."""
    flt = filter_settings()
    if not flt.image_filter_enabled:
        return
    try:
        _image_classifier(flt)
    except FilterUnavailable as exc:
        verdict.refuse(
            "filter.unavailable",
            f"The image filter is unavailable, so nothing can be generated: {exc}",
        )


def evaluate_image(*, route: ModelRoute, image: Image.Image) -> Verdict:
    """Judge a finished output; any refusal sends it to quarantine, never to the user."""
    verdict = Verdict()
    flt = filter_settings()
    verdict.versions["filters"] = flt.version
    if not flt.image_filter_enabled:
        check_safeguards(license_for(route), flt, verdict)
        return verdict
    thresholds = dict(ImageLabelThreshold.objects.values_list("label", "threshold"))
    try:
        classifier = _image_classifier(flt)
        result = image_check(classifier, image, thresholds)
    except FilterUnavailable as exc:
        verdict.refuse("filter.unavailable", f"The image filter could not check this output: {exc}")
        return verdict
    verdict.scores["image"] = {k: round(v, 4) for k, v in result.scores.items()}
    verdict.scores["image_classifier"] = f"{classifier.name} {classifier.version}"
    verdict.scores["image_filter_ms"] = round(result.elapsed_ms, 2)
    for hit in result.hits:
        verdict.refuse(
            "filter.image",
            _IMAGE_GUIDANCE.get(hit.category.upper(), _IMAGE_GUIDANCE["NUDITY"]),
            category=hit.category,
            field="image",
        )
    return verdict


# Per label of the concept classifier (image_concepts); every other label is a
# nudity detector's (NudeNet's labels name body parts).
_IMAGE_GUIDANCE = {
    "NUDITY": (
        "The image filter found likely explicit content in the output; "
        "change the prompt so it describes no nudity."
    ),
    "GORE": "The image filter found likely gore in the output; describe no injuries or blood.",
    "CORPSE": "The image filter found what looks like a dead body; change the scene.",
    "WEAPON_VIOLENCE": (
        "The image filter found likely violence with a weapon; describe no weapons used on people."
    ),
    "HATE_SYMBOL": (
        "The image filter found what looks like a hate symbol; remove flags, insignia and symbols."
    ),
    "SELF_HARM": "The image filter found likely self-harm; change the scene.",
}


def warm_filters() -> None:
    """Load the filters at worker start so the first job pays nothing and a broken
    filter shows in the worker's log at once (jobs are still refused, not run)."""
    import logging

    log = logging.getLogger(__name__)
    flt = filter_settings()
    try:
        if flt.prompt_filter_enabled:
            built = prompt_filters.get(flt)
            built.warm()
            built.check({"prompt": "warm-up"})
        guard = guard_model()
        if guard is not None:
            guard.warm()
        if flt.image_filter_enabled:
            classifier = _image_classifier(flt)
            classifier.classify(Image.new("RGB", (64, 64)))
    except FilterUnavailable as exc:
        log.error("A content filter is unavailable; jobs will be refused: %s", exc)
