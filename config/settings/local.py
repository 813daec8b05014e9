"""Developer and demo settings: debug on, everything embedded by default."""

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405
