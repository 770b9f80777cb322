"""Settings for NRM, driven by validated environment variables.

Variables (all optional outside production):
  NRM_ENV            local (default) | production
  NRM_DATA_DIR       where SQLite, generated keys and uploads live (default ./var)
  DATABASE_URL       postgres://user:pass@host:port/name; SQLite in NRM_DATA_DIR when unset
  DATABASE_REPLICA_URL  a read replica of it; statistics read from there (nrm.core.replica)
  NRM_DB_POOL        unset (connections kept 60 s) | pgbouncer (behind PgBouncer in transaction mode) |
                     psycopg (Django's connection pool; needs psycopg[pool])
  NRM_SECRET_KEY     Django secret key; required in production
  NRM_ENCRYPTION_KEYS  "id:base64key[,id:base64key...]", first one encrypts; required in production
  NRM_ENCRYPTION_KEY_LOCAL  base64 key, "k1" when NRM_ENCRYPTION_KEYS is unset (local only, not read in production)
  NRM_LINKAGE_KEY    base64 key for the identity linkage HMAC; required in production
  NRM_AUDIT_KEY      base64 key (32 bytes) of the audit chain's HMAC; required in production
  NRM_AUDIT_SIGNING_KEY  base64 Ed25519 private key (32 bytes) that signs audit checkpoints;
                     required in production (`nrm audit public-key` prints its public half)
  NRM_AUDIT_CHECKPOINTS  file `nrm audit checkpoint` appends to (default NRM_DATA_DIR/audit-checkpoints.jsonl);
                     keep it, or copies of it, off the database's machine
  NRM_AUDIT_SEAL_MS  milliseconds a committed audit row may wait before a process's sealer
                     thread chains it with the others committed meanwhile (default 1000; 0 seals
                     at each commit, on the request's thread)
  NRM_AUDIT_READS_WAIT_FOR_DISK  1: on PostgreSQL, a read's audit row is committed only once
                     the WAL is on disk, as every write is (default 0: the WAL writer writes it
                     within 3 x wal_writer_delay, a sealing commit at once; docs/security.md)
  NRM_ALLOWED_HOSTS  comma-separated host names
  NRM_COUNTRY        ISO 3166 alpha-2 of the country whose holidays count and whose citizens
                     are "national" in statistics (default RS)
  NRM_TIME_ZONE      IANA time zone (default Europe/Belgrade)
  NRM_IATI_REPORTING_ORG_REF  the publishing organisation's IATI identifier, which every activity
                     identifier starts with (default XM-NRM-<NRM_COUNTRY>, IATI's private-use
                     prefix: register a real one before publishing to the IATI Registry)
  NRM_IATI_REPORTING_ORG_NAME  its name in the files (default: the National Coordinator's office)
  NRM_IATI_REPORTING_ORG_TYPE  its IATI OrganisationType code (default 10, government)
  NRM_DEBUG          1 to turn on Django's debug pages (never in production)
  NRM_BENCH          1 in the server `nrm bench` starts: adds its unauthenticated baseline view
                     (/_bench/read/<id>, one row's id); ignored in production
  NRM_SSL_REDIRECT   0 to leave the redirect to HTTPS to the proxy (production; default 1)
  NRM_TRUSTED_PROXY  address of the TLS-terminating proxy in front of `nrm serve` (one IP, or *):
                     only its X-Forwarded-Proto/-For are believed; from anyone else they are
                     dropped (default: none, every such header is dropped)
  NRM_SESSION_AGE    idle session expiry in seconds (default 1800)
  NRM_SESSION_MAX_AGE  seconds a web session lasts after sign-in however active it is (default
                     43200, twelve hours)
  NRM_REQUIRE_2FA    1: roles that may see identity (and administrators) must sign in with an
                     authenticator code (default 1 in production, 0 otherwise, as in the demo)
  NRM_API_TOKEN_TTL  seconds an API token works after sign-in (default 28800, eight hours of
                     interactive use; a script signs in again for a new one)
  NRM_API_TOKENS_MAX  unrevoked API tokens a user keeps at most; a new sign-in revokes the
                     oldest beyond it (default 10)
  NRM_LOGIN_FAILURES failed logins before a username is locked (default 5)
  NRM_LOCKOUT_MINUTES  how long a locked username stays locked (default 15)
  NRM_EMAIL_BACKEND  Django e-mail backend (default: the console)
  NRM_FROM_EMAIL     sender address of the e-mails sent (default nrm@localhost)
  NRM_RETENTION_YEARS  years a closed case keeps its person's identity (default 10)
  NRM_MERGE_UNDO_DAYS  days an administrator may undo a merge of duplicate cases (default 30)
  NRM_DOCUMENT_MAX_MB  largest document a case accepts, in megabytes (default 10)
  NRM_DISCLOSURE_THRESHOLD  statistics: cells counting fewer are suppressed (default 5)
  NRM_STATISTICS_BASIS  what lets a victim's case into statistics and record-level exports
                     (HTCDS): "consent" (default), only cases whose person gave the consent "use in
                     statistics" and has not withdrawn it; "legal_basis", every case, for countries
                     whose law makes official statistics consent-free
  NRM_STATS_WORK_MEM PostgreSQL work_mem for statistics queries, such as 64MB (default 64MB)
  NRM_REFERRAL_RESPONSE_DAYS  working days to answer a referral, per kind, overriding the
                     built-in 3 (service) and 5 (identification, asylum): "identification:3,asylum:10"
  NRM_JUSTICE_ORG_TYPES  comma-separated organisation type codes of the justice organisations
                     (default police,prosecution,court)
  NRM_HELPLINE_ORG_TYPES  type codes of helpline organisations (default helpline)
  NRM_COORDINATOR_ORG_TYPES  type codes of the organisations that coordinate early warning
                     (default coordinator)
  NRM_SERVICE_DUE_DAYS  working days a planned service without a start date has before its task
                     is due (default 10)
  NRM_REMINDER_DAYS_AHEAD  days before a task falls due that its reminder starts (default 1)
  NRM_REMINDER_REPORT_DAYS  days before an action-plan report falls due that its reminder starts
                     (default 7)
  NRM_JOBS_SYNC      1 runs queued jobs at once in the caller (tests); the worker runs them otherwise
  NRM_JOBS_WORKERS   processes of `nrm worker` (default 1)

A value that does not fit stops the start with an ImproperlyConfigured naming the variable.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import secrets
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("NRM_ENV", "local")
if ENV not in ("local", "production"):
    raise ImproperlyConfigured(f"NRM_ENV must be 'local' or 'production', not {ENV!r}")
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("NRM_DATA_DIR", "var")).resolve()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def _int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value!r}")
    return number


def require_2fa_default(production: bool) -> bool:
    """Whether a second factor is required when NRM_REQUIRE_2FA is unset: in production, yes."""
    return production


def _matching(name: str, default: str, pattern: str, example: str) -> str:
    """Return the env value if it matches ``pattern`` whole; ``example`` shows the expected shape."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(pattern, value):
        raise ImproperlyConfigured(f"{name} must look like {example}, not {value!r}")
    return value


