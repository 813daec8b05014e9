import os
import threading

from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Policies and content filters"

    def ready(self) -> None:
        # Servers without a start-up hook of their own (the demo's runserver) set
        # IMPRIMATUR_WARM_FILTERS=1 so the filter models load as the process
        # starts, in the background, instead of on the first Generate. gunicorn
        # (config/gunicorn.conf.py) and the workers warm them in their own hooks.
        if os.environ.get("IMPRIMATUR_WARM_FILTERS") == "1" and os.environ.get("RUN_MAIN"):
            from .gate import warm_filters

            threading.Thread(target=warm_filters, name="warm-filters", daemon=True).start()
