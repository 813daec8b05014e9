from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.generation.weights import weights_register


class Command(BaseCommand):
    help = (
        "Register (or refresh) a local diffusers directory as ModelWeights, hashing every file. "
        "Point a route at it in the admin afterwards."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name", help="Short slug, e.g. krea2-turbo")
        parser.add_argument("path", type=Path, help="Directory with model_index.json")
        parser.add_argument("--revision", default="", help="Upstream revision it came from")

    def handle(self, *args, name: str, path: Path, revision: str, **options):  # type: ignore[no-untyped-def]
        try:
            weights = weights_register(name=name, path=path.resolve(), revision=revision)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Registered {weights.name}: {weights.path} sha256 {weights.content_hash}"
        )
