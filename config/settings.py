"""Lantern settings, read from the environment (django-environ). `.env.example` lists every variable.

SQLite in WAL mode is the embedded default; PostgreSQL is used when DATABASE_URL points at it.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("LANTERN_DEBUG", default=False)
# A secret is required outside debug/test runs: production must never run on a default.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-demo-key-only-for-local-use" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set DJANGO_SECRET_KEY (see .env.example).")
ALLOWED_HOSTS = env.list("LANTERN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("LANTERN_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "lantern.core",
    "lantern.access",
    "lantern.audit",
    "lantern.people",
    "lantern.synthetic",
    "lantern.ingest",
    "lantern.linkage",
    "lantern.missing",
    "lantern.referrals",
    "lantern.alerts",
    "lantern.screening",
    "lantern.plans",
    "lantern.networks",
    "lantern.lines",
    "lantern.reporting",
    "lantern.api",
    "ninja",  # serves the API docs page's scripts locally (never from a CDN)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lantern.access.middleware.ActingRoleMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lantern" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lantern.access.context_processors.acting_role",
            ],
        },
    }
]

DATA_DIR = Path(env("LANTERN_DATA_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'lantern.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the generator or an import writes; IMMEDIATE transactions
    # take the write lock up front so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": env("LANTERN_TEST_DB_NAME", default=None)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "access.User"
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sessions end after 30 minutes without activity and at most 8 hours after login (see access.middleware).
SESSION_COOKIE_AGE = env.int("LANTERN_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("LANTERN_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Everything is served from Lantern itself: no CDN, no inline script, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("LANTERN_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "lantern" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Background jobs (imports, linkage runs): Django's tasks API with the database backend; run
# `manage.py db_worker` beside the web server. Tests run tasks immediately in-process.
TASKS = {"default": {"BACKEND": env("LANTERN_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Headless Chromium that prints board reports to PDF (default: `chromium` on the PATH).
LANTERN_CHROMIUM = env("LANTERN_CHROMIUM", default="")
# Largest upload accepted through the web (bytes); bigger files go through `manage.py import_file`,
# which streams files of any size. Uploads past 2 MB are spooled to disk by Django, not held in memory.
LANTERN_MAX_UPLOAD_BYTES = env.int("LANTERN_MAX_UPLOAD_BYTES", default=200 * 1024 * 1024)
# Days an import's stored upload, rejected rows and change sample are kept after its last activity;
# then `manage.py import_files_expire` (daily) removes them. A local policy for the DPO to set: the
# records the file brought in keep their source reference and follow their own retention.
LANTERN_IMPORT_FILE_RETENTION_DAYS = env.int("LANTERN_IMPORT_FILE_RETENTION_DAYS", default=90)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Live-feed REST API (lantern/api, docs/ingest.md): largest request body (keep it at or under
# DATA_UPLOAD_MAX_MEMORY_SIZE), most rows per batch, requests per minute per token.
LANTERN_API_MAX_BODY_BYTES = env.int("LANTERN_API_MAX_BODY_BYTES", default=5 * 1024 * 1024)
LANTERN_API_MAX_ROWS = env.int("LANTERN_API_MAX_ROWS", default=5000)
LANTERN_API_RATE_PER_MINUTE = env.int("LANTERN_API_RATE_PER_MINUTE", default=60)

# Break-glass grants expire after this many hours (design: time-limited, e.g. 4 hours).
LANTERN_BREAK_GLASS_HOURS = env.int("LANTERN_BREAK_GLASS_HOURS", default=4)
# Aggregate counts below this are suppressed wherever identities could be inferred.
LANTERN_SUPPRESS_BELOW = env.int("LANTERN_SUPPRESS_BELOW", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LANTERN_LOG_LEVEL", default="WARNING")},
}
