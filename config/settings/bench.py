"""The benchmark harness: the test settings (real PostgreSQL and RabbitMQ, scratch
paths) with production timings, not the tests' fast heartbeats."""

from .test import *  # noqa: F403

GENERATION_HEARTBEAT_SECONDS = env.float("GENERATION_HEARTBEAT_SECONDS", default=5.0)  # noqa: F405
GENERATION_STALE_AFTER_SECONDS = env.float("GENERATION_STALE_AFTER_SECONDS", default=20.0)  # noqa: F405
