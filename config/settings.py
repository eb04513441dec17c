"""Tongzhan settings: one module, every knob an environment variable (healthchecks' hc/settings.py).

Nothing exists only in production: the demo, the tests and an office's server read the same file.
"""

import datetime
import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Everything the instance writes lives in one folder: the SQLite file, the secret key, the field keys.
DATA_DIR = Path(os.environ.get("TONGZHAN_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Take the key from the environment, else from DATA_DIR/secret_key, generating it on first start."""
    if os.environ.get("TONGZHAN_SECRET_KEY"):
        return os.environ["TONGZHAN_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("TONGZHAN_DEBUG")
ALLOWED_HOSTS = env_list("TONGZHAN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
# A host name of its own for the public collection pages (网站征集): on it only those pages are served
# (tongzhan/collection/middleware.py, docs/deploy.md). Empty: the public pages live on the staff host.
PUBLIC_HOST = os.environ.get("TONGZHAN_PUBLIC_HOST", "").strip().lower()
if PUBLIC_HOST and PUBLIC_HOST not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(PUBLIC_HOST)
CSRF_TRUSTED_ORIGINS = env_list("TONGZHAN_CSRF_TRUSTED_ORIGINS")

# Field-encryption keys (SM4) and blind-index key (HMAC-SM3): outside the database and the repository.
FIELD_KEY_FILE = Path(os.environ.get("TONGZHAN_KEY_FILE", DATA_DIR / "field_keys.json"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "tongzhan.core",
    "tongzhan.audit",
    "tongzhan.regions",
    "tongzhan.accounts",
    "tongzhan.people",
    "tongzhan.imports",
    "tongzhan.campaigns",
    "tongzhan.collection",
    "captcha",  # django-simple-captcha: the public form's offline image captcha (SECURITY.md H2)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tongzhan.core.middleware.SecurityHeadersMiddleware",
    # On TONGZHAN_PUBLIC_HOST only the public collection pages exist; everything else is the plain 404.
    "tongzhan.collection.middleware.PublicHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tongzhan.core.middleware.LoginRequiredMiddleware",
    "tongzhan.core.middleware.ReadOnlyRoleMiddleware",
    # After login-required: an authenticated user passes the second factor, then changes a forced password.
    "tongzhan.accounts.middleware.SecondFactorMiddleware",
    # Last, as axes asks: it turns a lockout flagged during the request into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "tongzhan.core.context_processors.site",
            ],
            # {% url %} remembering argument-less links per process (tongzhan/core/templatetags/memo_url.py).
            "builtins": ["tongzhan.core.templatetags.memo_url"],
        },
    }
]
# Selects written directly instead of through two template includes per option (tongzhan/core/renderers.py).
FORM_RENDERER = "tongzhan.core.renderers.FastSelectRenderer"

# SQLite by default (one office, zero set-up); PostgreSQL through DATABASE_URL past one office.
_sqlite_path = DATA_DIR / "tongzhan.sqlite3"
# Each server thread keeps its connection for ten minutes. A new one is dear on both databases: on
# PostgreSQL a new backend with cold catalogue caches made the next page 12 ms slower (28 against
# 16 ms at p50), and at the former 60 s every thread paid that once a minute; on SQLite
# opening costs about 2 ms (journal_mode=WAL reads the whole schema) and starts with an empty page
# cache, so every request re-read the index pages the last one had read. Health checks reopen a
# connection the server dropped (a PostgreSQL restart) instead of failing the next request; Django
# still closes a connection after an error. On SQLite each of waitress's threads may so hold up to
# cache_size (64 MB) of pages (docs/deploy.md, 6).
DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{_sqlite_path}", conn_max_age=600,
                                      conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # FULL, because NORMAL can lose committed rows on power loss; IMMEDIATE so writers queue
        # on the busy timeout instead of failing with "database is locked" half-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA secure_delete=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TONGZHAN_TEST_SQLITE", str(DATA_DIR / "test-tongzhan.sqlite3"))
    }
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Every select of a form iterates its queryset with .iterator(), which on PostgreSQL is a
    # server-side cursor: DECLARE, FETCH and CLOSE round trips for each code table on each page.
    # Client-side cursors are also what a transaction-pooling pgbouncer in front of the server needs.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Axes first: it refuses a locked-out username before any password is checked (SECURITY.md B3).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Password profiles (SECURITY.md B2): `mlps` for 等保 (length, classes, username, common list, history,
# optional rotation), `asvs` for OWASP ASVS (length only). Messages come from tongzhan/accounts/passwords.py.
_PW = "tongzhan.accounts.passwords."
PASSWORD_PROFILES = {
    "mlps": [
        {"NAME": _PW + "MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
        {"NAME": _PW + "CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
        {"NAME": _PW + "UsernameSimilarityValidator"},
        {"NAME": _PW + "CommonPasswordValidator"},
        {"NAME": _PW + "PasswordHistoryValidator", "OPTIONS": {"count": 5}},
    ],
    "asvs": [
        {"NAME": _PW + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    ],
}
PASSWORD_PROFILE = os.environ.get("TONGZHAN_PASSWORD_PROFILE", "mlps").strip().lower()
if PASSWORD_PROFILE not in PASSWORD_PROFILES:
    raise ValueError(f"TONGZHAN_PASSWORD_PROFILE must be one of {sorted(PASSWORD_PROFILES)}")
AUTH_PASSWORD_VALIDATORS = PASSWORD_PROFILES[PASSWORD_PROFILE]
# Days after which a password must be changed at the next login; 0 turns rotation off.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("TONGZHAN_PASSWORD_MAX_AGE_DAYS", "0"))
PASSWORD_HISTORY_COUNT = 5

# 等保 level 3 (default) requires TOTP after the password for every staff account; level 2 makes it optional.
SECURITY_LEVEL = int(os.environ.get("TONGZHAN_SECURITY_LEVEL", "3"))
if SECURITY_LEVEL not in (2, 3):
    raise ValueError("TONGZHAN_SECURITY_LEVEL must be 2 or 3")
OTP_TOTP_ISSUER = "统战工作管理平台"
OTP_TOTP_THROTTLE_FACTOR = 1

# Lockout (SECURITY.md B3). Axes counts failures per username: 5 lock it for 30 minutes after the last.
# The per-IP rule (20 failures in 10 minutes) counts axes' AccessFailureLog rows in the database, so it
# holds across server processes (tongzhan/accounts/lockout.py).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# A locked account gets the login page with the same message as a wrong password, not axes' own page.
AXES_LOCKOUT_CALLABLE = "tongzhan.accounts.lockout.same_as_wrong_password"
AXES_IP_LIMIT = 20
AXES_IP_WINDOW = datetime.timedelta(minutes=10)
# Behind the nginx of deploy/nginx, REMOTE_ADDR is the proxy: the client is in X-Forwarded-For, which
# that nginx sets itself (tongzhan/accounts/lockout.py, request_address).
AXES_BEHIND_PROXY = env_bool("TONGZHAN_BEHIND_PROXY")
AXES_CLIENT_IP_CALLABLE = "tongzhan.accounts.lockout.request_address"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TONGZHAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
TESTING = env_bool("TONGZHAN_TESTING") or "pytest" in sys.modules
if TESTING or DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_AUTOREFRESH = True
    WHITENOISE_USE_FINDERS = True

# Sessions: 30 minutes idle, 10 hours at most (SECURITY.md B5); the absolute limit is enforced in middleware.
# Activity moves the idle deadline, but the session row is rewritten at most once a minute (a write
# on every request cost a synchronous commit per page view): the idle limit is 30 minutes, within 60 s.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = 10 * 60 * 60
# Cookies and HTTPS (SECURITY.md I1, I2). Off by default so `make run` works over plain http on
# 127.0.0.1; deploy/production.env.example turns every one on (docs/deploy.md).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (base.html hx-headers), not the cookie
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("TONGZHAN_SECURE_COOKIES")
SECURE_SSL_REDIRECT = env_bool("TONGZHAN_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a local monitor may probe http://127.0.0.1:PORT/healthz
SECURE_HSTS_SECONDS = int(os.environ.get("TONGZHAN_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# The preload directive alone enrols nothing: only a submission to the browsers' list does.
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Behind the TLS proxy (deploy/nginx) the scheme and the client's address come from its headers, which
# it sets itself; waitress must then listen on loopback only, so nobody can send them around it.
BEHIND_PROXY = env_bool("TONGZHAN_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# axes.W006 asks for 'ip_address' in AXES_LOCKOUT_PARAMETERS. Axes has one limit (5, spent on the
# username); the per-IP rule (20 in 10 minutes) is tongzhan/accounts/lockout.py, so the warning is met.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Spreadsheet uploads (SECURITY.md F1): the cap core/sheet_reader.py applies before reading anything.
TONGZHAN_UPLOAD_MAX_BYTES = int(os.environ.get("TONGZHAN_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Logs go to stderr and never carry personal data: request paths hold ids, not names or ID numbers.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TONGZHAN_LOG_LEVEL", "WARNING")},
}

# The public form's captcha: arithmetic drawn with the font inside the django-simple-captcha wheel, one
# attempt per challenge, an hour to fill the form in. Nothing is fetched from anywhere (SECURITY.md A5).
CAPTCHA_CHALLENGE_FUNCT = "tongzhan.collection.captcha.arithmetic_challenge"
CAPTCHA_TIMEOUT = 60
CAPTCHA_FONT_SIZE = 40
CAPTCHA_IMAGE_SIZE = (110, 56)
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_2X_IMAGE = False
# Seconds between serving the public form and accepting it: faster is a bot (H2).
COLLECTION_MIN_FILL_SECONDS = int(os.environ.get("TONGZHAN_COLLECTION_MIN_FILL_SECONDS", "5"))

TONGZHAN = {
    # Days after which a record counts as stale, per category, unless the category says otherwise.
    "DEFAULT_VERIFY_DAYS": int(os.environ.get("TONGZHAN_DEFAULT_VERIFY_DAYS", "365")),
    "DEMO": env_bool("TONGZHAN_DEMO", True),
}
