"""Gunicorn settings for the web tier: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Each web process checks every prompt against the content filters before a job
is queued. Loading them (the embedding model takes seconds) when the process
starts keeps that cost off the first user's request.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    import torch
    from django.db import connections

    # One intra-op thread: the filter's small model gains little from more, and
    # several web processes each spreading over every core starve the rest.
    torch.set_num_threads(int(os.environ.get("WEB_TORCH_THREADS", "1")))

    from apps.policies.gate import warm_filters

    warm_filters()
    connections.close_all()  # not shared with the request threads
