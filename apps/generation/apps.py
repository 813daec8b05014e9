from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "apps.generation"
    label = "generation"

    def ready(self) -> None:
        from celery import signals

        from .worker.signals import warm_pipelines, warm_pipelines_in_thread_pool

        signals.worker_process_init.connect(warm_pipelines, weak=False)
        signals.worker_ready.connect(warm_pipelines_in_thread_pool, weak=False)
