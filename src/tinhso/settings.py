"""One settings module, driven by environment variables.

Every value comes through a small typed helper so that a bad value stops start-up with a clear
message instead of failing later. Secrets may also be read from files (``<NAME>_FILE``).
"""

from __future__ import annotations

import ipaddress
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
    "huey.contrib.djhuey",
    "tinhso.core",
    "tinhso.outbox",
    "tinhso.jobs",
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
    "tinhso.notifications",
    "tinhso.iot",
    "tinhso.lgsp",
    "tinhso.correspondence",
    "tinhso.meetings",
    "tinhso.mail",
    "tinhso.trace",
    "tinhso.market",
    "tinhso.webhooks",
    "tinhso.connectors",
    "tinhso.portal",
    "tinhso.backoffice",
]

MIDDLEWARE = [
    # First: the request id and the per-request log line and metrics cover everything below.
    "tinhso.core.observability.RequestContextMiddleware",
    # The lookup caches' generation numbers are read at most once per request (issue 12).
    "tinhso.core.lookupcache.LookupCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tinhso.core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL and lone surrogates in any string, too large a body: refused before any view runs.
    "tinhso.core.input_guard.InputGuardMiddleware",
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
# A kept connection is checked before reuse: after a PostgreSQL restart the next request
# reconnects instead of failing on a dead socket.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
    # Officials and staff: at least 12 characters (ASVS V2.1.1, accounts/passwords.py).
    {"NAME": "tinhso.accounts.passwords.OfficialMinimumLengthValidator"},
]
# Officials holding one of these roles must use an authenticator app (TOTP) when they sign in
# with a password (accounts/mfa.py). Production default: leaders and admins; development and
# tests: nobody is forced (anyone may enrol).
TINHSO_MFA_REQUIRED_ROLES = frozenset(
    r.strip() for r in os.environ.get(
        "TINHSO_MFA_REQUIRED_ROLES",
        "leader,agency_admin,province_admin" if PRODUCTION else "").split(",") if r.strip())

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# plotly's bundled plotly.js is served from the plotly package (tinhso/ioc/staticfiles.py).
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "tinhso.ioc.staticfiles.PlotlyFinder",
]
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
MEDIA_URL = "/media/"  # never routed (urls.py): files go through permission-checked views

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HSTS (Django sends it on https requests only): a year by default in production, off otherwise.
SECURE_HSTS_SECONDS = env_int("TINHSO_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("TINHSO_HSTS_SECONDS must be 0 (off) or a number of seconds.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TINHSO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("TINHSO_HSTS_PRELOAD", False)
# Content-Security-Policy without 'unsafe-inline' (tinhso.core.headers, docs/security.md): on
# everywhere, so development and the browser tests run under the production policy.
TINHSO_CSP = env_bool("TINHSO_CSP", True)
TINHSO_CSP_REPORT_ONLY = env_bool("TINHSO_CSP_REPORT_ONLY", False)
# Extra origins forms may lead to (besides the payment gateway and the OIDC provider).
TINHSO_CSP_FORM_ACTION = env_list("TINHSO_CSP_FORM_ACTION", [])
TINHSO_PERMISSIONS_POLICY = os.environ.get(
    "TINHSO_PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()",
).strip()

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
# The directory of Django's file-based mail backend (one file per message): for trials and
# tests, where no mail server is at hand.
if os.environ.get("TINHSO_EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = os.environ["TINHSO_EMAIL_FILE_PATH"]

# Uploads: the limits every attachment is checked against (by content, not by name).
TINHSO_MAX_UPLOAD_BYTES = env_int("TINHSO_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
TINHSO_ALLOWED_UPLOAD_TYPES = env_list(
    "TINHSO_ALLOWED_UPLOAD_TYPES", ["application/pdf", "image/jpeg", "image/png"]
)
# Images claiming more pixels are refused (a 600 dpi A4 scan is about 35 million).
TINHSO_MAX_IMAGE_PIXELS = env_int("TINHSO_MAX_IMAGE_PIXELS", 60_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = TINHSO_MAX_UPLOAD_BYTES + 1024 * 1024
# A whole request (all files of a dossier together) larger than this is refused with 413
# before it is read.
TINHSO_MAX_REQUEST_BYTES = env_int("TINHSO_MAX_REQUEST_BYTES", 100 * 1024 * 1024)
# Under /api/, a CSRF failure is the JSON error CSRF_FAILED (core/http_errors.py).
CSRF_FAILURE_VIEW = "tinhso.core.http_errors.csrf_failure"

# The largest schema-driven form (a dossier's form_data, as compact JSON) accepted.
TINHSO_MAX_FORM_BYTES = env_int("TINHSO_MAX_FORM_BYTES", 64 * 1024)

# The largest amount (đồng) an official may ask an applicant to pay in one payment request.
TINHSO_MAX_PAYMENT_AMOUNT = env_int("TINHSO_MAX_PAYMENT_AMOUNT", 10_000_000_000)

# The address citizens and other systems reach this platform at: used in QR codes, CRL/OCSP
# URLs inside certificates, payment return/IPN URLs and e-mailed links.
TINHSO_PUBLIC_URL = os.environ.get("TINHSO_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Province shown by the demo data and the UI.
TINHSO_PROVINCE_CODE = os.environ.get("TINHSO_PROVINCE_CODE", "70")

# Background jobs (Huey, docs/jobs.md). Embedded default: a SQLite queue file under var/ and a
# consumer inside `tinhso serve`. TINHSO_JOBS_URL=redis://… puts the queue in Redis, shared by
# `tinhso worker` processes on any number of machines.
TINHSO_JOBS_URL = os.environ.get("TINHSO_JOBS_URL", "").strip()
TINHSO_JOBS_WORKERS = env_int("TINHSO_JOBS_WORKERS", 2)
# Retries of the tasks enqueued one by one (deliveries, document jobs, EPCIS captures …):
# attempts after the first, and the first delay in seconds (doubled at each retry).
TINHSO_JOBS_RETRIES = env_int("TINHSO_JOBS_RETRIES", 4)
TINHSO_JOBS_RETRY_DELAY = env_int("TINHSO_JOBS_RETRY_DELAY", 30)
# Whether `tinhso serve` runs a job consumer beside the web server. Default: yes with the
# embedded SQLite queue, no with Redis (separate `tinhso worker` processes do the work).
TINHSO_SERVE_WORKER = env_bool("TINHSO_SERVE_WORKER", not TINHSO_JOBS_URL)
if TINHSO_JOBS_WORKERS < 1:
    raise ImproperlyConfigured("TINHSO_JOBS_WORKERS must be at least 1.")
if TINHSO_JOBS_URL.startswith(("redis://", "rediss://", "unix://")):
    HUEY: dict[str, object] = {
        "huey_class": "huey.PriorityRedisHuey", "name": "tinhso", "url": TINHSO_JOBS_URL,
        "results": False, "immediate": False, "utc": True,
    }
elif TINHSO_JOBS_URL:
    raise ImproperlyConfigured(f"TINHSO_JOBS_URL={TINHSO_JOBS_URL!r}: only redis:// is supported "
                               "(leave it empty for the embedded SQLite queue).")
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey", "name": "tinhso",
        "filename": str(VAR_DIR / "jobs.sqlite3"), "results": False, "immediate": False,
        "utc": True,
    }
# The traceability ledger's signed tree head: a periodic job this often (whole minutes; 0: never,
# then `tinhso trace sign-head`).
TINHSO_TRACE_STH_SECONDS = env_int("TINHSO_TRACE_STH_SECONDS", 300)

HUEY["consumer"] = {"workers": TINHSO_JOBS_WORKERS, "worker_type": "thread", "periodic": True}

# The IOC alert scan (near due, overdue, thresholds) runs as a periodic job this often, rounded
# up to whole minutes (Huey's periodic granularity); 0 disables it (`tinhso ioc scan-alerts`).
TINHSO_ALERT_SCAN_SECONDS = env_int("TINHSO_ALERT_SCAN_SECONDS", 300)
if TINHSO_ALERT_SCAN_SECONDS < 0:
    raise ImproperlyConfigured("TINHSO_ALERT_SCAN_SECONDS must be 0 (off) or a number of seconds.")

# The local CSC remote-signing sandbox at /sandbox/csc/ (docs/signatures.md): development only.
TINHSO_CSC_SANDBOX = env_bool("TINHSO_CSC_SANDBOX", DEBUG and not PRODUCTION)
if TINHSO_CSC_SANDBOX and PRODUCTION:
    raise ImproperlyConfigured("TINHSO_CSC_SANDBOX must be off with TINHSO_PRODUCTION=true.")

# The raw-insert baseline endpoint of bench/intake.py (/bench/raw-intake/): benchmarks only.
TINHSO_BENCH_RAW_INTAKE = env_bool("TINHSO_BENCH_RAW_INTAKE", False)
if TINHSO_BENCH_RAW_INTAKE and PRODUCTION:
    raise ImproperlyConfigured("TINHSO_BENCH_RAW_INTAKE must be off with TINHSO_PRODUCTION=true.")

# Notifications (docs/notifications.md). SMS is off until TINHSO_SMS_URL names a gateway; for
# development run `tinhso sms-sandbox --port 8200` and set TINHSO_SMS_URL=http://127.0.0.1:8200.
TINHSO_NOTIFICATIONS = env_bool("TINHSO_NOTIFICATIONS", True)
TINHSO_SMS_URL = os.environ.get("TINHSO_SMS_URL", "").strip().rstrip("/")
if TINHSO_SMS_URL and not TINHSO_SMS_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"TINHSO_SMS_URL={TINHSO_SMS_URL!r} must be an http(s) URL.")
TINHSO_SMS_TOKEN = env_str("TINHSO_SMS_TOKEN", "" if PRODUCTION else "sms-sandbox-token")
if PRODUCTION and TINHSO_SMS_URL and not TINHSO_SMS_TOKEN:
    raise ImproperlyConfigured("TINHSO_SMS_TOKEN is required when TINHSO_SMS_URL is set.")
TINHSO_SMS_SENDER = os.environ.get("TINHSO_SMS_SENDER", "TINHSO")
TINHSO_SMS_TIMEOUT = env_int("TINHSO_SMS_TIMEOUT", 10)
TINHSO_NOTIFY_MAX_ATTEMPTS = env_int("TINHSO_NOTIFY_MAX_ATTEMPTS", 5)
TINHSO_SUPPLEMENT_DAYS = env_int("TINHSO_SUPPLEMENT_DAYS", 10)
TINHSO_REMINDER_DAYS = env_int("TINHSO_REMINDER_DAYS", 1)

# Correspondence (docs/correspondence.md): where edXML packages and status messages for
# agencies outside this installation are POSTed (the LGSP's document exchange service); empty:
# they wait for `tinhso documents export-edxml`.
TINHSO_EDXML_SEND_URL = os.environ.get("TINHSO_EDXML_SEND_URL", "").strip()
if TINHSO_EDXML_SEND_URL and not TINHSO_EDXML_SEND_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"TINHSO_EDXML_SEND_URL={TINHSO_EDXML_SEND_URL!r} must be an http(s) URL.")
TINHSO_EDXML_SEND_TIMEOUT = env_int("TINHSO_EDXML_SEND_TIMEOUT", 30)
# Through the LGSP gateway: our client subsystem (X-Road-Client) and its bearer token, read
# from a file (a secret stays out of the environment listing).
TINHSO_EDXML_SEND_CLIENT = os.environ.get("TINHSO_EDXML_SEND_CLIENT", "").strip()
TINHSO_EDXML_SEND_TOKEN_FILE = os.environ.get("TINHSO_EDXML_SEND_TOKEN_FILE", "").strip()
# Paperless meetings (docs/meetings.md): the video link is base + "/" + the meeting's slug on a
# Jitsi-compatible server the province runs (tinhso runs no video server); check-in by QR opens
# this many minutes before the start and closes at the end; reminders so many hours before.
TINHSO_MEETINGS_VIDEO_BASE_URL = os.environ.get(
    "TINHSO_MEETINGS_VIDEO_BASE_URL", "https://meet.jit.si").strip().rstrip("/")
if TINHSO_MEETINGS_VIDEO_BASE_URL and not TINHSO_MEETINGS_VIDEO_BASE_URL.startswith(
        ("http://", "https://")):
    raise ImproperlyConfigured("TINHSO_MEETINGS_VIDEO_BASE_URL must be an http(s) URL.")
TINHSO_MEETINGS_CHECKIN_BEFORE_MINUTES = env_int("TINHSO_MEETINGS_CHECKIN_BEFORE_MINUTES", 30)
_reminder_hours = env_list("TINHSO_MEETINGS_REMINDER_HOURS", ["24", "1"])
if not all(h.isdigit() and 0 < int(h) <= 24 * 14 for h in _reminder_hours):
    raise ImproperlyConfigured("TINHSO_MEETINGS_REMINDER_HOURS must be whole hours, e.g. 24,1.")
TINHSO_MEETINGS_REMINDER_HOURS = [int(h) for h in _reminder_hours]

# Official mail (docs/mail.md): one SMTP relay of the province's mail server, each agency's
# official address as From; IMAP defaults for the agencies' mailboxes (admin: Hộp thư cơ quan).
TINHSO_MAIL_SMTP_HOST = os.environ.get("TINHSO_MAIL_SMTP_HOST", "").strip()
TINHSO_MAIL_SMTP_PORT = env_int("TINHSO_MAIL_SMTP_PORT", 25)
TINHSO_MAIL_SMTP_USER = os.environ.get("TINHSO_MAIL_SMTP_USER", "")
TINHSO_MAIL_SMTP_PASSWORD = env_str("TINHSO_MAIL_SMTP_PASSWORD", "")
TINHSO_MAIL_SMTP_SECURITY = os.environ.get("TINHSO_MAIL_SMTP_SECURITY", "none").strip().lower()
if TINHSO_MAIL_SMTP_SECURITY not in {"none", "starttls", "ssl"}:
    raise ImproperlyConfigured("TINHSO_MAIL_SMTP_SECURITY must be none, starttls or ssl.")
TINHSO_MAIL_SMTP_TIMEOUT = env_int("TINHSO_MAIL_SMTP_TIMEOUT", 20)
# Relays tried in order after TINHSO_MAIL_SMTP_HOST when it is down or refuses ("host[:port]",
# comma-separated; same security and credentials).
TINHSO_MAIL_SMTP_FALLBACK = env_list("TINHSO_MAIL_SMTP_FALLBACK", [])
TINHSO_MAIL_MAX_ATTEMPTS = env_int("TINHSO_MAIL_MAX_ATTEMPTS", 5)
TINHSO_MAIL_IMAP_HOST = os.environ.get("TINHSO_MAIL_IMAP_HOST", "").strip()
TINHSO_MAIL_IMAP_PORT = env_int("TINHSO_MAIL_IMAP_PORT", 993)
TINHSO_MAIL_IMAP_SSL = env_bool("TINHSO_MAIL_IMAP_SSL", True)
TINHSO_MAIL_FETCH_MINUTES = env_int("TINHSO_MAIL_FETCH_MINUTES", 5)
# `tinhso mail watch`: how long one IMAP IDLE lasts before it is renewed (RFC 2177: < 30 min).
TINHSO_MAIL_IDLE_SECONDS = env_int("TINHSO_MAIL_IDLE_SECONDS", 29 * 60)
TINHSO_MAIL_DOMAIN = os.environ.get("TINHSO_MAIL_DOMAIN", "binhphuoc.gov.vn").strip()

# --- The law (docs/workdays.md, docs/dossiers.md, docs/documents.md) --------------------------
# Same-day procedures (Decree 23/2015/NĐ-CP art. 7): received after this local time, they
# are due at the close of the next working day. A procedure's own cutoff_time overrides it.
_CUTOFF_RAW = os.environ.get("TINHSO_SAME_DAY_CUTOFF", "15:00").strip()
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", _CUTOFF_RAW):
    raise ImproperlyConfigured(f"TINHSO_SAME_DAY_CUTOFF={_CUTOFF_RAW!r} is not a time like 15:00.")
TINHSO_SAME_DAY_CUTOFF = _CUTOFF_RAW
# Apology and new appointment, form 04 (Decree 61/2018/NĐ-CP art. 17 as amended by Decree
# 107/2021/NĐ-CP): sent at the latest this many working days before the due moment (a later
# one is accepted and recorded as late notice), and a new appointment may be set at most
# TINHSO_APOLOGY_MAX times per dossier (0 = no limit).
TINHSO_APOLOGY_LEAD_WORKING_DAYS = env_int("TINHSO_APOLOGY_LEAD_WORKING_DAYS", 1)
TINHSO_APOLOGY_MAX = env_int("TINHSO_APOLOGY_MAX", 1)
if TINHSO_APOLOGY_LEAD_WORKING_DAYS < 0 or TINHSO_APOLOGY_MAX < 0:
    raise ImproperlyConfigured("TINHSO_APOLOGY_LEAD_WORKING_DAYS and TINHSO_APOLOGY_MAX must be "
                               ">= 0.")
# Certified copies may be signed only by an agency's registered competent signers (Decree
# 23/2015/NĐ-CP art. 5: at a commune, the chairman or a vice-chairman).
TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED = env_bool("TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED", True)

# Smart-agriculture IoT (docs/iot.md): the MQTT broker tinhso manages, raw-reading retention.
TINHSO_MQTT_HOST = env_str("TINHSO_MQTT_HOST", "127.0.0.1")
TINHSO_MQTT_PORT = env_int("TINHSO_MQTT_PORT", 1883)
TINHSO_MQTT_ADMIN_USER = env_str("TINHSO_MQTT_ADMIN_USER", "tinhso-admin")
# No development password in production: the broker features then refuse to start (BrokerError).
TINHSO_MQTT_ADMIN_PASSWORD = env_str("TINHSO_MQTT_ADMIN_PASSWORD",
                                     "" if PRODUCTION else "tinhso-admin-dev")
TINHSO_MQTT_INGEST_USER = env_str("TINHSO_MQTT_INGEST_USER", "tinhso-ingest")
TINHSO_MQTT_INGEST_PASSWORD = env_str("TINHSO_MQTT_INGEST_PASSWORD",
                                      "" if PRODUCTION else "tinhso-ingest-dev")
TINHSO_IOT_RETENTION_DAYS = env_int("TINHSO_IOT_RETENTION_DAYS", 400)
# A timestamp-less message whose bytes a device already sent this many seconds ago is a retry
# (iot/retries.py); 0 turns the check off.
TINHSO_IOT_RETRY_WINDOW_SECONDS = env_int("TINHSO_IOT_RETRY_WINDOW_SECONDS", 60)

# Farm marketplace: the agency whose officials verify sellers and keep the price bulletin (the
# Department of Agriculture; province admins may too), and the largest listing photo.
TINHSO_MARKET_AGENCY = env_str("TINHSO_MARKET_AGENCY", "000.00.15.H10")
TINHSO_MARKET_PHOTO_MAX_BYTES = env_int("TINHSO_MARKET_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
if TINHSO_MARKET_PHOTO_MAX_BYTES < 1024:
    raise ImproperlyConfigured("TINHSO_MARKET_PHOTO_MAX_BYTES must be at least 1024.")
# Dispute time limits (docs/market.md): N days after delivery to dispute, M days for the seller
# to answer before the market officers take it, K days after delivery to complete the order.
TINHSO_MARKET_DISPUTE_DAYS = env_int("TINHSO_MARKET_DISPUTE_DAYS", 7)
TINHSO_MARKET_DISPUTE_ANSWER_DAYS = env_int("TINHSO_MARKET_DISPUTE_ANSWER_DAYS", 3)
TINHSO_MARKET_COMPLETE_DAYS = env_int("TINHSO_MARKET_COMPLETE_DAYS", 14)
if min(TINHSO_MARKET_DISPUTE_DAYS, TINHSO_MARKET_DISPUTE_ANSWER_DAYS) < 1 or (
        TINHSO_MARKET_COMPLETE_DAYS < TINHSO_MARKET_DISPUTE_DAYS):
    raise ImproperlyConfigured("TINHSO_MARKET_*_DAYS must be at least 1, and COMPLETE_DAYS at "
                               "least DISPUTE_DAYS (completion closes the dispute window).")
# Outgoing events (docs/lgsp.md "Events"): Standard Webhooks, and NATS JetStream when a URL is set.
TINHSO_NATS_URL = os.environ.get("TINHSO_NATS_URL", "").strip()
if TINHSO_NATS_URL and not TINHSO_NATS_URL.startswith(("nats://", "tls://")):
    raise ImproperlyConfigured(f"TINHSO_NATS_URL={TINHSO_NATS_URL!r}: use nats:// or tls://.")
TINHSO_NATS_PREFIX = env_str("TINHSO_NATS_PREFIX", "TINHSO")
if not re.fullmatch(r"[A-Z][A-Z0-9]{0,30}", TINHSO_NATS_PREFIX):
    raise ImproperlyConfigured("TINHSO_NATS_PREFIX must be upper-case letters and digits.")
TINHSO_NATS_TIMEOUT = env_int("TINHSO_NATS_TIMEOUT", 5)
TINHSO_WEBHOOK_TIMEOUT = env_int("TINHSO_WEBHOOK_TIMEOUT", 15)
TINHSO_WEBHOOK_DISABLE_AFTER_HOURS = env_int("TINHSO_WEBHOOK_DISABLE_AFTER_HOURS", 120)
TINHSO_WEBHOOK_SECRET_OVERLAP_HOURS = env_int("TINHSO_WEBHOOK_SECRET_OVERLAP_HOURS", 24)
# Receivers that users register (EPCIS subscriptions, webhooks): internal addresses are refused
# unless inside these CIDRs (tinhso.core.outbound, docs/security.md "Outgoing requests").
TINHSO_OUTBOUND_ALLOW = env_list("TINHSO_OUTBOUND_ALLOW", [])
TINHSO_OUTBOUND_PORTS = env_list("TINHSO_OUTBOUND_PORTS", ["80", "443", "8080", "8443"])
for _network in TINHSO_OUTBOUND_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TINHSO_OUTBOUND_ALLOW: {_network!r} is not a CIDR "
                                   "(e.g. 10.1.0.0/16, 127.0.0.1/32).") from None
if not all(p == "*" or (p.isdigit() and 0 < int(p) < 65536) for p in TINHSO_OUTBOUND_PORTS):
    raise ImproperlyConfigured("TINHSO_OUTBOUND_PORTS: TCP ports, comma-separated, or *.")
# National connectors (docs/lgsp.md "Connectors"): the LGSP services tinhso calls through its own
# gateway, and the client subsystem it calls as. Empty service id: the connector is off.
TINHSO_LGSP_GATEWAY_URL = os.environ.get(
    "TINHSO_LGSP_GATEWAY_URL", "http://127.0.0.1:8000/lgsp").strip().rstrip("/")
TINHSO_LGSP_CLIENT = os.environ.get("TINHSO_LGSP_CLIENT", "").strip()
TINHSO_LGSP_CLIENT_TOKEN = env_str("TINHSO_LGSP_CLIENT_TOKEN", "")
TINHSO_NATIONAL_PORTAL_SERVICE = os.environ.get("TINHSO_NATIONAL_PORTAL_SERVICE", "").strip()
TINHSO_POPULATION_SERVICE = os.environ.get("TINHSO_POPULATION_SERVICE", "").strip()


# Logs: one line per record on stderr, JSON (TINHSO_LOG_FORMAT=json, the default in production)
# or text; every record carries the request id. One line per request from "tinhso.request" at
# INFO (TINHSO_REQUEST_LOG=false to silence it). Ids only: no personal data in logs.
TINHSO_LOG_FORMAT = env_str("TINHSO_LOG_FORMAT", "json" if PRODUCTION else "text")
if TINHSO_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("TINHSO_LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tinhso.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "tinhso.core.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": TINHSO_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINHSO_LOG_LEVEL", "WARNING")},
    # pyHanko logs a traceback for every revoked or expired certificate it validates; the
    # verification result already reports those precisely.
    "loggers": {"pyhanko": {"level": "ERROR"}, "pyhanko_certvalidator": {"level": "ERROR"},
                "tinhso.request": {"level": "INFO" if env_bool("TINHSO_REQUEST_LOG", PRODUCTION)
                                   else "WARNING"}},
}
