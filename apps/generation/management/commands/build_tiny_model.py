from pathlib import Path

from django.core.management.base import BaseCommand

from apps.generation.tiny_model import build_tiny_krea2
from apps.generation.weights import weights_register


class Command(BaseCommand):
    help = (
        "Build tiny random-weight Krea 2 pipelines (Turbo-like and Raw-like) in DIR, "
        "saved with save_pretrained, for the demo and the tests. Nothing is downloaded."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--register", action="store_true", help="Also register both as ModelWeights."
        )

    def handle(self, *args, directory: Path, register: bool, **options):  # type: ignore[no-untyped-def]
        directory = directory.resolve()
        paths = build_tiny_krea2(directory)
        for name, path in paths.items():
            self.stdout.write(f"Built {name} in {path}")
            if register:
                weights = weights_register(name=name, path=path, revision="tiny-random")
                self.stdout.write(
                    f"Registered weights {weights.name} ({weights.content_hash[:12]})"
                )
