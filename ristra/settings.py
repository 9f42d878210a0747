"""Ristra settings: everything comes from the environment (see .env.example).

Bad values fail loudly at start-up rather than half-working later.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, cast

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from .env without overriding the real environment."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(BASE_DIR / ".env")


def envbool(name: str, default: str = "False") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("RISTRA_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("RISTRA_DEBUG", "False")
# Production (docs/deploy.md): HTTPS-only cookies, HSTS and the redirect to HTTPS by default.
RISTRA_ENV = os.environ.get("RISTRA_ENV", "development").strip().lower()
if RISTRA_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("RISTRA_ENV must be 'development' or 'production'")
PRODUCTION = RISTRA_ENV == "production"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("RISTRA_DEBUG must be off when RISTRA_ENV=production")


def _secret_key() -> str:
    key = os.environ.get("RISTRA_SECRET_KEY", "").strip()
    if key:
        return key
    # Check out and run: keep a generated key beside the embedded database.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("RISTRA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("RISTRA_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("RISTRA_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on (docs/single-sign-on.md): OIDC and SAML 2.0 through allauth.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ristra.accounts",
    "ristra.audit",
    "ristra.people",
    "ristra.reports",
    "ristra.mentoring",
    "ristra.plans",
    "ristra.pathways",
    "ristra.surveys",
    "ristra.core",
    # REST API at /api/ (docs/api.md); "ninja" serves the API docs' assets locally.
    "ristra.api",
    "ninja",
    # Public site (portal): the CMS at /cms/, its pages at the root (/); staff at /office/.
    "ristra.portal",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
]

MIDDLEWARE = [
    "ristra.core.middleware.ProxiedClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "ristra.core.middleware.UploadSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous public pages from the cache, answered before sessions, locale, CSRF and
    # authentication run (they run on a miss); the CSP and security headers still apply.
    "ristra.core.public_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ristra.accounts.middleware.AdministratorMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ristra.core.middleware.BusyDatabaseMiddleware",
]

ROOT_URLCONF = "ristra.urls"
WSGI_APPLICATION = "ristra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ristra" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ristra.core.context_processors.shell",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    }
]

# Database: SQLite in var/ by default, anything dj-database-url understands otherwise.
_default_db = f"sqlite:///{VAR_DIR / 'ristra.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock up front instead of failing half-way; readers never block.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-131072;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# allauth: staff accounts are created by an administrator; nobody signs themselves up.
ACCOUNT_ADAPTER = "ristra.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Lockout: after this many failed attempts on one account, it is locked for the period.
LOGIN_LOCKOUT_ATTEMPTS = envint("RISTRA_LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_MINUTES = envint("RISTRA_LOGIN_LOCKOUT_MINUTES", 15)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{LOGIN_LOCKOUT_ATTEMPTS}/{LOGIN_LOCKOUT_MINUTES}m/key,"
    f"{LOGIN_LOCKOUT_ATTEMPTS * 4}/{LOGIN_LOCKOUT_MINUTES}m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Ristra"
# Accounts are created by an administrator, so their e-mail is not separately verified.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Single sign-on (docs/single-sign-on.md): OIDC and SAML apps from RISTRA_OIDC_* and
# RISTRA_SAML_*; IdP groups map to roles on every sign-in (RISTRA_SSO_ROLE_MAP).
from ristra.accounts import sso as _sso  # noqa: E402

SOCIALACCOUNT_ADAPTER = "ristra.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = _sso.providers(os.environ)
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# With RISTRA_SSO_EMAIL_DOMAINS, a first sign-on joins the account that has that address.
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
ACCOUNT_FORMS = {
    "login": "ristra.accounts.forms.LoginForm",
    "reset_password": "ristra.accounts.forms.ResetPasswordForm",
}
RISTRA_SSO_ROLE_MAP = _sso.parse_role_map(os.environ.get("RISTRA_SSO_ROLE_MAP", ""))
RISTRA_SSO_DECISION_MAKER_GROUPS = envlist("RISTRA_SSO_DECISION_MAKER_GROUPS", "")
# RISTRA_LOCAL_LOGIN=off refuses password sign-in except for the break-glass administrators.
RISTRA_LOCAL_LOGIN = envbool("RISTRA_LOCAL_LOGIN", "on")
RISTRA_BREAK_GLASS_USERS = envlist("RISTRA_BREAK_GLASS_USERS", "")
# Administrators signing in with a password must set up an authenticator app first.
RISTRA_ADMIN_MFA = envbool("RISTRA_ADMIN_MFA", "on")

CACHES = {
    # The lockout counters must be shared by every process: keep them in the database.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ristra_cache",
    },
    # Import progress is written outside the import's transaction, so it cannot live in
    # the database while that transaction holds the write lock. Web process and worker
    # share this directory (same host); point RISTRA_PROGRESS_DIR at shared storage if not.
    "progress": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("RISTRA_PROGRESS_DIR", str(VAR_DIR / "progress")),
    },
    # Anonymous public-site pages (ristra/core/public_cache.py): each process keeps its own
    # in memory, so a hit needs no database; publishing in the CMS retires them all.
    "public-pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "public-pages",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
    # Published dashboards and reports, keyed by snapshot file and filters: computed once
    # per snapshot (the refresh task warms the common ones), shared by web and worker.
    "reports": cast(
        dict[str, Any],
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "reports"}
        if os.environ.get("PYTEST_VERSION")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("RISTRA_REPORT_CACHE_DIR", str(VAR_DIR / "report-cache")),
            "TIMEOUT": 7 * 24 * 3600,
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    ),
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("RISTRA_SESSION_HOURS", 10) * 3600
SESSION_COOKIE_SECURE = envbool("RISTRA_SECURE_COOKIES", str(PRODUCTION))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind a reverse proxy that terminates HTTPS (docs/deploy.md) and sets X-Forwarded-Proto.
if envbool("RISTRA_BEHIND_PROXY", str(PRODUCTION)):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of Ristra (docs/deploy.md).
RISTRA_TRUSTED_PROXY_COUNT = envint("RISTRA_TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)
SECURE_SSL_REDIRECT = envbool("RISTRA_SSL_REDIRECT", str(PRODUCTION))
SECURE_REDIRECT_EXEMPT = [r"^health/?$"]  # the proxy's and systemd's plain-HTTP health probe
SECURE_HSTS_SECONDS = envint("RISTRA_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("RISTRA_HSTS_INCLUDE_SUBDOMAINS", str(PRODUCTION))
# Preloading is a promise to browsers for the whole domain: the university's to make.
SECURE_HSTS_PRELOAD = envbool("RISTRA_HSTS_PRELOAD", "False")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Content Security Policy (django-csp; docs/security.md). Vega compiles chart expressions
# with Function(), hence 'unsafe-eval'; vega-embed, htmx and USWDS set inline styles. No
# inline scripts anywhere. Wagtail's admin (/cms/) is not CSP-clean and is left out.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "EXCLUDE_URL_PREFIXES": ["/cms/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if os.environ.get("RISTRA_CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["RISTRA_CSP_REPORT_URI"]]  # type: ignore[index]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "ristra" / "locale"]
TIME_ZONE = os.environ.get("RISTRA_TIME_ZONE", "America/Denver")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "ristra" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest import file accepted through the browser (the command line has no limit).
RISTRA_MAX_UPLOAD_MB = envint("RISTRA_MAX_UPLOAD_MB", 512)
# Imports with more rows than this run as a background task with a progress bar.
RISTRA_BACKGROUND_IMPORT_ROWS = envint("RISTRA_BACKGROUND_IMPORT_ROWS", 5000)

# Measures: the analytics snapshot (DuckDB file) the dashboards and reports read. It is
# refreshed in the background after every committed or rolled-back import.
RISTRA_SNAPSHOT_PATH = Path(
    os.environ.get("RISTRA_SNAPSHOT_PATH", str(VAR_DIR / "snapshot.duckdb"))
)
RISTRA_SNAPSHOT_AFTER_IMPORT = envbool("RISTRA_SNAPSHOT_AFTER_IMPORT", "True")
# After a refresh, compute each population's default dashboard so the first visit is fast.
RISTRA_WARM_DASHBOARDS = envbool("RISTRA_WARM_DASHBOARDS", "True")
# Small-cell suppression: counts from 1 to RISTRA_MIN_CELL - 1 are never published.
RISTRA_MIN_CELL = envint("RISTRA_MIN_CELL", 11)
if RISTRA_MIN_CELL < 2:
    raise ImproperlyConfigured("RISTRA_MIN_CELL must be at least 2")

# Background work: the Tasks API on our own database. `ristra serve` runs a worker thread
# inside the web process, so the embedded default needs no extra server; production runs
# `ristra db_worker` as one more process. RISTRA_TASKS=immediate runs tasks inline.
# Under pytest (which sets PYTEST_VERSION) the default is inline; tests of the worker opt in.
_tasks_default = "immediate" if os.environ.get("PYTEST_VERSION") else "database"
_tasks_mode = os.environ.get("RISTRA_TASKS", _tasks_default).strip().lower()
if _tasks_mode not in {"database", "immediate"}:
    raise ImproperlyConfigured("RISTRA_TASKS must be 'database' or 'immediate'")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if _tasks_mode == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

EMAIL_BACKEND = os.environ.get(
    "RISTRA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("RISTRA_FROM_EMAIL", "ristra@localhost")
# SMTP (docs/deploy.md), used when RISTRA_EMAIL_BACKEND is Django's SMTP backend.
EMAIL_HOST = os.environ.get("RISTRA_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("RISTRA_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("RISTRA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RISTRA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("RISTRA_EMAIL_STARTTLS", "False")
EMAIL_TIMEOUT = envint("RISTRA_EMAIL_TIMEOUT", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Passwords, tokens, cookies and keys never reach a log (ristra/core/logging.py).
    "filters": {"redact": {"()": "ristra.core.logging.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("RISTRA_LOG_LEVEL", "WARNING")},
}

# Wagtail (the public site's CMS, see docs/portal.md). Page content is kept per language:
# a Spanish translation of a page is served at the same address when Spanish is chosen.
WAGTAIL_SITE_NAME = os.environ.get("RISTRA_PORTAL_NAME", "Ristra")
WAGTAILADMIN_BASE_URL = SITE_URL
# Editors sign in through allauth (lockout, MFA), never through Wagtail's own login form.
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# The office's address for contact-form messages when the CMS site settings name none.
RISTRA_OFFICE_EMAIL = os.environ.get("RISTRA_OFFICE_EMAIL", DEFAULT_FROM_EMAIL)
# Newsletter: messages per SMTP connection, and attempts before a failed send is given up.
RISTRA_NEWSLETTER_BATCH = envint("RISTRA_NEWSLETTER_BATCH", 100)
RISTRA_NEWSLETTER_MAX_ATTEMPTS = envint("RISTRA_NEWSLETTER_MAX_ATTEMPTS", 3)

# Anonymous GETs of the public site are cached this long; publishing in the CMS purges them.
RISTRA_PUBLIC_CACHE_SECONDS = envint(
    "RISTRA_PUBLIC_CACHE_SECONDS", 0 if os.environ.get("PYTEST_VERSION") else 300
)

# Django's admin is off by default: it would show identity data without writing the audit log.
ADMIN_ENABLED = envbool("RISTRA_ADMIN_ENABLED", "False")
