"""The one settings module of lastmeter.

Everything is read from environment variables through lastmeter.lib.env; with none set, the
embedded default runs: SQLite under ./var, the in-memory channel layer, an in-process outbox
worker. DATABASE_URL switches to PostgreSQL, REDIS_URL to the Redis channel layer and cache.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lastmeter.lib.env import database_from_url, env_bool, env_float, env_int, env_list, env_str
from lastmeter.lib.fieldcrypt import derived_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("LASTMETER_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("LASTMETER_DEBUG", False)
# A fixed key is only acceptable for the embedded demo; deployments must set their own.
SECRET_KEY = env_str("LASTMETER_SECRET_KEY", "lastmeter-embedded-demo-key-change-me-in-production")
# Residents' names and phone numbers are encrypted at rest (lastmeter/lib/fieldcrypt.py): Fernet
# keys, comma-separated, newest first (it encrypts; all decrypt), and a separate HMAC key for the
# phone hashes that lookups use. Rotation: docs/ARCHITECTURE.md, "Personal data at rest". Without
# them the embedded demo derives both from SECRET_KEY (a system check warns; `check --deploy`
# fails with an error, so a deployment does not start that way).
LASTMETER_FIELD_KEYS_DERIVED = not env_list("LASTMETER_FIELD_KEYS", [])
LASTMETER_FIELD_KEYS = env_list("LASTMETER_FIELD_KEYS", []) or [derived_key(SECRET_KEY, "field-keys")]
LASTMETER_HASH_KEY_DERIVED = not env_str("LASTMETER_HASH_KEY", "")
LASTMETER_HASH_KEY = env_str("LASTMETER_HASH_KEY", "") or derived_key(SECRET_KEY, "hash-key")
# Days after an appeal is closed before its reporter's personal data (name, phone, e-mail, photos,
# chat text) is erased by the retention job (lastmeter/ops/retention.py); the figures stay.
LASTMETER_RETENTION_DAYS = env_int("LASTMETER_RETENTION_DAYS", 365)
if LASTMETER_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("LASTMETER_RETENTION_DAYS must be at least 1")
# The same for closed or withdrawn complaints (the complainant's details, the complaint's words,
# reply letters) and closed mediation cases (the parties, what was said and agreed); each defaults
# to the appeals' period. A mediation case also waits until the recurrence horizon has passed.
LASTMETER_COMPLAINT_RETENTION_DAYS = env_int("LASTMETER_COMPLAINT_RETENTION_DAYS", LASTMETER_RETENTION_DAYS)
LASTMETER_MEDIATION_RETENTION_DAYS = env_int("LASTMETER_MEDIATION_RETENTION_DAYS", LASTMETER_RETENTION_DAYS)
# Inbound items that became no appeal (group-chat chatter, refused or given-up items): their
# content is erased this many days after they arrived; the row stays (it refuses a late redelivery).
LASTMETER_INBOUND_RETENTION_DAYS = env_int("LASTMETER_INBOUND_RETENTION_DAYS", 30)
if LASTMETER_INBOUND_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("LASTMETER_INBOUND_RETENTION_DAYS must be at least 1")
if min(LASTMETER_COMPLAINT_RETENTION_DAYS, LASTMETER_MEDIATION_RETENTION_DAYS) < 1:
    raise ImproperlyConfigured(
        "LASTMETER_COMPLAINT_RETENTION_DAYS and LASTMETER_MEDIATION_RETENTION_DAYS must be at least 1"
    )
# When the task engine runs it (a cron line, UTC; once for the whole cluster): daily at 02:41.
LASTMETER_RETENTION_CRON = env_str("LASTMETER_RETENTION_CRON", "41 2 * * *")
ALLOWED_HOSTS = env_list("LASTMETER_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("LASTMETER_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    # Django Ninja renders /api/v1/docs from its own templates and static files (Swagger UI ships
    # in the package) when it is an installed app; otherwise it would load Swagger UI from a CDN.
    "ninja",
    # Staff accounts (see "security" below): one-time passwords (TOTP and recovery codes) and
    # login throttling with lock-out.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "lastmeter.accounts",
    "lastmeter.grids",
    "lastmeter.roads",
    "lastmeter.appeals",
    "lastmeter.planning",
    "lastmeter.intake",
    "lastmeter.triage",
    "lastmeter.dispatching",
    "lastmeter.open311",
    "lastmeter.stats",
    "lastmeter.broadcasts",
    "lastmeter.complaints",
    "lastmeter.mediation",
    "lastmeter.meetings",
    "lastmeter.duty",
    "lastmeter.patrols",
    "lastmeter.realtime",
    "lastmeter.web",
    "csp",  # Content-Security-Policy (django-csp; Django 5.2 has none of its own)
    "lastmeter.ops",  # health, readiness, metrics, the workers' heartbeats
    # The project package itself, for the top floor's commands (lastmeter/management/commands:
    # serve, worker, demo, simulate), which compose the apps above and so belong to none of them.
    "lastmeter",
]

MIDDLEWARE = [
    # First, so it times and counts every answer (Prometheus, /metrics).
    "lastmeter.ops.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Serves collected static files from the ASGI process itself, so the embedded default needs
    # no separate web server (a well-kept library rather than a hand-written static handler).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed a second factor (django-otp) …
    "django_otp.middleware.OTPMiddleware",
    # … which staff whose role needs one must have before any other page opens.
    "lastmeter.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login attempt into its lock-out page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lastmeter.urls"
ASGI_APPLICATION = "lastmeter.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lastmeter.web.context.nav_links",
                "lastmeter.web.context.simulation_note",
                "lastmeter.accounts.context.two_factor_note",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
# PostgreSQL connections per process, from psycopg's pool (Django's "pool" option); 0: no pool.
# A web process (daphne) runs every request in a thread of its own, each with its own connection, so
# without a pool N requests in flight hold N connections and PostgreSQL refuses the one past its
# max_connections (HTTP 500); with a pool they wait their turn (LASTMETER_DB_POOL_TIMEOUT_S). Set it
# in deployments (deploy/README.md); the tests and the embedded default run without.
LASTMETER_DB_POOL_MAX = env_int("LASTMETER_DB_POOL_MAX", 0)
LASTMETER_DB_POOL_TIMEOUT_S = env_float("LASTMETER_DB_POOL_TIMEOUT_S", 30.0)
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    if LASTMETER_DB_POOL_MAX > 0 and str(DATABASES["default"]["ENGINE"]).endswith("postgresql"):
        DATABASES["default"]["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": LASTMETER_DB_POOL_MAX, "timeout": LASTMETER_DB_POOL_TIMEOUT_S}
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite needs its directory to exist
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "lastmeter.sqlite3"),
            # Several writers (web, sweeper, outbox worker) share the file: wait instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not :memory:, so that tests with several threads (two sweepers racing)
            # see real SQLite locking rather than shared-cache "table is locked" errors.
            "TEST": {"NAME": str(VAR_DIR / "test-lastmeter.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background work: the task engine (procrastinate; docs/ARCHITECTURE.md, "Background work") ---
# On PostgreSQL the engine's queue is its own tables, created by its Django app's migrations; on
# the embedded SQLite default it lives in the memory of the process that runs the worker (the
# engine has no SQLite backend), and the periodic sweeps recover whatever a restart forgets.
TASKS_IN_DATABASE = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if TASKS_IN_DATABASE:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("lastmeter.ops"), "procrastinate.contrib.django")
# Our tasks are registered by lastmeter/worker.py, not discovered in modules named "tasks".
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = ""
# Seconds between two runs of each sweep (clocks, intake retries, due broadcasts, the outbox's
# safety net, rollups); a divisor of 60, since the schedules are cron lines with a seconds field.
LASTMETER_SWEEP_EVERY_S = env_int("LASTMETER_SWEEP_EVERY_S", 5)
if LASTMETER_SWEEP_EVERY_S < 1 or 60 % LASTMETER_SWEEP_EVERY_S:
    raise ImproperlyConfigured(
        "LASTMETER_SWEEP_EVERY_S must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)"
    )
# Jobs one worker process runs at once (threads; each holds a database connection while it runs).
LASTMETER_WORKER_CONCURRENCY = env_int("LASTMETER_WORKER_CONCURRENCY", 4)
# A worker writes the engine's heartbeat this often; one silent for LASTMETER_TASK_STALLED_S is
# taken for dead and the jobs it held are run again.
LASTMETER_TASK_HEARTBEAT_S = env_float("LASTMETER_TASK_HEARTBEAT_S", 10.0)
LASTMETER_TASK_STALLED_S = env_float("LASTMETER_TASK_STALLED_S", 30.0)

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("LASTMETER_CHANNEL_PREFIX", "lastmeter")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("LASTMETER_CHANNEL_PREFIX", "lastmeter"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Password policy (applied wherever a password is set through a form: admin, password change).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("LASTMETER_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every password attempt made through a request first (and refuses a locked-out
# one); then Django's own check of the password.
AUTHENTICATION_BACKENDS = [
    "lastmeter.accounts.backends.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = env_str("LASTMETER_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("LASTMETER_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [d for d in [PROJECT_DIR / "node_modules_static"] if d.exists()]
# Serve straight from the apps' static dirs too, so `collectstatic` is an optimisation, not a must.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Request bodies Django reads into memory (forms with photos). The same variable also caps the
# chat webhooks, with a smaller default there: see LASTMETER_MAX_BODY_BYTES below.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LASTMETER_MAX_BODY_BYTES", 2 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LASTMETER_LOG_LEVEL", "WARNING")},
    "loggers": {
        "lastmeter": {"level": env_str("LASTMETER_LOG_LEVEL", "INFO")},
        # The task engine logs every job's start and end at INFO: several lines a second.
        "procrastinate": {"level": env_str("LASTMETER_TASKS_LOG_LEVEL", "WARNING")},
    },
}

# --- lastmeter's own knobs -------------------------------------------------------------------
# Where a landing must be proven: the officer's reported position within this many metres.
LASTMETER_LANDING_RADIUS_M = env_float("LASTMETER_LANDING_RADIUS_M", 300.0)
# A patrol check-in further than this from its plan's cells and route is refused.
LASTMETER_PATROL_CHECKIN_RADIUS_M = env_float("LASTMETER_PATROL_CHECKIN_RADIUS_M", 1000.0)
# Fraction of a clock elapsed at which the sweeper raises a warning.
LASTMETER_WARNING_FRACTION = env_float("LASTMETER_WARNING_FRACTION", 0.75)
# Outbox delivery: attempts before a message is parked as failed, and the base back-off.
LASTMETER_OUTBOX_MAX_ATTEMPTS = env_int("LASTMETER_OUTBOX_MAX_ATTEMPTS", 8)
LASTMETER_OUTBOX_BACKOFF_S = env_float("LASTMETER_OUTBOX_BACKOFF_S", 30.0)
# A worker that claimed a message holds it this long; after that (it died mid-send) another worker
# sends it again with the same idempotency key.
LASTMETER_OUTBOX_LEASE_S = env_float("LASTMETER_OUTBOX_LEASE_S", 120.0)
# Run the task engine's worker (sweeps, outbox delivery) inside `lastmeter serve` (embedded default).
LASTMETER_INPROCESS_WORKER = env_bool("LASTMETER_INPROCESS_WORKER", True)
# The ASGI server of `lastmeter serve`: "uvicorn" (the default: httptools and uvloop, about half
# daphne's CPU per request — docs/BENCHMARKS.md, "ASGI server") or "daphne".
LASTMETER_ASGI_SERVER = env_str("LASTMETER_ASGI_SERVER", "uvicorn").strip().lower()
if LASTMETER_ASGI_SERVER not in ("uvicorn", "daphne"):
    raise ImproperlyConfigured(f"LASTMETER_ASGI_SERVER={LASTMETER_ASGI_SERVER!r}: use uvicorn or daphne")
# The OS priority `lastmeter worker` lowers itself by (os.nice; 0 keeps it). On a machine the web
# processes share with the workers, answering a platform's webhook within its retry window matters
# more than triaging the stored item a second sooner: under contention the kernel's scheduler then
# gives a worker at nice 10 about a tenth of what a web process gets, and all the idle CPU otherwise.
LASTMETER_WORKER_NICE = env_int("LASTMETER_WORKER_NICE", 10)
# How `lastmeter serve` runs Django for plain HTTP: "wsgi" (the default) runs the middleware and
# view in one of LASTMETER_HTTP_THREADS threads through a2wsgi; "asgi" through Django's ASGI
# handler, which hops between the event loop and threads up to three times per request (asgiref,
# with the context copied each time): about 0.8 ms more CPU per request, measured on the health
# check (docs/BENCHMARKS.md, "Load"). Websockets always go through Channels (ASGI).
LASTMETER_HTTP_INTERFACE = env_str("LASTMETER_HTTP_INTERFACE", "wsgi").strip().lower()
if LASTMETER_HTTP_INTERFACE not in ("wsgi", "asgi"):
    raise ImproperlyConfigured(f"LASTMETER_HTTP_INTERFACE={LASTMETER_HTTP_INTERFACE!r}: use wsgi or asgi")
LASTMETER_HTTP_THREADS = env_int("LASTMETER_HTTP_THREADS", 8)
# The live demo beside the in-process worker (simulated officers, arriving appeals, incidents,
# SOS): True/False when LASTMETER_DEMO_SIMULATION is set; None (unset) means on only when the
# embedded default (no DATABASE_URL) serves the demo jurisdiction. A deployment never simulates.
LASTMETER_DEMO_SIMULATION: bool | None = (
    env_bool("LASTMETER_DEMO_SIMULATION") if env_str("LASTMETER_DEMO_SIMULATION").strip() else None
)
# Notification backends per transport, dotted paths; console logs instead of sending.
LASTMETER_SMS_BACKEND = env_str("LASTMETER_SMS_BACKEND", "lastmeter.appeals.notify.backends.ConsoleBackend")
LASTMETER_EMAIL_BACKEND = env_str("LASTMETER_EMAIL_BACKEND", "lastmeter.appeals.notify.backends.EmailBackend")
EMAIL_BACKEND = env_str("LASTMETER_DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("LASTMETER_FROM_EMAIL", "lastmeter@localhost")
# SMTP, used when LASTMETER_DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env_str("LASTMETER_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("LASTMETER_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("LASTMETER_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("LASTMETER_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("LASTMETER_EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("LASTMETER_EMAIL_USE_SSL", False)  # implicit TLS, usually port 465
EMAIL_TIMEOUT = env_int("LASTMETER_EMAIL_TIMEOUT_S", 20)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("set only one of LASTMETER_EMAIL_USE_TLS and LASTMETER_EMAIL_USE_SSL")
# The generic HTTP JSON SMS gateway (LASTMETER_SMS_BACKEND=lastmeter.appeals.notify.backends.HttpJsonSmsBackend).
LASTMETER_SMS_HTTP_URL = env_str("LASTMETER_SMS_HTTP_URL", "")
LASTMETER_SMS_HTTP_TOKEN = env_str("LASTMETER_SMS_HTTP_TOKEN", "")
LASTMETER_SMS_HTTP_SENDER = env_str("LASTMETER_SMS_HTTP_SENDER", "")
# Positions older than this are flagged stale on the unit board.
LASTMETER_STALE_POSITION_S = env_int("LASTMETER_STALE_POSITION_S", 120)
# Map tiles: empty means draw only the system's own GeoJSON (works offline).
LASTMETER_TILE_URL = env_str("LASTMETER_TILE_URL", "")
# Road network used for routing and the demo.
LASTMETER_ROAD_FILE = env_str(
    "LASTMETER_ROAD_FILE", str(BASE_DIR / "roads" / "data" / "shanghai_central_osmnx_drive.osm.gz")
)
LASTMETER_ROAD_CACHE_DIR = Path(env_str("LASTMETER_ROAD_CACHE_DIR", str(VAR_DIR / "roads")))
# Road network: how often (seconds) a running process checks the road file for a newer version.
LASTMETER_ROAD_CHECK_S = env_float("LASTMETER_ROAD_CHECK_S", 5.0)
# Planning: category codes that count as accidents (comma separated); empty means every category
# (or parent category) whose code mentions "accident".
LASTMETER_ACCIDENT_CATEGORIES = env_list("LASTMETER_ACCIDENT_CATEGORIES", [])
# Open311 GeoReport v2: the jurisdiction_id this server answers to (empty: any), and the agency
# named as responsible in service requests (empty: the police station).
LASTMETER_OPEN311_JURISDICTION = env_str("LASTMETER_OPEN311_JURISDICTION", "")
LASTMETER_OPEN311_AGENCY = env_str("LASTMETER_OPEN311_AGENCY", "")

# --- intake: the chat channels and the resident's web form ----------------------------------
# Webhook bodies larger than this are refused with 413 before they are read. (The same variable
# sets DATA_UPLOAD_MAX_MEMORY_SIZE above, with a larger default.)
LASTMETER_MAX_BODY_BYTES = env_int("LASTMETER_MAX_BODY_BYTES", 256 * 1024)
# Photos on the resident's web form and photos fetched from chat platforms.
LASTMETER_MAX_PHOTO_BYTES = env_int("LASTMETER_MAX_PHOTO_BYTES", 5 * 1024 * 1024)
# Import files (CSV of accidents, weather, calls, unit factors, training rows; also what a gzip
# import inflates to) and OSM road files (.osm, .osm.gz, .osm.bz2, .osm.pbf, and what an XML one
# inflates to). Larger files are refused before a row is read.
LASTMETER_MAX_IMPORT_BYTES = env_int("LASTMETER_MAX_IMPORT_BYTES", 64 * 1024 * 1024)
LASTMETER_MAX_OSM_BYTES = env_int("LASTMETER_MAX_OSM_BYTES", 512 * 1024 * 1024)
# Webhooks whose timestamp is older (or further in the future) than this many seconds are replays.
LASTMETER_MAX_CLOCK_SKEW_S = env_int("LASTMETER_MAX_CLOCK_SKEW_S", 3600)
# Processing of inbound items: attempts before an item is parked as failed, and the base back-off.
LASTMETER_MAX_ATTEMPTS = env_int("LASTMETER_MAX_ATTEMPTS", 6)
LASTMETER_BACKOFF_S = env_float("LASTMETER_BACKOFF_S", 30.0)
# A message from a reporter with an open appeal in the same thread within this many hours is an
# update to it unless it is clearly a new problem.
LASTMETER_UPDATE_WINDOW_H = env_int("LASTMETER_UPDATE_WINDOW_H", 48)
# Names the bot answers to in chats (besides the platforms' @-mention metadata), comma separated.
LASTMETER_BOT_NAMES = env_list("LASTMETER_BOT_NAMES", ["社区民警", "派出所", "警务助手", "lastmeter"])
# Absolute base of links sent to reporters (tracking links in chat replies); empty: relative links.
LASTMETER_PUBLIC_BASE_URL = env_str("LASTMETER_PUBLIC_BASE_URL", "")
# Rating and contesting need a one-time code sent privately to the reporter (the tracking link is
# often posted in group chats): how long a code lives, how many wrong tries it takes, how soon a
# new one may be asked for and how many per day; and how often one appeal may be contested.
LASTMETER_FEEDBACK_CODE_TTL_MIN = env_int("LASTMETER_FEEDBACK_CODE_TTL_MIN", 15)
LASTMETER_FEEDBACK_CODE_ATTEMPTS = env_int("LASTMETER_FEEDBACK_CODE_ATTEMPTS", 5)
LASTMETER_FEEDBACK_CODE_INTERVAL_S = env_int("LASTMETER_FEEDBACK_CODE_INTERVAL_S", 60)
LASTMETER_FEEDBACK_CODES_PER_DAY = env_int("LASTMETER_FEEDBACK_CODES_PER_DAY", 5)
LASTMETER_MAX_CONTESTS = env_int("LASTMETER_MAX_CONTESTS", 2)
# Enforcement complaints: hours to acknowledge the complainant, days the reply letter gives for the
# one further appeal, and the office that signs the letters. The reply deadline itself is the
# appeals' clock policy "complaint_reply" (admin; 15 calendar days when none is set).
LASTMETER_COMPLAINT_ACK_HOURS = env_int("LASTMETER_COMPLAINT_ACK_HOURS", 24)
LASTMETER_COMPLAINT_APPEAL_DAYS = env_int("LASTMETER_COMPLAINT_APPEAL_DAYS", 15)
LASTMETER_COMPLAINT_OFFICE = env_str("LASTMETER_COMPLAINT_OFFICE", "人民广场派出所法制室")
# Mediation: days after an agreement when the follow-up visits fall (moved to the next working
# day), and how near (metres) a new appeal must be to a case's place to count as the same address.
LASTMETER_MEDIATION_FOLLOW_UP_DAYS = [
    int(d) for d in env_list("LASTMETER_MEDIATION_FOLLOW_UP_DAYS", ["7", "30", "90"])
]
LASTMETER_MEDIATION_SAME_ADDRESS_M = env_float("LASTMETER_MEDIATION_SAME_ADDRESS_M", 30.0)
# Timeout (seconds) of the reply senders' outgoing HTTP calls.
LASTMETER_HTTP_TIMEOUT_S = env_float("LASTMETER_HTTP_TIMEOUT_S", 10.0)
# Telegram bot: the webhook's secret token (empty: channel off), the bot's token and @username.
LASTMETER_TELEGRAM_SECRET_TOKEN = env_str("LASTMETER_TELEGRAM_SECRET_TOKEN", "")
LASTMETER_TELEGRAM_BOT_TOKEN = env_str("LASTMETER_TELEGRAM_BOT_TOKEN", "")
LASTMETER_TELEGRAM_BOT_USERNAME = env_str("LASTMETER_TELEGRAM_BOT_USERNAME", "")
LASTMETER_TELEGRAM_API_BASE = env_str("LASTMETER_TELEGRAM_API_BASE", "https://api.telegram.org")
# DingTalk outgoing robot: the app secret signs callbacks (empty: channel off).
LASTMETER_DINGTALK_APP_SECRET = env_str("LASTMETER_DINGTALK_APP_SECRET", "")
LASTMETER_DINGTALK_APP_KEY = env_str("LASTMETER_DINGTALK_APP_KEY", "")
LASTMETER_DINGTALK_ROBOT_CODE = env_str("LASTMETER_DINGTALK_ROBOT_CODE", "")
LASTMETER_DINGTALK_OAPI_BASE = env_str("LASTMETER_DINGTALK_OAPI_BASE", "https://oapi.dingtalk.com")
LASTMETER_DINGTALK_API_BASE = env_str("LASTMETER_DINGTALK_API_BASE", "https://api.dingtalk.com")
# Feishu / Lark: the encrypt key or verification token authenticates events (both empty: off).
LASTMETER_FEISHU_ENCRYPT_KEY = env_str("LASTMETER_FEISHU_ENCRYPT_KEY", "")
LASTMETER_FEISHU_VERIFICATION_TOKEN = env_str("LASTMETER_FEISHU_VERIFICATION_TOKEN", "")
LASTMETER_FEISHU_APP_ID = env_str("LASTMETER_FEISHU_APP_ID", "")
LASTMETER_FEISHU_APP_SECRET = env_str("LASTMETER_FEISHU_APP_SECRET", "")
LASTMETER_FEISHU_BOT_OPEN_ID = env_str("LASTMETER_FEISHU_BOT_OPEN_ID", "")
LASTMETER_FEISHU_API_BASE = env_str("LASTMETER_FEISHU_API_BASE", "https://open.feishu.cn")
# WeCom: token and EncodingAESKey authenticate and decrypt callbacks (either empty: channel off);
# the receive id is the corp id; corp secret and agent id send replies.
LASTMETER_WECOM_TOKEN = env_str("LASTMETER_WECOM_TOKEN", "")
LASTMETER_WECOM_ENCODING_AES_KEY = env_str("LASTMETER_WECOM_ENCODING_AES_KEY", "")
LASTMETER_WECOM_RECEIVE_ID = env_str("LASTMETER_WECOM_RECEIVE_ID", "")
LASTMETER_WECOM_CORP_SECRET = env_str("LASTMETER_WECOM_CORP_SECRET", "")
LASTMETER_WECOM_AGENT_ID = env_str("LASTMETER_WECOM_AGENT_ID", "")
LASTMETER_WECOM_API_BASE = env_str("LASTMETER_WECOM_API_BASE", "https://qyapi.weixin.qq.com")

# --- security: staff accounts ------------------------------------------------------------------
# Two-factor sign-in (TOTP with recovery codes, django-otp) for leaders, dispatchers, legal reviewers
# and administrators: on by default in a deployment (DATABASE_URL set), off by default in the
# embedded demo so `make run` works with the printed passwords — every page then says so in a banner.
# Anyone who enrolled a device is asked for a code at sign-in either way.
LASTMETER_REQUIRE_2FA = env_bool("LASTMETER_REQUIRE_2FA", bool(DATABASE_URL))
# The issuer shown in authenticator apps next to the account name.
OTP_TOTP_ISSUER = env_str("LASTMETER_2FA_ISSUER", "lastmeter")
# Sessions end this many hours after sign-in (one shift), whatever happens in between.
SESSION_COOKIE_AGE = env_int("LASTMETER_SESSION_HOURS", 12) * 3600
# django-axes: this many failed passwords for one username from one address lock that pair out
# for LASTMETER_LOCKOUT_MINUTES; the lock-out is written to the access log (accounts.AccessLog).
AXES_FAILURE_LIMIT = env_int("LASTMETER_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LASTMETER_LOCKOUT_MINUTES", 30) / 60  # hours, as axes reads a number
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Unlocking is an action on the person's admin page (and `lastmeter axes_reset_username NAME`).
AXES_ENABLE_ADMIN = False
# axes' own log of every successful sign-in (address, browser) would pile up unseen without its
# admin; failed attempts are still counted, and lock-outs go to accounts.AccessLog.
AXES_DISABLE_ACCESS_LOG = True
# Behind N proxies (LASTMETER_TRUSTED_PROXIES=N) the client's address is read from X-Forwarded-For;
# without, that header is ignored (anyone could write it to dodge the lock-out).
AXES_IPWARE_PROXY_COUNT = env_int("LASTMETER_TRUSTED_PROXIES", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
# API tokens: lifetime of a new token unless its issuer says otherwise.
LASTMETER_TOKEN_DAYS = env_int("LASTMETER_TOKEN_DAYS", 90)

# --- operations: health, readiness, metrics --------------------------------------------------
# /readyz reports a worker that has not finished a pass for this many seconds, more than this many
# rows waiting in a queue, and an undelivered outbox message older than this many seconds.
LASTMETER_WORKER_STALE_S = env_int("LASTMETER_WORKER_STALE_S", 60)
LASTMETER_READY_MAX_QUEUE = env_int("LASTMETER_READY_MAX_QUEUE", 1000)
LASTMETER_READY_MAX_OUTBOX_AGE_S = env_int("LASTMETER_READY_MAX_OUTBOX_AGE_S", 900)
# /metrics answers only with `Authorization: Bearer <this>` when set (empty: open, for the demo).
LASTMETER_METRICS_TOKEN = env_str("LASTMETER_METRICS_TOKEN", "")
# `lastmeter backup` writes here unless given a file.
LASTMETER_BACKUP_DIR = Path(env_str("LASTMETER_BACKUP_DIR", str(VAR_DIR / "backups")))

# --- security: HTTPS, cookies, Content-Security-Policy -------------------------------------------
# A deployment serves HTTPS (LASTMETER_HTTPS=1), usually behind a proxy that terminates TLS and says
# so in X-Forwarded-Proto (trusted only with LASTMETER_TRUSTED_PROXIES). Off for the embedded demo
# and the tests, which speak plain HTTP on loopback. `manage.py check --deploy` is clean with it on.
LASTMETER_HTTPS = env_bool("LASTMETER_HTTPS", False)
if LASTMETER_HTTPS:
    SECURE_SSL_REDIRECT = True
    # Probes from the load balancer may come over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("LASTMETER_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LASTMETER_HSTS_SUBDOMAINS", True)
    # The preload directive only allows submitting the domain to browsers' HSTS lists (a manual step).
    SECURE_HSTS_PRELOAD = env_bool("LASTMETER_HSTS_PRELOAD", True)
    if AXES_IPWARE_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_origin(url: str) -> list[str]:
    """The origin of the map tiles (LASTMETER_TILE_URL), a {s} subdomain as CSP's wildcard, so the
    policy allows exactly that tile server's images."""
    parsed = urlparse(url)
    if not parsed.scheme or not parsed.netloc:
        return []
    host = parsed.netloc
    if host.startswith("{s}."):
        host = "*." + host[len("{s}.") :]
    return [f"{parsed.scheme}://{host}"]


# Only this server's own scripts, styles, images, fetches and websockets ('self' covers ws:/wss: to
# the same host), plus the tile server's images when one is configured. No inline scripts, no eval.
# Style *attributes* are allowed: Leaflet's markers and ECharts' tooltips write them into the HTML
# they build; they cannot run code, and style elements and sheets are still 'self' only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_tile_origin(LASTMETER_TILE_URL)],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
