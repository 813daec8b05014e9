from __future__ import annotations

import pytest

from apps.policies import gate
from apps.policies.filters.image import clear_classifier_cache
from apps.policies.services import policy_save


@pytest.fixture
def use_classifier(db):
    """Switch the site's image classifier (a versioned policy edit, like compliance would)."""

    def switch(spec: str) -> None:
        flt = gate.filter_settings()
        flt.image_classifier = spec
        policy_save(actor=None, instance=flt)

    yield switch
    clear_classifier_cache()


@pytest.fixture
def edit_usage(db):
    def edit(project=None, **fields):
        policy = gate.usage_policy_for(project)
        if project is not None and policy.project_id is None:
            from apps.policies.models import UsagePolicy

            policy = UsagePolicy(project=project)
        routes = fields.pop("allowed_routes", None)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy_save(actor=None, instance=policy, m2m={"allowed_routes": routes} if routes else None)
        return policy

    return edit
