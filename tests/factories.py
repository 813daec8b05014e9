"""Factories that build through the services, so tests start from states the app can reach."""

from __future__ import annotations

import factory

from apps.accounts.models import User
from apps.projects.models import Project
from apps.projects.services import project_create
from apps.prompts.models import PromptTemplate
from apps.prompts.services import template_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        self.set_password(extracted or "pw-for-tests")
        if create:
            self.save(update_fields=["password"])


class ProjectFactory(factory.django.DjangoModelFactory):
    """Created with project_create: the owner becomes its manager."""

    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    owner = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, owner, **kwargs):  # type: ignore[no-untyped-def]
        return project_create(actor=owner, **kwargs)


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    body = "Photo of {product} on a {surface}"
    negative_prompt = "blurry"

    @classmethod
    def _create(cls, model_class, project, actor, **kwargs):  # type: ignore[no-untyped-def]
        return template_create(actor=actor, project=project, **kwargs)


def license_weights(weights, lic):  # type: ignore[no-untyped-def]
    """Put weights under a license, as compliance does in the admin (a new license version)."""
    from apps.policies.services import policy_save

    policy_save(actor=None, instance=lic, m2m={"weights": [*lic.weights.all(), weights]})
    return weights
