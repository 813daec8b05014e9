from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "apps.generation"
    label = "generation"

    def ready(self) -> None:
        from celery import signals

        from .worker.signals import warm_pipelines

        signals.worker_process_init.connect(warm_pipelines, weak=False)
