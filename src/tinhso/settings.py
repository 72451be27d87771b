"""One settings module, driven by environment variables.

Every value comes through a small typed helper so that a bad value stops start-up with a clear
message instead of failing later. Secrets may also be read from files (``<NAME>_FILE``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("TINHSO_VAR_DIR", PROJECT_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str:
    """A string setting; ``NAME_FILE`` points at a file holding the value (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Setting {name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"Setting {name}={raw!r} is not a boolean (use true/false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Setting {name}={raw!r} is not an integer.") from exc


def env_rate(name: str, default: str) -> str:
    """A rate limit: "count/period" ("10/h", "60/10m", "30/60" seconds) or "off"."""
    raw = os.environ.get(name, default).strip()
    # A zero period ("10/0", "10/0m") would pass a looser pattern and then fail on every request.
    if not re.fullmatch(r"(?i)off|none|0|\d+/(0*[1-9]\d*[smhd]?|[smhd])", raw):
        raise ImproperlyConfigured(
            f"Setting {name}={raw!r} is not a rate like 10/h, 60/10m or off.")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("TINHSO_DEBUG", False)
# Production (TINHSO_DEBUG unset and TINHSO_PRODUCTION=true) must set a real secret key.
PRODUCTION = env_bool("TINHSO_PRODUCTION", False)
if PRODUCTION:
    SECRET_KEY = env_str("TINHSO_SECRET_KEY")
else:
    SECRET_KEY = env_str("TINHSO_SECRET_KEY", "insecure-development-key-do-not-use-in-production")

ALLOWED_HOSTS = env_list("TINHSO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("TINHSO_CSRF_TRUSTED_ORIGINS", [])
# Address of the reverse proxy in front of `tinhso serve` (e.g. 127.0.0.1 for nginx on the same
# host). Only requests from it may set X-Forwarded-For / X-Forwarded-Proto: the client address
# the rate limits count, and https for secure cookies and redirects. Empty: no proxy trusted.
TINHSO_TRUSTED_PROXY = os.environ.get("TINHSO_TRUSTED_PROXY", "").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # ships Swagger UI's files: the API docs work offline
    "tinhso.core",
    "tinhso.units",
    "tinhso.accounts",
    "tinhso.catalog",
    "tinhso.workdays",
    "tinhso.dossiers",
    "tinhso.payments",
    "tinhso.signatures",
    "tinhso.documents",
    "tinhso.ioc",
    "tinhso.feedback",
    "tinhso.lgsp",
    "tinhso.portal",
    "tinhso.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Vietnamese first: English only when the user chooses it (not from the browser's header).
    "tinhso.portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# @login_required sends strangers to the portal's sign-in page (Django's default, /accounts/login/,
# does not exist here).
LOGIN_URL = "portal:login"

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
                "django.template.context_processors.i18n",
                "tinhso.core.context_processors.navigation",
            ],
        },
    },
]

# DATABASE_URL selects the database; the default is an embedded SQLite file under var/.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tinhso.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:  # an unknown scheme or a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL={DATABASE_URL!r} is not valid: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN so
    # concurrent writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file per test process (not :memory:) so threads of live-server and concurrency tests
    # share it, and parallel test runs on one machine do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Files are served from the apps' static folders (WHITENOISE_USE_FINDERS) until an operator
# runs collectstatic; the folder must exist for WhiteNoise either way.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("TINHSO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# One process (waitress threads) shares the in-memory cache. Several processes must share one
# cache for sign-in limits to hold across them: set TINHSO_CACHE_URL=redis://127.0.0.1:6379/1.
_CACHE_URL = os.environ.get("TINHSO_CACHE_URL", "")
if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": _CACHE_URL}}
elif _CACHE_URL:
    raise ImproperlyConfigured(f"TINHSO_CACHE_URL={_CACHE_URL!r}: only redis:// is supported.")

# Rate limits and lockouts (tinhso.core.ratelimit, docs/security.md). Rates are "count/period"
# per client address ("10/h", "60/10m", "30/60" seconds) or "off".
TINHSO_LOGIN_MAX_FAILURES = env_int("TINHSO_LOGIN_MAX_FAILURES", 5)
TINHSO_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("TINHSO_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
TINHSO_LOGIN_LOCK_SECONDS = env_int("TINHSO_LOGIN_LOCK_SECONDS", 900)
TINHSO_TRACK_MAX_FAILURES = env_int("TINHSO_TRACK_MAX_FAILURES", 10)
TINHSO_TOKEN_MAX_FAILURES = env_int("TINHSO_TOKEN_MAX_FAILURES", 20)
TINHSO_TOKEN_LOCK_SECONDS = env_int("TINHSO_TOKEN_LOCK_SECONDS", 900)
TINHSO_RATE_SIGNUP = env_rate("TINHSO_RATE_SIGNUP", "10/h")
TINHSO_RATE_TRACK = env_rate("TINHSO_RATE_TRACK", "60/10m")
TINHSO_RATE_VERIFY = env_rate("TINHSO_RATE_VERIFY", "30/10m")

EMAIL_BACKEND = os.environ.get(
    "TINHSO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("TINHSO_FROM_EMAIL", "tinhso@localhost")

# Uploads: the limits every attachment is checked against (by content, not by name).
TINHSO_MAX_UPLOAD_BYTES = env_int("TINHSO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
TINHSO_ALLOWED_UPLOAD_TYPES = env_list(
    "TINHSO_ALLOWED_UPLOAD_TYPES", ["application/pdf", "image/jpeg", "image/png"]
)
DATA_UPLOAD_MAX_MEMORY_SIZE = TINHSO_MAX_UPLOAD_BYTES + 1024 * 1024

# The address citizens and other systems reach this platform at: used in QR codes, CRL/OCSP
# URLs inside certificates, payment return/IPN URLs and e-mailed links.
TINHSO_PUBLIC_URL = os.environ.get("TINHSO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Province shown by the demo data and the UI.
TINHSO_PROVINCE_CODE = os.environ.get("TINHSO_PROVINCE_CODE", "70")

# `tinhso serve` scans the IOC alerts (near due, overdue, thresholds) this often; 0 disables
# the in-process scanner (run `tinhso ioc scan-alerts --every N` or cron instead).
TINHSO_ALERT_SCAN_SECONDS = env_int("TINHSO_ALERT_SCAN_SECONDS", 300)
if TINHSO_ALERT_SCAN_SECONDS < 0:
    raise ImproperlyConfigured("TINHSO_ALERT_SCAN_SECONDS must be 0 (off) or a number of seconds.")

# The local CSC remote-signing sandbox at /sandbox/csc/ (docs/signatures.md): development only.
TINHSO_CSC_SANDBOX = env_bool("TINHSO_CSC_SANDBOX", DEBUG and not PRODUCTION)
if TINHSO_CSC_SANDBOX and PRODUCTION:
    raise ImproperlyConfigured("TINHSO_CSC_SANDBOX must be off with TINHSO_PRODUCTION=true.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINHSO_LOG_LEVEL", "WARNING")},
    # pyHanko logs a traceback for every revoked or expired certificate it validates; the
    # verification result already reports those precisely.
    "loggers": {"pyhanko": {"level": "ERROR"}, "pyhanko_certvalidator": {"level": "ERROR"}},
}
