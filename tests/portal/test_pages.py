"""The portal as members, viewers and outsiders see it."""

import pytest
from django.urls import reverse

from apps.generation.models import GenerationJob

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_login_page_logs_in_and_redirects_to_projects(client, member):
    response = client.post(reverse("login"), {"username": "member", "password": "pw-for-tests"})
    assert response.status_code == 302 and response.url == reverse("projects:list")


def test_wrong_password_shows_an_error_and_no_session(client, member):
    response = client.post(reverse("login"), {"username": "member", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client, project):
    response = client.get(reverse("projects:detail", args=[project.slug]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_project_list_shows_only_my_projects(client, member, outsider, project):
    body = _login(client, member).get(reverse("projects:list")).content.decode()
    assert "Spring launch" in body and "Other" not in body


@pytest.mark.parametrize(
    "name", ["projects:detail", "projects:generate", "projects:gallery", "projects:template-new"]
)
def test_outsider_gets_404_for_every_project_page(client, outsider, project, name):
    response = _login(client, outsider).get(reverse(name, args=[project.slug]))
    assert response.status_code == 404
    assert b"Spring launch" not in response.content


def test_outsider_gets_404_for_a_job_and_its_status(client, outsider, member, project, draft_route):
    job = _login(client, member).post(
        reverse("projects:generate", args=[project.slug]),
        {"route": "draft", "size": "512x512", "prompt": "a shoe"},
    )
    job = GenerationJob.objects.get()
    client.force_login(outsider)
    for name in ("projects:job-detail", "projects:job-status"):
        assert client.get(reverse(name, args=[project.slug, job.pk])).status_code == 404


def test_viewer_sees_the_project_but_may_not_generate(client, viewer, project, draft_route):
    _login(client, viewer)
    detail = client.get(reverse("projects:detail", args=[project.slug]))
    assert detail.status_code == 200 and b"Generate" not in detail.content
    assert client.get(reverse("projects:generate", args=[project.slug])).status_code == 403
    response = client.post(
        reverse("projects:generate", args=[project.slug]),
        {"route": "draft", "size": "512x512", "prompt": "a shoe"},
    )
    assert response.status_code == 403
    assert not GenerationJob.objects.exists()


def test_generate_from_a_free_prompt_redirects_to_the_job_page(
    client, member, project, draft_route, django_capture_on_commit_callbacks
):
    _login(client, member)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("projects:generate", args=[project.slug]),
            {"route": "draft", "size": "512x512", "prompt": "a red shoe", "seed": "5"},
        )
    job = GenerationJob.objects.get()
    assert response.url == reverse("projects:job-detail", args=[project.slug, job.pk])
    assert (job.prompt, job.seed, job.created_by) == ("a red shoe", 5, member)
    assert len(callbacks) == 1
    page = client.get(response.url).content.decode()
    assert 'id="job-progress"' in page and "a red shoe" in page
    status = client.get(reverse("projects:job-status", args=[project.slug, job.pk])).json()
    assert status["status"] == "queued" and status["image_url"] is None


def test_generate_from_a_template_shows_a_field_per_variable(
    client, member, project, draft_route, template
):
    _login(client, member)
    url = reverse("projects:generate", args=[project.slug])
    page = client.get(url, {"template": template.pk}).content.decode()
    assert 'name="var_product"' in page and 'name="var_surface"' in page
    client.post(
        url,
        {
            "template_version": template.current_version.pk,
            "route": "draft",
            "size": "512x512",
            "var_product": "lamp",
            "var_surface": "desk",
        },
    )
    assert GenerationJob.objects.get().prompt == "Photo of lamp on a desk"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"prompt": ""}, "Write a prompt or choose a template."),
        ({"prompt": "x" * 2001}, "the limit is 2000"),
        ({"size": "500x512"}, "not a multiple of 16"),
        ({"size": "768x768"}, "not 768x768"),
        ({"size": "big"}, "Write the size as WIDTHxHEIGHT"),
        ({"steps": "40"}, "Steps must be between 4 and 12"),
        ({"guidance": "9"}, "Guidance must be between 0 and 2"),
        ({"route": "warp"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_queued(
    client, member, project, draft_route, data, message, django_capture_on_commit_callbacks
):
    _login(client, member)
    form = {"route": "draft", "size": "512x512", "prompt": "a shoe"} | data
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("projects:generate", args=[project.slug]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not GenerationJob.objects.exists() and callbacks == []


def test_missing_template_variable_is_shown_on_the_form(
    client, member, project, draft_route, template
):
    _login(client, member)
    response = client.post(
        reverse("projects:generate", args=[project.slug]),
        {
            "template_version": template.current_version.pk,
            "route": "draft",
            "size": "512x512",
            "var_product": "lamp",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"var_surface": ["This field is required."]}
    assert not GenerationJob.objects.exists()


def test_creator_can_add_a_template_and_a_new_version(client, member, project):
    _login(client, member)
    response = client.post(
        reverse("projects:template-new", args=[project.slug]),
        {"name": "Hero", "body": "{product} hero shot", "negative_prompt": ""},
    )
    template = project.templates.get(name="Hero")
    assert response.url == reverse("projects:template-detail", args=[project.slug, template.pk])
    client.post(response.url, {"body": "{product} hero shot, golden hour"})
    assert [v.number for v in template.versions.order_by("number")] == [1, 2]


def test_template_form_shows_syntax_errors(client, member, project):
    _login(client, member)
    response = client.post(
        reverse("projects:template-new", args=[project.slug]),
        {"name": "Bad", "body": "{product.__class__}"},
    )
    assert "is not a valid variable" in response.content.decode()
    assert not project.templates.exists()


def test_forms_carry_csrf_tokens(client, member, project, draft_route):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(
        reverse("projects:generate", args=[project.slug]),
        {"route": "draft", "size": "512x512", "prompt": "a shoe"},
    )
    assert response.status_code == 403
    assert not GenerationJob.objects.exists()
