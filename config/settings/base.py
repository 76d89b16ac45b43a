"""Settings shared by every environment; each value can be set from the environment.

Every variable read here is listed, with its default, in `.env.example`.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from khedmat.core.deployment import DEVELOPMENT_SECRET_KEY, SHARED_CACHE_BACKENDS
from khedmat.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The development default is published: production.py refuses it (khedmat/core/deployment.py).
SECRET_KEY = env("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Earlier keys while SECRET_KEY is rotated: sessions, and staff's set-up and recovery codes
# hashed under them, still verify.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "khedmat.core.admin_apps.KhedmatAdminConfig",  # Django's admin, checking the rows an action names
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "khedmat.core",
    "khedmat.accounts",
    "khedmat.catalog",
    "khedmat.centers",
    "khedmat.feedback",
    "khedmat.notifications",
    "khedmat.api",
    "ninja",  # the API docs page serves Swagger UI from our own static files (CSP: no CDN)
    "khedmat.audit",
    "khedmat.applications",
    "khedmat.documents",
    "khedmat.payments",
    "khedmat.complaints",
    "khedmat.insights",
    "khedmat.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "khedmat.core.middleware.RequestIdMiddleware",
    # --- observability (issue 11): request log line and metrics, after the request id ---
    "khedmat.core.middleware.ObservabilityMiddleware",
    "khedmat.api.idempotency.ApiRequestMiddleware",  # /api/v1/ only: body cap, Idempotency-Key
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "khedmat.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "khedmat.accounts.middleware.SessionUserMiddleware",  # Django's, the user read lean
    "khedmat.accounts.middleware.SessionDeviceMiddleware",  # django-otp's, the device read lean
    "khedmat.accounts.middleware.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "khedmat.core.context_processors.site",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'khedmat.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE makes writers queue (busy timeout)
    # instead of failing with "database is locked"; FULL sync so "saved" means saved.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
else:
    # Persistent connections: a new connection per request cuts throughput by two thirds.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Values bound by the server, and a statement run five times on a connection prepared there:
    # PostgreSQL then parses and analyses it once per connection instead of on every run.
    # Measured on the counter's call cycle: 30-50 % less database CPU, the same in Python
    # (docs/decisions/0043-server-side-binding-and-prepared-statements.md).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
        "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=5),
    })

# --- connection pooler (issue 11, deploy/pgbouncer/pgbouncer.ini) ---
# DATABASE_POOLER=pgbouncer when DATABASE_URL points at PgBouncer in transaction mode: each
# transaction may run on a different server connection, so nothing may outlive one. Django's
# .iterator() would keep a server-side cursor open between transactions: off. psycopg would
# prepare a statement on one server connection and run it on another: prepare_threshold None
# (Django's default, made explicit here; PgBouncer 1.21+ with max_prepared_statements could
# allow it, Debian 12 ships 1.18). Connections to PgBouncer stay persistent (CONN_MAX_AGE):
# opening one still costs a round trip and authentication per request, and PgBouncer holds
# thousands of idle clients for almost nothing.
DATABASE_POOLER = env("DATABASE_POOLER", default="")
if DATABASE_POOLER and DATABASE_POOLER != "pgbouncer":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DATABASE_POOLER={DATABASE_POOLER!r}: the only pooler known is 'pgbouncer' (or empty).")
if DATABASE_POOLER == "pgbouncer" and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None

# PostgreSQL with two roles (docs/audit.md): the role that owns the tables and runs migrations,
# when DATABASE_URL is the serving role. Read by the test setup (conftest.py) and by
# `manage.py audit_grant_serving_role`; never set it where the application serves.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The web worker's garbage collector (khedmat/core/collector.py, decision 0045), set when
# config/wsgi.py loads: young objects collected after this many allocations, then the older
# generations' counts. GC_THRESHOLDS= (empty) keeps Python's own (700,10,10).
GC_THRESHOLDS = tuple(int(part) for part in env("GC_THRESHOLDS", default="10000,10,10").split(",") if part.strip())

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://khedmat"),
}
# Django's Redis cache with one client object per pool (khedmat/core/cache.py).
from khedmat.core.cache import with_reused_clients  # noqa: E402

CACHES = with_reused_clients(CACHES)
# `manage.py seed_demo` loads accounts whose passwords are published (demo/users.yaml): allowed
# everywhere but production, where only a demonstration server says so (DEMO_SERVER=true).
DEMO_DATA_ALLOWED = True
# How many past days of made-up public figures seed_demo writes (khedmat/insights/synthetic.py).
DEMO_FIGURES_DAYS = env.int("DEMO_FIGURES_DAYS", default=365)

# Languages: English, Dari and Pashto. Dari uses Django's "fa" code in URLs and catalogs;
# pages declare it as fa-AF. Pashto is not in Django's tables, so it is added here.
LANG_INFO.setdefault(
    "ps", {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"}
)
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fa", _("Dari")),
    ("ps", _("Pashto")),
]
LANGUAGES_BIDI = ["fa", "ps", "ar", "ur", "he"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Kabul"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Applicants' uploads: no URL serves this folder; a view checks permission and streams.
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security defaults that hold everywhere; production.py tightens transport security.
SESSION_COOKIE_HTTPONLY = True
# Sessions: the database is the record, read from a copy in the cache (khedmat/accounts/sessions.py,
# docs/decisions/0030): a cache outage falls through to the database; a copy lives at most this long.
# Only where every process shares the cache (Redis): with one each process keeps for itself (the
# development default), a copy in one worker would outlive a sign-out made through another.
SESSION_ENGINE = ("khedmat.accounts.sessions" if CACHES["default"]["BACKEND"] in SHARED_CACHE_BACKENDS
                  else "django.contrib.sessions.backends.db")
SESSION_CACHE_SECONDS = 5 * 60
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy: no inline script or style anywhere, no third-party origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# One-time codes for citizens' sign-in.
PHONE_CODE_LENGTH = 6
PHONE_CODE_TTL_SECONDS = env.int("PHONE_CODE_TTL_SECONDS", default=300)
PHONE_CODE_MAX_ATTEMPTS = 5
# How many reverse proxies / load balancers stand in front of the application and append to
# X-Forwarded-For (0: clients connect directly). Throttles and the audit trail use the address
# the outermost of them saw.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
# Throttles: (attempts, window in seconds).
# Networks whose per-address limits are multiplied (a centre's network, a carrier's NAT): many
# people share one address there. "10.20.0.0/16=10,100.64.0.0/10=5": network=factor, by commas.
THROTTLE_TRUSTED_NETWORKS = [
    (network.strip(), int(factor)) for network, _, factor in
    (entry.partition("=") for entry in env.list("THROTTLE_TRUSTED_NETWORKS", default=[])) if factor.strip()
]
# Sign-in counts failures, never plain requests, so that people behind one address (a carrier's
# NAT, a centre's network) do not lock one another out. Per account: wrong passwords or SMS
# codes; a staff account keeps a second counter for the networks it signed in from before,
# which a stranger elsewhere cannot fill (docs/decisions/0015). Per address: wrong passwords
# and codes of any account.
THROTTLE_LOGIN_PER_ACCOUNT = (5, 15 * 60)
THROTTLE_LOGIN_PER_IP = (30, 15 * 60)
# SMS codes sent: per number (the main defence), and a wide per-address limit against SMS
# pumping (someone making us pay for texts to many numbers).
THROTTLE_CODE_SEND_PER_PHONE = (3, 15 * 60)
THROTTLE_CODE_SEND_PER_IP = (200, 60 * 60)
# The public status check (reference + mobile number): guessing pairs must not pay.
THROTTLE_STATUS_CHECK_PER_IP = (20, 15 * 60)
THROTTLE_STATUS_CHECK_PER_REFERENCE = (5, 15 * 60)
# Complaints: filed per mobile number (the main limit) and per address (multiplied inside
# THROTTLE_TRUSTED_NETWORKS, so a centre's or a carrier's shared address is not locked out);
# the look-up by reference and number as the status check.
THROTTLE_COMPLAINT_PER_PHONE = (5, 24 * 60 * 60)
THROTTLE_COMPLAINT_PER_IP = (30, 60 * 60)
THROTTLE_COMPLAINT_LOOKUP_PER_IP = (20, 15 * 60)
THROTTLE_COMPLAINT_LOOKUP_PER_REFERENCE = (5, 15 * 60)
# Centers: joining the queue from a phone, booking and finding appointments.
THROTTLE_QUEUE_JOIN_PER_IP = (20, 60 * 60)
THROTTLE_QUEUE_JOIN_PER_PHONE = (3, 60 * 60)
THROTTLE_APPOINTMENT_BOOK_PER_IP = (20, 60 * 60)
THROTTLE_APPOINTMENT_BOOK_PER_PHONE = (5, 60 * 60)
THROTTLE_APPOINTMENT_FIND_PER_IP = (20, 15 * 60)
THROTTLE_APPOINTMENT_FIND_PER_CODE = (5, 15 * 60)
# The hall's paired screens (khedmat/centers/devices.py). A kiosk's tickets per device: a person
# needs two taps and a look at the ticket, so a real hall never comes near one every 7.5 s
# for five minutes; a copied credential cannot flood the queue before someone revokes it.
THROTTLE_KIOSK_TICKETS_PER_DEVICE = (40, 5 * 60)
# Wrong appointment codes typed at a kiosk, per device and per network (an IPv6 /64 counts as
# one address); wrong pairing codes per network.
THROTTLE_CHECK_IN_PER_DEVICE = (10, 15 * 60)
THROTTLE_CHECK_IN_PER_NETWORK = (30, 15 * 60)
THROTTLE_DEVICE_PAIR_PER_NETWORK = (10, 15 * 60)
# How long a pairing code the manager issues stays valid, and how long a paired screen's
# credential lasts without being used (it is renewed while the screen is in use).
DEVICE_PAIRING_CODE_MINUTES = env.int("DEVICE_PAIRING_CODE_MINUTES", default=30)
DEVICE_CREDENTIAL_DAYS = env.int("DEVICE_CREDENTIAL_DAYS", default=365)

# Queue: how far ahead of its issue time a priority ticket stands is set per priority group
# (centers.PriorityGroup.advance_minutes, 15 by default), bounded so nobody is starved.
# Recalls of a called ticket before its holder may be marked as not having come.
QUEUE_MAX_RECALLS = env.int("QUEUE_MAX_RECALLS", default=2)
# Appointment check-in at the kiosk: from this many minutes before the slot to this many
# after it; a booking not checked in by then lapses.
APPOINTMENT_CHECKIN_BEFORE_MINUTES = env.int("APPOINTMENT_CHECKIN_BEFORE_MINUTES", default=30)
APPOINTMENT_CHECKIN_AFTER_MINUTES = env.int("APPOINTMENT_CHECKIN_AFTER_MINUTES", default=10)
# Minutes of service assumed for an estimate before a center has served anyone that day.
QUEUE_DEFAULT_SERVICE_MINUTES = env.int("QUEUE_DEFAULT_SERVICE_MINUTES", default=8)
# A holder who left a phone number is told by SMS when this many people (or fewer) stand before them.
QUEUE_NEAR_AHEAD = env.int("QUEUE_NEAR_AHEAD", default=3)
# The one public address of the site (docs/decisions/0018-one-public-address.md): every link
# that leaves it (SMS, the QR code and verify address on documents, enrolment and pairing links,
# demo_logins) is built on it, through khedmat.core.public. `make run` sets it from PORT; in
# development it follows PORT too.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# Working week for time standards (Python weekdays, Monday = 0): Saturday to Wednesday.
WORKING_WEEKDAYS = env.list("WORKING_WEEKDAYS", cast=int, default=[5, 6, 0, 1, 2])

# Complaints (docs/complaints.md): time standards in working days (an agency may set its own,
# complaints.ComplaintPolicy), the rungs of the escalation ladder in percent of the standard,
# and how long after an answer the complainant may reopen it.
COMPLAINTS_STANDARD_DAYS = env.int("COMPLAINTS_STANDARD_DAYS", default=15)
COMPLAINTS_INVESTIGATION_DAYS = env.int("COMPLAINTS_INVESTIGATION_DAYS", default=30)
COMPLAINTS_SUPERVISOR_PERCENT = env.int("COMPLAINTS_SUPERVISOR_PERCENT", default=50)
COMPLAINTS_OMBUDSMAN_PERCENT = env.int("COMPLAINTS_OMBUDSMAN_PERCENT", default=150)
COMPLAINTS_REOPEN_DAYS = env.int("COMPLAINTS_REOPEN_DAYS", default=10)
COMPLAINTS_REOPEN_TIMES = env.int("COMPLAINTS_REOPEN_TIMES", default=2)

OTP_TOTP_ISSUER = "Asan Khedmat"
# The admin never shows a staff member's TOTP secret or its QR code (django-otp's device
# pages answer 403): whoever read it could give that person's second factor. Staff enrol on
# their own page (/account/staff/second-factor/set-up/).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# django-otp's own back-off (1, 2, 4… seconds after each wrong code) is off: wrong second-factor
# codes are counted per account in the database instead (below), with a message that says how
# long to wait, rather than silently refusing a right code typed a second too soon.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Staff's second factor (docs/decisions/0015). After this many wrong codes (authenticator,
# recovery or set-up codes) in a row the account's second factor locks; each further run of
# wrong codes locks it twice as long as the last, up to the maximum. A right code ends it.
SECOND_FACTOR_MAX_FAILURES = 5
SECOND_FACTOR_LOCK_MINUTES = 15
SECOND_FACTOR_LOCK_MAX_MINUTES = 24 * 60
# Hours a set-up code (issued by an administrator for enrolling an authenticator) stays valid.
SECOND_FACTOR_ENROLMENT_HOURS = env.int("SECOND_FACTOR_ENROLMENT_HOURS", default=72)
# Recovery codes made for each staff member who has a second factor.
RECOVERY_CODE_COUNT = 10
# Networks (/24 for IPv4, /64 for IPv6) remembered per staff account from its sign-ins.
STAFF_KNOWN_NETWORKS_MAX = 10

# Background work: Celery on a broker when CELERY_BROKER_URL is set, in-process otherwise.
_BROKER = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not _BROKER
CELERY_BROKER_URL = _BROKER or "memory://"  # eager: nothing is sent, but Celery wants a URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when done, not when taken: a worker killed mid-task gives it back.
# (The outbox does not depend on it: its sweep finds any message a lost task left behind.)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers wait on the SMS gateway and the database far more than they compute: threads, more
# of them than cores. Kannel answers each sendsms only once bearerbox holds the message,
# 10–45 ms while delivery receipts flow back, so two senders (prefork, one per core) moved
# about 58 messages a second and eight threads 211 (bench/sms.py, 2 CPUs).
CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=8)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Celery's Django fix-up closes the database connection before and after every task unless
# this is set; tasks follow CONN_MAX_AGE like requests instead (config/celery.py), so the
# fix-up only recycles a worker's connection after this many tasks.
CELERY_DB_REUSE_MAX = 100_000
# Domain events (khedmat.core.events) are kept this many days for tracing, then pruned.
EVENTS_KEEP_DAYS = env.int("EVENTS_KEEP_DAYS", default=90)

# --- observability (issue 11): logs, metrics, readiness (docs/observability.md) ---
# Logs: "console" (readable, the default here) or "json" (one JSON object a line, production's
# default); either way personal data is masked (khedmat/core/logs.py).
LOG_FORMAT = env("LOG_FORMAT", default="console")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))
# A scraper sends "Authorization: Bearer <METRICS_TOKEN>" to /metrics. Empty: only signed-in
# platform administrators read it.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# /readyz waits at most this long for the database, the cache and the broker together.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)

# --- payments (issue 5) ---
# Payment providers in use (khedmat/payments/contrib/<name>/). The "demo" provider, a page on
# which anyone can mark an order paid, acts only with DEBUG on or PAYMENT_DEMO_ENABLED set.
PAYMENT_PROVIDERS = env.list("PAYMENT_PROVIDERS", default=["demo", "bank_callback"])
PAYMENT_DEMO_ENABLED = env.bool("PAYMENT_DEMO_ENABLED", default=False)
# Days a payment order stays open after the application is sent.
PAYMENT_ORDER_EXPIRY_DAYS = env.int("PAYMENT_ORDER_EXPIRY_DAYS", default=7)
# Banks and mobile-money operators that notify payments by signed callback: name=shared secret,
# e.g. "azizi-bank=…,mpaisa=…". Callbacks older than the window (seconds) are refused.
PAYMENT_CALLBACK_SECRETS = env.dict("PAYMENT_CALLBACK_SECRETS", default={})
PAYMENT_CALLBACK_MAX_AGE_SECONDS = env.int("PAYMENT_CALLBACK_MAX_AGE_SECONDS", default=300)

# --- documents (issue 5) ---
# Issued documents (khedmat/documents, docs/documents.md). The address printed in every QR
# code: the verify page at <this>/verify/. Empty (the default): PUBLIC_BASE_URL. Set it only
# when verification is served from another origin than the site (a separate verify host).
DOCUMENTS_VERIFY_BASE_URL = env("DOCUMENTS_VERIFY_BASE_URL", default="")
# Production: the active Ed25519 private key as a PEM file kept outside the database
# (`manage.py documents_keygen --pem-out FILE` makes one). Empty: keys live in the database,
# encrypted with DOCUMENTS_KEY_ENCRYPTION_KEY (derived from SECRET_KEY when empty).
DOCUMENTS_SIGNING_KEY_FILE = env("DOCUMENTS_SIGNING_KEY_FILE", default="")
DOCUMENTS_KEY_ENCRYPTION_KEY = env("DOCUMENTS_KEY_ENCRYPTION_KEY", default="")
# Make a signing key when the first document is issued and none exists (development, tests).
DOCUMENTS_AUTO_KEYGEN = env.bool("DOCUMENTS_AUTO_KEYGEN", default=True)

# --- notifications (issue 8): the outbox, SMS gateways, inbound SMS and USSD ---
# docs/notifications.md. The gateways in use, tried by priority (lower first), as JSON: each
# has a unique name, a plug-in (khedmat/notifications/sms/contrib/<plugin>/) and its options, e.g.
# [{"name": "roshan", "plugin": "kannel", "priority": 1, "url": "http://127.0.0.1:13013/cgi-bin/sendsms",
#   "username": "khedmat", "password": "…"}, {"name": "backup", "plugin": "http_json", "priority": 2, …}].
SMS_GATEWAYS = env.json("SMS_GATEWAYS", default=[{"name": "console", "plugin": "console", "priority": 1}])
# Where gateways reach the platform for delivery receipts and inbound texts (often an address
# inside the operator's network); the public address when empty.
SMS_CALLBACK_BASE_URL = env("SMS_CALLBACK_BASE_URL", default="")
# Signs each message's receipt URL (derived from SECRET_KEY when empty).
SMS_RECEIPT_SECRET = env("SMS_RECEIPT_SECRET", default="")
# The key a gateway puts in the inbound-SMS URL (?key=…); inbound SMS is refused while empty.
SMS_INBOUND_SECRET = env("SMS_INBOUND_SECRET", default="")
# Hours a message keeps being retried (exponential back-off) before it fails for good.
SMS_RETRY_HOURS = env.int("SMS_RETRY_HOURS", default=72)
# Messages a worker takes at once; how long it holds them; how long after that a message
# whose hand-over was not recorded waits for a receipt before another worker sends it.
SMS_BATCH_SIZE = env.int("SMS_BATCH_SIZE", default=50)
SMS_LEASE_SECONDS = env.int("SMS_LEASE_SECONDS", default=60)
SMS_IN_DOUBT_GRACE_SECONDS = env.int("SMS_IN_DOUBT_GRACE_SECONDS", default=60)
# Fail-over: a gateway rests after this many failures in a row, and counts as unhealthy when
# no receipt came for this long while messages were handed to it.
SMS_GATEWAY_FAILURES_TO_REST = env.int("SMS_GATEWAY_FAILURES_TO_REST", default=3)
SMS_RECEIPT_SILENCE_SECONDS = env.int("SMS_RECEIPT_SILENCE_SECONDS", default=900)
# Texts answered per sender and window (further texts are kept, not answered).
THROTTLE_INBOUND_SMS_PER_SENDER = (10, 15 * 60)
# Complaints one phone files by SMS and USSD together in a day (the texts beyond are kept, not filed).
THROTTLE_COMPLAINTS_BY_PHONE = (5, 24 * 60 * 60)
# USSD: the aggregator's key (?key=… in the callback URL; USSD is refused while empty), the
# code people dial (shown in help texts) and the idle time after which a session ends.
USSD_SHARED_SECRET = env("USSD_SHARED_SECRET", default="")
USSD_SERVICE_CODE = env("USSD_SERVICE_CODE", default="*565#")
USSD_SESSION_IDLE_SECONDS = env.int("USSD_SESSION_IDLE_SECONDS", default=180)
# The staff page that shows a phone screen to try the SMS keywords and USSD menus.
SMS_SIMULATOR_ENABLED = env.bool("SMS_SIMULATOR_ENABLED", default=False)

# --- audit (issue 9): signed checkpoints of the audit trail (docs/audit.md) ---
# Production: the Ed25519 key that signs checkpoints, as a PEM file on the host that runs the
# periodic jobs only (`manage.py audit_keygen --pem-out FILE`). Empty: keys live in the database,
# encrypted with AUDIT_KEY_ENCRYPTION_KEY (derived from SECRET_KEY when empty).
AUDIT_CHECKPOINT_KEY_FILE = env("AUDIT_CHECKPOINT_KEY_FILE", default="")
AUDIT_KEY_ENCRYPTION_KEY = env("AUDIT_KEY_ENCRYPTION_KEY", default="")
# Make a checkpoint key when the first checkpoint is signed and none exists (development, tests).
AUDIT_CHECKPOINT_AUTO_KEYGEN = env.bool("AUDIT_CHECKPOINT_AUTO_KEYGEN", default=True)
# Seconds between checkpoints: the longest time a rewrite of the newest events can go unseen.
AUDIT_CHECKPOINT_EVERY_SECONDS = env.int("AUDIT_CHECKPOINT_EVERY_SECONDS", default=300)
# The log's name in its checkpoints and its key's; empty: the host of PUBLIC_BASE_URL + "/audit".
AUDIT_CHECKPOINT_ORIGIN = env("AUDIT_CHECKPOINT_ORIGIN", default="")
# A file out of the database's reach (another disk, an append-only mount) to which each
# checkpoint is also appended; audit_verify checks the trail against its newest. Empty: off.
AUDIT_CHECKPOINT_COPY_FILE = env("AUDIT_CHECKPOINT_COPY_FILE", default="")

# Seconds a web process answers the board feed from its own last answer, without asking the
# cache (decision 0031): a call reaches the screens at most this much later. Half a poll (board.js).
BOARD_MEMO_SECONDS = env.float("BOARD_MEMO_SECONDS", default=0.25)

# --- the hall's voice (issue 10): calls announced on the board (docs/centers.md) ---
# espeak-ng's voice per language; a language without one is voiced only from recorded clips.
HALL_VOICES = {"en": "en", "fa": "fa"}
# Parts of announcements synthesised on first use, one small WAV per text and voice.
HALL_VOICE_CACHE_DIR = env.path("HALL_VOICE_CACHE_DIR", default=str(VAR_DIR / "hall-voice"))
# Recorded clips, <language>/<part>.wav (deploy/voice-clips/README.md): a clip wins over synthesis.
HALL_VOICE_CLIPS_DIR = env.path("HALL_VOICE_CLIPS_DIR", default=str(BASE_DIR / "deploy" / "voice-clips"))

# --- scale-out (issue 11): shared uploads, a read replica (docs/scaling.md) ---
# Applicants' uploads on S3-compatible storage (MinIO, Ceph, a cloud's) instead of
# PRIVATE_STORAGE_ROOT, so that every web node reads what any other wrote: s3://bucket/prefix.
# Empty: the folder PRIVATE_STORAGE_ROOT, which must then be one shared mount (NFS…) on every node.
PRIVATE_STORAGE_URL = env("PRIVATE_STORAGE_URL", default="")
if PRIVATE_STORAGE_URL:
    from khedmat.core.storage import s3_private_storage

    STORAGES["private"] = s3_private_storage(
        PRIVATE_STORAGE_URL,
        endpoint_url=env("PRIVATE_STORAGE_ENDPOINT_URL", default=""),
        region=env("PRIVATE_STORAGE_REGION", default=""),
        access_key=env("PRIVATE_STORAGE_ACCESS_KEY", default=""),
        secret_key=env("PRIVATE_STORAGE_SECRET_KEY", default=""),
    )
# A PostgreSQL streaming replica for reads that may be a few seconds old (khedmat/core/db_router.py).
# Empty: every read and write on DATABASE_URL, as before.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),  # the primary's binding and preparing
        # The test suite makes no second database: in tests the replica is the primary.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["khedmat.core.db_router.ReplicaRouter"]
MIDDLEWARE.append("khedmat.core.db_router.ReplicaReadsMiddleware")  # any place: it acts from the view on
# Seconds a browser that wrote reads from the primary only (read-your-writes); more than the
# replica's usual lag.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
# The views whose reads may be stale (URL names): public catalog pages, the centers' dashboard
# and the audit page. Not the board, tickets, status, verify or anything a person acts on.
REPLICA_READ_VIEWS = [
    "catalog:home", "catalog:services", "catalog:category", "catalog:agencies", "catalog:agency", "catalog:service",
    "centers:dashboard", "centers:dashboard_csv", "audit:checkpoints",
]

# The REST API (/api/v1/, khedmat.api): calls per key per window, the largest body, and how
# long an Idempotency-Key's answer is kept for replay.
API_KEY_RATE = (env.int("API_KEY_RATE_LIMIT", default=600), 60)
# The endpoints that need no key, per client address (a call with a live key counts against the
# key's): generous for a ministry's network behind one address; verification, which invites
# guessing, tighter as well (docs/api.md, "Limits").
API_PUBLIC_RATE = (env.int("API_PUBLIC_RATE_LIMIT", default=300), 60)
API_VERIFY_RATE = (env.int("API_VERIFY_RATE_LIMIT", default=60), 60)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
API_IDEMPOTENCY_KEEP_HOURS = env.int("API_IDEMPOTENCY_KEEP_HOURS", default=24)

# Webhooks (khedmat.api.webhooks, docs/decisions/0041): how long a delivery is retried, how
# long delivered ones stay in the log, the claim's lease, and whether plain http and private or
# loopback addresses may be subscribed (development and tests: a receiver on 127.0.0.1; never
# in production, where it would let an agency reach the platform's own network).
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=72)
WEBHOOK_KEEP_DAYS = env.int("WEBHOOK_KEEP_DAYS", default=30)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=60)
WEBHOOK_BATCH_SIZE = env.int("WEBHOOK_BATCH_SIZE", default=20)
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
