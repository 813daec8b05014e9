"""Seed a demo: users for each role, a project, templates, routes on the tiny model."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.groups import COMPLIANCE_OFFICERS
from apps.accounts.models import User
from apps.generation.models import ModelWeights
from apps.generation.services import route_configure
from apps.generation.tiny_model import RAW_DIR, TURBO_DIR, build_tiny_krea2
from apps.generation.weights import weights_register
from apps.policies import gate
from apps.policies.models import CommercialUse, ModelLicense
from apps.policies.services import policy_save
from apps.projects.models import Project, Role
from apps.projects.services import membership_set, project_create
from apps.prompts.services import template_create

DEMO_PASSWORD = "imprimatur-demo"  # noqa: S105 - printed for the local demo only
USERS = [
    ("maya", "Maya", "Manager", Role.MANAGER),
    ("rui", "Rui", "Reviewer", Role.REVIEWER),
    ("cleo", "Cleo", "Creator", Role.CREATOR),
    ("vic", "Vic", "Viewer", Role.VIEWER),
]
TEMPLATES = [
    (
        "Product hero",
        "Studio product photo of {product} on a {surface}, soft daylight, brand colour {colour}",
        "blurry, watermark, text",
    ),
    ("Seasonal banner", "Wide banner illustration for {season}: {subject}, flat pastel style", ""),
]


# The community license limits commercial use by company size; the public
# sources disagree on the exact measure, so the demo records a revenue
# threshold as an example. Compliance must check the actual license text.
DEMO_LICENSE = {
    "name": "Krea 2 Community License",
    "license_version": "demo",
    "commercial_use": CommercialUse.CONDITIONAL,
    "max_annual_revenue_usd": 1_000_000,
    "requires_prompt_filter": True,
    "requires_image_filter": True,
    "prohibited_uses": "Non-consensual intimate imagery\nSexual content involving minors",
    "attribution": "Built with Krea 2",
}


class Command(BaseCommand):
    help = "Create demo users, a project, templates and routes on the tiny model (idempotent)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        model_dir = Path(settings.IMPRIMATUR_MODEL_DIR)
        if not (model_dir / TURBO_DIR / "model_index.json").exists():
            self.stdout.write(f"Building the tiny Krea 2 model in {model_dir} ...")
            build_tiny_krea2(model_dir)
        with transaction.atomic():
            self._seed(model_dir)

    def _seed(self, model_dir: Path) -> None:
        turbo = ModelWeights.objects.filter(name=TURBO_DIR).first() or weights_register(
            name=TURBO_DIR, path=model_dir / TURBO_DIR, revision="tiny-random"
        )
        raw = ModelWeights.objects.filter(name=RAW_DIR).first() or weights_register(
            name=RAW_DIR, path=model_dir / RAW_DIR, revision="tiny-random"
        )
        sizes = [[512, 512], [1024, 1024], [768, 512], [512, 768]]
        route_configure(name="draft", weights=turbo, sizes=sizes)
        route_configure(name="final", weights=raw, sizes=sizes)
        self._seed_license([turbo, raw])

        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        cora, created = User.objects.get_or_create(
            username="cora", defaults={"first_name": "Cora", "is_staff": True}
        )
        if created:
            cora.set_password(DEMO_PASSWORD)
            cora.save()
        cora.groups.add(Group.objects.get(name=COMPLIANCE_OFFICERS))
        people = {}
        for username, first, last, _role in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            people[username] = user
        project = Project.objects.filter(slug="spring-launch").first()
        if project is None:
            project = project_create(
                actor=people["maya"],
                name="Spring launch",
                slug="spring-launch",
                description="Campaign visuals for the spring product launch.",
            )
            for name, body, negative in TEMPLATES:
                template_create(
                    actor=people["maya"],
                    project=project,
                    name=name,
                    body=body,
                    negative_prompt=negative,
                )
        for username, _f, _l, role in USERS:
            membership_set(actor=people["maya"], project=project, user=people[username], role=role)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _f, _l, role in USERS:
            self.stdout.write(f"  {username:6} {role.label}")
        self.stdout.write("  cora   Compliance officer (Django admin, read-only)")
        self.stdout.write("  admin  Django admin (superuser)")

    def _seed_license(self, weights: list[ModelWeights]) -> None:
        if ModelLicense.objects.filter(name=DEMO_LICENSE["name"]).exists():
            return
        profile = gate.organisation()
        profile.name, profile.annual_revenue_usd, profile.employees = "Demo Co", 800_000, 25
        policy_save(actor=None, instance=profile)
        policy_save(actor=None, instance=ModelLicense(**DEMO_LICENSE), m2m={"weights": weights})
