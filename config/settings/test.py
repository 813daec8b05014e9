"""Test settings: the machine's real PostgreSQL and RabbitMQ, never SQLite."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/imprimatur")
os.environ.setdefault("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

from .base import *  # noqa: E402, F403

# Two checkouts on one machine can run their suites side by side with different names.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": env.str("TEST_DATABASE_NAME", default="test_imprimatur")  # noqa: F405
}
INSTALLED_APPS = ["tests.support", *INSTALLED_APPS]  # noqa: F405 - flush past the audit triggers
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Test processes and the workers they start share these paths through the env.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "test-media"))  # noqa: F405
QUARANTINE_ROOT = env.path("QUARANTINE_ROOT", default=str(VAR_DIR / "test-quarantine"))  # noqa: F405
GENERATION_HEARTBEAT_SECONDS = 0.5
GENERATION_STALE_AFTER_SECONDS = 3.0
