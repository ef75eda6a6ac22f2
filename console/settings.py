"""The console's one settings module. Everything that differs between installations comes from
the environment (see README "Configuration"); the defaults are those of a safe trial run."""
import secrets
from pathlib import Path

from console.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once for this installation and kept."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console",
    "groups",
    "accounts",
    "activation",
    "licensing",
    "fleet",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (and before the common) middleware, as Django's documentation asks: the
    # browser's Accept-Language chooses the language; the operator's own choice overrides it below.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after the operator is known, so every message below is in the operator's language.
    "console.middleware.OperatorLanguageMiddleware",
    # Before the middleware below that may answer early: every operator response passes it.
    "console.middleware.OperatorNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages middleware: it tells a superseded session why it ended.
    "console.middleware.OperatorSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "console.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

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
                "console.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/console.sqlite3"), BASE_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "console.Operator"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The longest password an operator may set is also the longest the login form takes
# (console/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "console.passwords.MaximumLengthValidator"},
    {"NAME": "console.passwords.NotCloseToNamesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "console.passwords.PasswordReuseValidator", "OPTIONS": {"remember": 5}},
]

# Sessions: idle timeout (refreshed on every request) and one live session per operator.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SINGLE_SESSION_PER_OPERATOR = env_bool("SINGLE_SESSION_PER_OPERATOR", True)
# Login throttling (console/throttle.py): after LOGIN_FAILURE_LIMIT failures of one username from
# one address (LOGIN_ADDRESS_FAILURE_LIMIT from one address, any username), each further attempt
# waits LOGIN_DELAY_BASE seconds, doubled per failure, at most LOGIN_DELAY_MAX; a throttle is
# forgotten LOGIN_FAILURE_WINDOW seconds after its last failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_DELAY_BASE = env_int("LOGIN_DELAY_BASE", 2)
LOGIN_DELAY_MAX = env_int("LOGIN_DELAY_MAX", 15 * 60)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 24 * 3600)
# Two-factor sign-in (django-otp): the console throttles wrong codes per (username, address) like
# wrong passwords; django-otp's own per-device throttle would let a guesser from anywhere lock the
# operator out, so it is off.
OTP_TOTP_ISSUER = "SIP Operator Console"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG and env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preloading is a promise to browsers that is slow to take back: only on request.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# ... so `check --deploy` does not ask for it (security.W021) unless it is on.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
# Each language named in itself, as a language choice shows it. A third language is a line here and
# a catalogue under locale/ (plus, for its dates, a format module under console/formats/).
LANGUAGES = [("en-gb", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
FORMAT_MODULE_PATH = ["console.formats"]  # one date format everywhere: ISO 8601

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}
# Messages live in the session, not in a cookie: some carry one-time passwords shown once.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# The voice service.
SIP_DOMAIN = env_str("SIP_DOMAIN", "sip.example.net")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
KAMAILIO_RPC_URL = env_str("KAMAILIO_RPC_URL", "")
SMS_BACKEND = env_choice("SMS_BACKEND", "console", ("console", "kannel", "http"))
SEARCH_INDEX_DIR = Path(env_str("SEARCH_INDEX_DIR", str(VAR_DIR / "search-index")))
# Seconds the search change log keeps a row (accounts/search/changelog.py): an index not applied
# for longer rebuilds itself from the database.
SEARCH_CHANGE_LOG_RETENTION = env_int("SEARCH_CHANGE_LOG_RETENTION", 3 * 24 * 3600)
# Memory each process may spend on the index's term lists (accounts/search/engine/lexicon_files.py).
SEARCH_LEXICON_CACHE_MB = env_int("SEARCH_LEXICON_CACHE_MB", 512)
# While accounts keep changing (a bulk send moves one account per SMS), the worker applies the
# change log to the index at most every this many seconds (accounts/search/engine/index.py).
SEARCH_WARM_SECONDS = float(env_str("SEARCH_WARM_SECONDS", "2"))

# Functions the worker (manage.py run_worker) calls on every round; each returns how much it did.
WORKER_TASKS: list[str] = ["console.throttle.login_throttles_prune"]
WORKER_IDLE_SECONDS = float(env_str("WORKER_IDLE_SECONDS", "1.0"))

# Automatic activation (activation app): link lifetimes (seconds) and SMS delivery.
INSTALLATION_LINK_LIFETIME = env_int("INSTALLATION_LINK_LIFETIME", 7 * 24 * 3600)
ACTIVATION_LINK_LIFETIME = env_int("ACTIVATION_LINK_LIFETIME", 3 * 24 * 3600)
SMS_GATEWAY_TIMEOUT = float(env_str("SMS_GATEWAY_TIMEOUT", "10"))
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 6)
SMS_RETRY_BASE_SECONDS = float(env_str("SMS_RETRY_BASE_SECONDS", "5"))
SMS_SEND_THREADS = env_int("SMS_SEND_THREADS", 8)
SMS_BATCH_SIZE = env_int("SMS_BATCH_SIZE", 20)
WORKER_TASKS.append("activation.sms.outbox.send_due_sms_in_background")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Licensing (L, W4): the key that signs licence answers (PEM, or base64 of the raw 32-byte
# Ed25519 private key; empty: generated once and kept under VAR_DIR), how long a client may rely on
# a cached answer, and the per-client rate limits of POST /client/v1/licence (requests per window
# per SIP username from one source address and per source address, the address as
# console.sessions.client_ip sees it; failed validations per SIP username from one address).
LICENCE_SIGNING_KEY = env_str("LICENCE_SIGNING_KEY", "")
LICENCE_OFFLINE_GRACE_DAYS = env_int("LICENCE_OFFLINE_GRACE_DAYS", 7)
LICENCE_RATE_WINDOW_SECONDS = env_int("LICENCE_RATE_WINDOW_SECONDS", 60)
LICENCE_RATE_LIMIT_PER_USERNAME = env_int("LICENCE_RATE_LIMIT_PER_USERNAME", 10)
LICENCE_RATE_LIMIT_PER_ADDRESS = env_int("LICENCE_RATE_LIMIT_PER_ADDRESS", 300)
LICENCE_FAILURE_LIMIT = env_int("LICENCE_FAILURE_LIMIT", 5)
# On PostgreSQL each process writes its rate-limit counts in batches, one every this many seconds
# while requests come (0: each request at once, exact across processes; licensing/ratelimit.py),
# and remembers at most this many of the accounts licence checks read (0: no cache;
# licensing/clientcache.py).
LICENCE_RATE_FLUSH_SECONDS = env_int("LICENCE_RATE_FLUSH_SECONDS", 1)
LICENCE_CACHE_ENTRIES = env_int("LICENCE_CACHE_ENTRIES", 10000)
# An identical repeated licence check adds an activity-timeline entry at most this often.
LICENCE_CHECK_AUDIT_INTERVAL_SECONDS = env_int("LICENCE_CHECK_AUDIT_INTERVAL_SECONDS", 24 * 3600)
WORKER_TASKS += ["licensing.tasks.licences_expire_due", "licensing.tasks.rate_buckets_prune"]

# SIP server (accounts/sipserver): the time zone in which Kamailio writes the timestamps of its
# `location` table (empty: this machine's local zone), and the worker task that moves accounts
# with a new registration to Connected.
KAMAILIO_TIME_ZONE = env_str("KAMAILIO_TIME_ZONE", "")
WORKER_TASKS.append("accounts.sipserver.tasks.accounts_connect_registered")

# Batch import (accounts/batch): uploads above BATCH_IMPORT_SYNC_BYTES are checked and imported by
# the worker with a progress bar (smaller ones within the request); size and row limits per file.
BATCH_IMPORT_SYNC_BYTES = env_int("BATCH_IMPORT_SYNC_BYTES", 256 * 1024)
BATCH_IMPORT_MAX_BYTES = env_int("BATCH_IMPORT_MAX_BYTES", 64 * 1024 * 1024)
BATCH_IMPORT_MAX_ROWS = env_int("BATCH_IMPORT_MAX_ROWS", 200_000)
WORKER_TASKS.append("accounts.batch.jobs.run_import_jobs")
WORKER_TASKS.append("accounts.search.engine.index.keep_index_warm")  # applies the search change log (DESIGN 7)
WORKER_TASKS.append("accounts.search.changelog.search_changes_prune")

# Bulk actions (fleet): selections of up to BULK_SYNC_LIMIT accounts are acted on within the
# request; larger ones by the worker, BULK_CHUNK_SIZE accounts per transaction, with a progress bar.
BULK_SYNC_LIMIT = env_int("BULK_SYNC_LIMIT", 200)
BULK_CHUNK_SIZE = env_int("BULK_CHUNK_SIZE", 500)
# Threads of the worker working on bulk batches at once (PostgreSQL): while one chunk is in the
# database, the next is being built. Two cut a bulk action on 100,000 accounts by a third on a
# two-core machine but made its list pages twice as slow meanwhile; with four cores or more, 2.
BULK_WORKER_THREADS = env_int("BULK_WORKER_THREADS", 1)
WORKER_TASKS.append("fleet.services.run_bulk_batches")
WORKER_TASKS.append("fleet.status_counts.status_counts_fold")  # the dashboard's kept counts (PostgreSQL)

# The Services page's live checks (X1), in the page's order: each app's function (ServiceSettings) -> Check.
SERVICE_CHECKS: list[str] = [
    "licensing.checks.public_base_url_service_check",
    "activation.checks.sms_gateway_service_check",
    "accounts.sipserver.rpc.rpc_service_check",
    "activation.checks.profiles_service_check",
]
# The operator REST API (/api/v1/, console/api): tokens only, errors as problem+json, a per-token
# rate limit counted in the database (API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS), and
# how long an Idempotency-Key's answer is kept.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 1200)
API_RATE_WINDOW_SECONDS = env_int("API_RATE_WINDOW_SECONDS", 60)
API_IDEMPOTENCY_SECONDS = env_int("API_IDEMPOTENCY_SECONDS", 24 * 3600)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["console.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["console.api.permissions.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["console.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "console.api.problems.ProblemJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["console.json_body.JSONParser"],  # DRF's, refusing any nesting depth (400)
    "EXCEPTION_HANDLER": "console.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SIP Operator Console API",
    "DESCRIPTION": "Everything an operator does in the console, for billing and CRM systems. "
                   "Authenticate with an operator's API token: `Authorization: Bearer sipc_...`.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LicenceStateEnum": "licensing.models.Licence.State",
        "LicenceEditionEnum": "licensing.models.Licence.Edition",
        "SmsStateEnum": "activation.models.SmsMessage.State",
        "ImportStateEnum": "accounts.batch.models.ImportJob.State",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "console.api.schema.add_problem_responses",
    ],
}
WORKER_TASKS.append("console.api.idempotency.idempotent_requests_prune")