def _one_of(name: str, default: str, allowed: tuple[str, ...]) -> str:
    """Return the env value if it is one of ``allowed`` (an empty value gives ``default``)."""
    value = os.environ.get(name, "").strip() or default
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _codes(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Return a comma-separated list of codes (organisation type codes are slugs)."""
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    codes = tuple(c.strip() for c in value.split(",") if c.strip())
    if not codes or not all(re.fullmatch(r"[-\w]+", c) for c in codes):
        raise ImproperlyConfigured(f"{name} must be comma-separated codes such as police,court, not {value!r}")
    return codes


# Mirrors nrm.referrals.choices.ReferralKind (a test keeps them equal): settings import no app.
REFERRAL_KINDS = ("service", "identification", "asylum")


def _response_days(name: str) -> dict[str, int]:
    """Return the per-kind overrides of "kind:days[,kind:days...]"; days are at least 1."""
    value = os.environ.get(name, "")
    days: dict[str, int] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        kind, _sep, number = part.partition(":")
        kind = kind.strip()
        if kind not in REFERRAL_KINDS or not number.strip().isdigit() or int(number) < 1:
            raise ImproperlyConfigured(
                f"{name} must be kind:days pairs, kind one of {', '.join(REFERRAL_KINDS)} and days "
                f"at least 1, such as identification:3; not {value!r}"
            )
        days[kind] = int(number)
    return days


def _trusted_proxy(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if value in ("", "*"):
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an IP address or *, not {value!r}") from None


# What to set, said when a production key is missing.
RANDOM_32 = "the base64 of 32 random bytes (such as the output of: openssl rand -base64 32)"


def _local_secret(name: str, filename: str, nbytes: int, *, required: str = "", what: str = RANDOM_32) -> str:
    """Return the env value, else a random key kept in DATA_DIR (never outside local mode).

    In production the variable ``required`` (default ``name``) must be set: the message names it
    and says ``what`` to set it to.
    """
    value = os.environ.get(name)
    # A local-only variable (``required`` names another) is not read in production.
    if value and not (PRODUCTION and required and required != name):
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{required or name} must be set when NRM_ENV=production: {what}")
    path = DATA_DIR / filename
    if not path.exists():
        # Written aside, then linked into place: processes starting at once (test workers, a
        # server's workers) all read the one complete key, whoever wrote it.
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=f".{filename}.")
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(nbytes)).decode())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _base64_key(name: str, value: str) -> bytes:
    """Return the 32 bytes of a base64 key, or stop the start naming the variable."""
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must be the base64 of 32 bytes")
    return key


SECRET_KEY = _local_secret("NRM_SECRET_KEY", "secret.key", 48, what="a long random string (50 characters or more)")
# NRM_ENCRYPTION_KEY_LOCAL is a local convenience only: production names the variable it must set.
_enc = os.environ.get("NRM_ENCRYPTION_KEYS") or (
    "k1:"
    + _local_secret(
        "NRM_ENCRYPTION_KEY_LOCAL",
        "encryption.key",
        32,
        required="NRM_ENCRYPTION_KEYS",
        what="id:base64 of 32 random bytes, comma-separated, the first encrypting (such as k1:BASE64KEY)",
    )
)
NRM_ENCRYPTION_KEYS: list[tuple[str, bytes]] = []
for _part in _enc.split(","):
    _kid, _sep, _b64 = _part.strip().partition(":")
    try:
        _key = base64.b64decode(_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"NRM_ENCRYPTION_KEYS: key {_kid!r} is not base64") from None
    if not _kid or len(_key) != 32:
        raise ImproperlyConfigured("NRM_ENCRYPTION_KEYS entries must be id:base64 of 32 bytes")
    NRM_ENCRYPTION_KEYS.append((_kid, _key))
NRM_LINKAGE_KEY = base64.b64decode(_local_secret("NRM_LINKAGE_KEY", "linkage.key", 32))
# Separate from the encryption keys: whoever can decrypt records must not be able to rewrite the
# audit chain, and the checkpoints' signing key is separate again (it may live on another machine).
NRM_AUDIT_KEY = _base64_key("NRM_AUDIT_KEY", _local_secret("NRM_AUDIT_KEY", "audit.key", 32))
NRM_AUDIT_SIGNING_KEY = _base64_key(
    "NRM_AUDIT_SIGNING_KEY", _local_secret("NRM_AUDIT_SIGNING_KEY", "audit-signing.key", 32)
)
# Sealing is batched off the request path (nrm.audit.services.seal_soon): one short write per
# process per interval instead of one per audited request.
NRM_AUDIT_SEAL_MS = _int("NRM_AUDIT_SEAL_MS", 1000, minimum=0)
# A read's audit row in its own transaction: committed without waiting for the disk unless set.
NRM_AUDIT_READS_WAIT_FOR_DISK = _flag("NRM_AUDIT_READS_WAIT_FOR_DISK")
NRM_AUDIT_CHECKPOINTS = Path(os.environ.get("NRM_AUDIT_CHECKPOINTS") or DATA_DIR / "audit-checkpoints.jsonl")
NRM_COUNTRY = _matching("NRM_COUNTRY", "RS", "[A-Za-z]{2}", "RS (ISO 3166 alpha-2)").upper()
NRM_RETENTION_YEARS = _int("NRM_RETENTION_YEARS", 10, minimum=1)
# A merge of duplicate cases is reversible for this long (nrm.exchange.merge.merge_undo).
NRM_MERGE_UNDO_DAYS = _int("NRM_MERGE_UNDO_DAYS", 30, minimum=0)
# IATI forbids / & | ? in identifiers; every activity identifier is this ref, "-", the programme code.
NRM_IATI_REPORTING_ORG_REF = _matching(
    "NRM_IATI_REPORTING_ORG_REF", f"XM-NRM-{NRM_COUNTRY}", r"[^/&|?\s]+", "XM-DAC-41114 (no / & | ? or spaces)"
)
NRM_IATI_REPORTING_ORG_NAME = (
    os.environ.get("NRM_IATI_REPORTING_ORG_NAME", "").strip()
    or "National Referral Mechanism (Office of the National Anti-Trafficking Coordinator)"
)
NRM_IATI_REPORTING_ORG_TYPE = _matching("NRM_IATI_REPORTING_ORG_TYPE", "10", r"\d{2}", "10 (IATI OrganisationType)")
# Documents are stored encrypted in the database (nrm.documents): the limit bounds a row and a request.
NRM_DOCUMENT_MAX_BYTES = _int("NRM_DOCUMENT_MAX_MB", 10, minimum=1) * 1024 * 1024
NRM_SERVICE_DUE_DAYS = _int("NRM_SERVICE_DUE_DAYS", 10, minimum=0)
NRM_REMINDER_DAYS_AHEAD = _int("NRM_REMINDER_DAYS_AHEAD", 1, minimum=0)
NRM_REMINDER_REPORT_DAYS = _int("NRM_REMINDER_REPORT_DAYS", 7, minimum=0)
# The job queue (django-q2) with the database as its broker: nothing else to run on SQLite or
# PostgreSQL. A job runs once (no retry of a half-done daily job: tomorrow's run catches up, and
# each job is idempotent); missed runs are not replayed one by one (catch_up off).
Q_CLUSTER = {
    "name": "nrm",
    "orm": "default",
    "workers": _int("NRM_JOBS_WORKERS", 1, minimum=1),
    "timeout": 1800,
    "retry": 3600,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "poll": 5,
    "sync": _flag("NRM_JOBS_SYNC"),
    "label": "Jobs",
}
NRM_DISCLOSURE_THRESHOLD = _int("NRM_DISCLOSURE_THRESHOLD", 5, minimum=1)
# "consent": a case counts only with the consent "use in statistics" (see cases.selectors).
NRM_STATISTICS_BASIS = _one_of("NRM_STATISTICS_BASIS", "consent", ("consent", "legal_basis"))
# Goes into SQL (SET LOCAL work_mem): the shape is checked here and again where it is used.
NRM_STATS_WORK_MEM = _matching("NRM_STATS_WORK_MEM", "64MB", r"\d+\s*(kB|MB|GB)", "64MB")
NRM_REFERRAL_RESPONSE_DAYS = _response_days("NRM_REFERRAL_RESPONSE_DAYS")
# A referral without consent needs a written ground at least this long (characters), so that a
# reviewer can judge it later; "urgent" alone is not a ground.
NRM_LEGAL_GROUND_MIN_LENGTH = _int("NRM_LEGAL_GROUND_MIN_LENGTH", 40, minimum=1)
NRM_JUSTICE_ORG_TYPES = _codes("NRM_JUSTICE_ORG_TYPES", ("police", "prosecution", "court"))
NRM_HELPLINE_ORG_TYPES = _codes("NRM_HELPLINE_ORG_TYPES", ("helpline",))
NRM_COORDINATOR_ORG_TYPES = _codes("NRM_COORDINATOR_ORG_TYPES", ("coordinator",))

DEBUG = _flag("NRM_DEBUG") and not PRODUCTION
# The baseline view of `nrm bench` answers without authentication, so production never has it.
# Hot statements prepared on the PostgreSQL server (nrm.core.prepared): not behind PgBouncer in
# transaction mode, where a prepared statement would not outlive its transaction.
NRM_PREPARED_STATEMENTS = os.environ.get("NRM_DB_POOL", "").strip() != "pgbouncer"
# Rows read on every request (an API token's) kept on a connection until PostgreSQL notifies
# their change (nrm.core.listened): only on connections Django keeps itself, whose LISTEN is theirs.
NRM_LISTENED_ROWS = not os.environ.get("NRM_DB_POOL", "").strip()
NRM_BENCH = _flag("NRM_BENCH") and not PRODUCTION
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("NRM_ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "NRM_ALLOWED_HOSTS must be set when NRM_ENV=production: the host names the server answers to, "
            "comma-separated (such as nrm.example.org)"
        )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]


def _pooling(pool: str) -> dict:
    """PostgreSQL connection settings for NRM_DB_POOL (docs/scaling.md, "Connection pooling")."""
    if pool == "pgbouncer":
        # Transaction mode: a server connection is ours for one transaction only, so no cursor
        # or prepared statement may outlive it.
        return {"DISABLE_SERVER_SIDE_CURSORS": True, "OPTIONS": {"prepare_threshold": None}}
    if pool == "psycopg":
        # Django's pool (psycopg[pool] installed); it refuses persistent connections beside it.
        return {"CONN_MAX_AGE": 0, "OPTIONS": {"pool": {"min_size": 2, "max_size": 8, "timeout": 10}}}
    if pool:
        raise ImproperlyConfigured(f"NRM_DB_POOL must be pgbouncer, psycopg or unset, not {pool!r}")
    return {}


def _database(url: str, name: str = "DATABASE_URL") -> dict:
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "nrm.sqlite3",
            "OPTIONS": {
                # Writers queue behind each other instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # A server thread keeps its connection (and its pragmas) instead of opening the file per request.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": None},
        }
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "nrm",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            **_pooling(os.environ.get("NRM_DB_POOL", "").strip()),
        }
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parsed.path)}
    raise ImproperlyConfigured(f"{name} must start with postgres:// or sqlite://, not {parsed.scheme!r}")


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", ""))}
# Statistics read from a replica of the primary when one is given (nrm.core.replica); in a test
# run it mirrors the test database, since a test database has no replication.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = {
        **_database(os.environ["DATABASE_REPLICA_URL"].strip(), "DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["nrm.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Kosovo has no ISO 3166 code; XK is the user-assigned code the EU, CTDC and UNHCR use.
COUNTRIES_OVERRIDE = {"XK": _("Kosovo (UNSCR 1244/1999)")}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_countries",  # country names in the user's language (its catalogues include sr and sr_Latn)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "nrm.core",
    "nrm.accounts",
    "nrm.audit",
    "nrm.cases",
    "nrm.referrals",
    "nrm.transfers",
    "nrm.children",
    "nrm.exchange",
    "nrm.reporting",
    "nrm.actionplan",
    "nrm.justice",
    "nrm.protection",
    "nrm.helpline",
    "nrm.programmes",
    "nrm.prevention",
    "nrm.earlywarning",
    "nrm.documents",
    "nrm.tasks",
    "django_q",
    "nrm.api",
    "nrm.web",
    "nrm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's no longer reads the language from the session: it need not follow it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "nrm.core.middleware.SecurityHeadersMiddleware",
    # From here to TokenCallLaneEnd, what serves signed-in browsers: an API call with its token
    # goes past it all (nrm.api.middleware).
    "nrm.api.middleware.TokenCallLane",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nrm.accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nrm.accounts.middleware.PasswordChangeRequiredMiddleware",
    "nrm.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "nrm.api.middleware.TokenCallLaneEnd",
    # Last, as django-axes requires: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nrm.urls"
WSGI_APPLICATION = "nrm.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
OTP_TOTP_ISSUER = "NRM"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nrm.accounts.context_processors.memberships",
                "nrm.tasks.context_processors.notifications",
            ],
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout: after NRM_LOGIN_FAILURES failures a username is locked for NRM_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = _int("NRM_LOGIN_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = _int("NRM_LOCKOUT_MINUTES", 15, minimum=0) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The web gets a page and the API a problem+json, both 429 in the user's language.
AXES_LOCKOUT_CALLABLE = "nrm.accounts.lockout.lockout_response"
# Locking by username alone is deliberate: combining it with the address would let a guesser
# who rotates addresses go on; a locked account reopens after the cool-off.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sr-latn", _("Srpski (latinica)")), ("sr", _("Српски (ћирилица)"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("NRM_TIME_ZONE", "") or "Europe/Belgrade"
try:
    ZoneInfo(TIME_ZONE)
except (ValueError, ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        f"NRM_TIME_ZONE must be an IANA time zone such as Europe/Belgrade, not {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION

# Sessions expire when idle; cookies are not readable by scripts.
SESSION_COOKIE_AGE = _int("NRM_SESSION_AGE", 1800, minimum=1)
# However active, a web session ends this long after its sign-in (nrm.accounts.middleware).
NRM_SESSION_MAX_AGE = _int("NRM_SESSION_MAX_AGE", 12 * 3600, minimum=60)
NRM_REQUIRE_2FA = _flag("NRM_REQUIRE_2FA", require_2fa_default(PRODUCTION))
NRM_API_TOKEN_TTL = _int("NRM_API_TOKEN_TTL", 8 * 3600, minimum=60)
NRM_API_TOKENS_MAX = _int("NRM_API_TOKENS_MAX", 10, minimum=1)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _flag("NRM_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Whether a request came over HTTPS is the server's to say (nrm.core.server): it believes
# X-Forwarded-Proto from NRM_TRUSTED_PROXY only. Django's SECURE_PROXY_SSL_HEADER would believe it
# from anyone who can reach the port, so it stays unset.
NRM_TRUSTED_PROXY = _trusted_proxy("NRM_TRUSTED_PROXY")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "nrm.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "nrm.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "nrm.api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "nrm.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "nrm.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "nrm.api.errors.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "NRM API",
    "DESCRIPTION": "National Referral Mechanism: screening, cases, consent, referrals, identification, assistance.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a "kind", "status" or "sex": one schema name per choice set.
    "ENUM_NAME_OVERRIDES": {
        "ReferralKindEnum": "nrm.referrals.choices.ReferralKind",
        "ReferralStatusEnum": "nrm.referrals.choices.ReferralStatus",
        "SexEnum": "nrm.cases.choices.Sex",
        "CaseStatusEnum": "nrm.cases.choices.CaseStatus",
        "ServiceStatusEnum": "nrm.cases.choices.ServiceStatus",
        "DecisionEnum": "nrm.cases.choices.Decision",
        "PlanDeadlineKindEnum": "nrm.actionplan.choices.DeadlineKind",
        "PlanBudgetSectionKindEnum": "nrm.actionplan.choices.BudgetSectionKind",
        "PlanReportKindEnum": "nrm.actionplan.choices.ReportKind",
        "PlanReportStatusEnum": "nrm.actionplan.choices.ReportStatus",
        "PlanBriefingKindEnum": "nrm.actionplan.choices.BriefingKind",
        "PlanReminderKindEnum": "nrm.actionplan.choices.ReminderKind",
        "PreventionEventKindEnum": "nrm.prevention.choices.EventKind",
        "ParticipantSexEnum": "nrm.prevention.choices.Sex",
        "AwarenessKindEnum": "nrm.prevention.choices.AwarenessKind",
        "MaterialKindEnum": "nrm.prevention.choices.MaterialKind",
        "KapMeasureEnum": "nrm.prevention.choices.KapMeasure",
        "FeedMeasureEnum": "nrm.prevention.choices.FeedMeasure",
        "AlertStatusEnum": "nrm.earlywarning.choices.AlertStatus",
        "AlertEventKindEnum": "nrm.earlywarning.choices.EventKind",
        "AssetKindEnum": "nrm.justice.choices.AssetKind",
    },
}

EMAIL_BACKEND = os.environ.get("NRM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("NRM_FROM_EMAIL", "nrm@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
