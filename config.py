"""Configuration read from the environment, with embedded defaults for development.

Every setting a deployment changes comes from an environment variable; secrets that
are not given are generated once into the instance folder, which git ignores.
"""
import os
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "testing", "production")


def _instance_secret(instance_path, name):
    """Read a secret from instance/<name>, creating it on first use."""
    path = os.path.join(instance_path, name)
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    with open(path) as handle:
        return handle.read().strip()


def _instance_vapid_key(instance_path, name="vapid_private_key.pem"):
    """The path of the Web Push (VAPID) private key, an EC P-256 key in PEM created on
    first use in instance/ (its public half is what browsers subscribe with)."""
    path = os.path.join(instance_path, name)
    if not os.path.exists(path):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: keep that one
            return path
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return path


def database_uri(url):
    """SQLAlchemy URL for DATABASE_URL; PostgreSQL goes through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def limiter_storage_uri(redis_url):
    """Flask-Limiter (limits) spells a unix socket URL redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _vapid_subject(sender):
    """mailto: the sender's address ('Name <a@b>' or 'a@b')."""
    address = sender.rpartition("<")[2].rstrip(">").strip()
    return f"mailto:{address}"


def _flag(value):
    return str(value).lower() in ("1", "true", "yes", "on")


def load(instance_path, environ=None):
    """Build the configuration mapping for create_app()."""
    env = os.environ if environ is None else environ
    os.makedirs(instance_path, exist_ok=True)
    portail_env = env.get("PORTAIL_ENV", "development")
    if portail_env not in ENVIRONMENTS:
        raise RuntimeError(f"PORTAIL_ENV must be one of {ENVIRONMENTS}, not {portail_env!r}")
    development = portail_env == "development"
    secure_cookies = portail_env == "production"

    redis_url = env.get("REDIS_URL") or f"unix://{instance_path}/redis.sock"
    public_url = env.get("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    sqlite_default = f"sqlite:///{os.path.join(instance_path, 'portail.sqlite3')}"

    return {
        "PORTAIL_ENV": portail_env,
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        # Keyed hash of subscriber codes: a database dump alone does not give the codes.
        "SUBSCRIBER_CODE_KEY": env.get("SUBSCRIBER_CODE_KEY")
        or _instance_secret(instance_path, "subscriber_code_key"),
        "PUBLIC_URL": public_url,
        # Web Push: the VAPID private key (a PEM file; generated into instance/ when not
        # given) and the contact the push services may write to.
        "VAPID_PRIVATE_KEY_FILE": env.get("VAPID_PRIVATE_KEY_FILE")
        or _instance_vapid_key(instance_path),
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT") or _vapid_subject(
            env.get("MAIL_DEFAULT_SENDER", "ne-pas-repondre@portail-famille.localhost")),
        # How many reverse proxies (nginx…) stand in front of the app: their
        # X-Forwarded-* headers are then trusted for the client's IP (rate limits) and
        # the scheme and host of links.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # The proxy sets X-Request-Start (nginx: "t=${msec}"): a request is stamped when
        # the proxy received it, not after it waited for a worker
        # (blueprints/common/arrival.py). Only with TRUSTED_PROXIES.
        "TRUST_REQUEST_START": env.get("TRUST_REQUEST_START", "0") == "1",
        "PREFERRED_URL_SCHEME": urlsplit(public_url).scheme or "http",
        "SQLALCHEMY_DATABASE_URI": database_uri(env.get("DATABASE_URL") or sqlite_default),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": limiter_storage_uri(redis_url),
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED", "1")),
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": "portail-limits",
        # Redis down must not keep anyone from logging in or sending a form: the limits
        # are then counted in this process's memory until Redis answers again, and an
        # error while counting is logged, never shown.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 1},
        # Without a clock process the web app enqueues the sweep when it is late (the
        # tests enqueue what they mean to run, so not there).
        "SWEEP_FROM_WEB": _flag(env.get("SWEEP_FROM_WEB", str(portail_env != "testing"))),
        # Taps of one guardian this close to the last one share one receipt and one
        # decision email (models/email_batches.py). The tests group only where they
        # mean to (they set it), so that the others read each tap's emails at once.
        "EMAIL_GROUP_SECONDS": float(env.get("EMAIL_GROUP_SECONDS",
                                             "0" if portail_env == "testing" else "120")),
        # Mail: in development a local aiosmtpd sink (make run starts it) stores each message.
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "8025")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS", "0")),
        "MAIL_USE_SSL": _flag(env.get("MAIL_USE_SSL", "0")),
        "MAIL_DEFAULT_SENDER": env.get(
            "MAIL_DEFAULT_SENDER", "Portail Famille <ne-pas-repondre@portail-famille.localhost>"
        ),
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "10")),
        # Tests talk to a real SMTP server too, so sending is never suppressed.
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_SINK_DIR": os.path.join(instance_path, "mail") if development else None,
        # The page playing eopayment's dummy payment service (blueprints/dev.py).
        "PAYMENT_SIMULATOR": portail_env in ("development", "testing"),
        "STORAGE_DIR": env.get("STORAGE_DIR") or os.path.join(instance_path, "storage"),
        # Sessions: signed cookie + a server-side session row (see models/user.py).
        "SESSION_COOKIE_NAME": "__Host-session" if secure_cookies else "portail_session",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_NAME": "__Host-remember" if secure_cookies else "portail_remember",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "SESSION_IDLE_TIMEOUT": timedelta(hours=2),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "REMEMBERED_SESSION_IDLE_TIMEOUT": timedelta(days=7),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "WTF_CSRF_SSL_STRICT": secure_cookies,
        # Documents go up to 10 MB; the margin covers multipart overhead.
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "HSTS": secure_cookies,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "ARGON2_PROFILE": env.get("ARGON2_PROFILE", "owasp"),
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/csv",
        ],
        "COMPRESS_MIN_SIZE": 500,
    }
