from django.core.management.base import BaseCommand

from apps.generation.services import generation_sweep_stuck


class Command(BaseCommand):
    help = "Fail generation jobs that no worker is working on (also runs every minute under beat)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        self.stdout.write(f"Failed {generation_sweep_stuck()} stuck job(s).")
