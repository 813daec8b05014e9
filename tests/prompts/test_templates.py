import pytest
from django.core.exceptions import ValidationError

from apps.prompts.services import template_create, template_version_create


def test_new_template_starts_at_version_one_with_its_variables(project, owner):
    template = template_create(
        actor=owner, project=project, name="Hero", body="{product} on {surface}"
    )
    version = template.current_version
    assert (version.number, version.variables) == (1, ["product", "surface"])


def test_editing_adds_a_version_and_leaves_the_old_one_untouched(template, owner):
    first = template.current_version
    second = template_version_create(actor=owner, template=template, body="Macro shot of {product}")
    first.refresh_from_db()
    assert second.number == 2
    assert first.body == "Photo of {product} on a {surface}"
    assert template.current_version == second


def test_duplicate_name_in_the_same_project_is_refused(template, project, owner):
    with pytest.raises(ValidationError) as exc:
        template_create(actor=owner, project=project, name=template.name, body="x")
    assert "name" in exc.value.message_dict


def test_bad_syntax_is_refused_and_nothing_is_saved(project, owner):
    with pytest.raises(ValidationError) as exc:
        template_create(actor=owner, project=project, name="Bad", body="{product.x}")
    assert "body" in exc.value.message_dict
    assert not project.templates.exists()


def test_over_long_template_is_refused(project, owner, settings):
    settings.GENERATION_PROMPT_MAX_CHARS = 20
    with pytest.raises(ValidationError, match="limit is 20"):
        template_create(actor=owner, project=project, name="Long", body="x" * 21)
