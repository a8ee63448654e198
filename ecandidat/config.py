"""Configuration: defaults overridden by environment variables (SPEC §11)."""
import os
import secrets

from ecandidat.db import DEFAULT_POOL_SIZE, DEFAULT_POOL_MAX_AGE_SECONDS

ENV_NAMES = (
    "DATABASE_URL", "SECRET_KEY", "UPLOAD_FOLDER", "MAX_UPLOAD_MB",
    "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME",
    "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "BASE_URL", "RATELIMIT_STORAGE_URI",
    "MAIL_TIMEOUT", "PROXY_COUNT", "MAX_UPLOAD_PIXELS", "MAX_UPLOAD_PAGES", "DOSSIER_MAX_PAGES",
    "DOWNLOAD_MULTIPLE_NB_MAX", "SVA_ALERT_DAYS", "RELANCE_FAVORABLE_DAYS",
    "RELANCE_TRANSMISSION_DAYS", "ARCHIVE_RETENTION_DAYS", "LC_RANG_AFFICHAGE",
    "RATELIMIT_KEY_PREFIX", "DB_POOL_SIZE", "DB_POOL_MAX_AGE_SECONDS",
    "CACHE_REDIS_URL", "DOSSIER_RENDER_SLOTS", "DOSSIER_RENDER_WAIT", "OFFER_STAMP_MAX_AGE",
    "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_SCOPES", "OIDC_INE_CLAIM",
)
INTEGERS = ("MAX_UPLOAD_MB", "MAIL_PORT", "MAIL_TIMEOUT", "PROXY_COUNT", "MAX_UPLOAD_PIXELS",
            "MAX_UPLOAD_PAGES", "DOSSIER_MAX_PAGES", "DOWNLOAD_MULTIPLE_NB_MAX",
            "SVA_ALERT_DAYS", "RELANCE_FAVORABLE_DAYS", "RELANCE_TRANSMISSION_DAYS",
            "ARCHIVE_RETENTION_DAYS", "DB_POOL_SIZE", "DB_POOL_MAX_AGE_SECONDS",
            "DOSSIER_RENDER_SLOTS", "DOSSIER_RENDER_WAIT")
FLOATS = ("OFFER_STAMP_MAX_AGE",)
LC_RANG_AFFICHAGE_VALUES = ("aucun", "saisi", "reel")
# Environment name → configuration key, where they differ.
ENV_ALIASES = {"TZ": "TIMEZONE"}


def _as_bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on", "oui"}


def load_config(instance_path, root_path, environ=None):
    """Return the configuration mapping for an app instance.

    Environment variables win over defaults; values keep their proper types.
    """
    environ = os.environ if environ is None else environ
    config = {
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "ecandidat.sqlite3"),
        # PostgreSQL: most connections one process keeps (one per thread serving
        # requests, plus the mail threads); 0 opens a new one per request. A pooled
        # connection older than DB_POOL_MAX_AGE_SECONDS is closed instead of reused.
        "DB_POOL_SIZE": DEFAULT_POOL_SIZE,
        "DB_POOL_MAX_AGE_SECONDS": DEFAULT_POOL_MAX_AGE_SECONDS,
        "SECRET_KEY": None,
        "UPLOAD_FOLDER": os.path.join(root_path, "uploads"),
        "MAX_UPLOAD_MB": 10,
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "ecandidat@localhost",
        # Seconds an SMTP connection may wait on the server before the mail is retried later.
        "MAIL_TIMEOUT": 10,
        "BASE_URL": "http://127.0.0.1:5000",
        "BABEL_DEFAULT_LOCALE": "fr",
        # Dates and hours are shown, and deadlines read, in this zone (environment TZ).
        "TIMEZONE": "Europe/Paris",
        # The interface's languages, the first one the institution's (stored dossiers,
        # console texts by default); ecandidat.i18n.
        "LANGUAGES": ("fr", "en"),
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(root_path, "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "FLASK_ADMIN_SWATCH": "default",
        # memory:// suits one process; give redis://… when several workers serve the app.
        "RATELIMIT_STORAGE_URI": "memory://",
        # Prepended to every rate-limit key: two deployments sharing one Redis keep
        # their counts apart.
        "RATELIMIT_KEY_PREFIX": "",
        # None: each process caches the offer in its own memory; redis://… shares it.
        "CACHE_REDIS_URL": None,
        # Seconds a process goes on serving the offer page it has before asking the
        # database whether the offer changed (0: at every request).
        "OFFER_STAMP_MAX_AGE": 1.0,
        # Reverse proxies in front of the app that append to X-Forwarded-For: 0 trusts
        # no header (the peer address is the client), 1 behind one nginx, and so on.
        "PROXY_COUNT": 0,
        # An uploaded image may hold this many pixels (a small PNG can declare huge
        # dimensions), a PDF this many pages; the dossier PDF this many pages in all.
        "MAX_UPLOAD_PIXELS": 40_000_000,
        "MAX_UPLOAD_PAGES": 50,
        "DOSSIER_MAX_PAGES": 300,
        # Dossier PDFs rendered at once in one process (job, request, draft: each render
        # of 20 scanned pieces holds a few hundred MB), and the seconds a request waits
        # for a free slot before it answers « en cours de préparation » (ecandidat.dossiers).
        "DOSSIER_RENDER_SLOTS": 1,
        "DOSSIER_RENDER_WAIT": 20,
        # Dossiers a console user may download at once ("Télécharger les dossiers").
        "DOWNLOAD_MULTIPLE_NB_MAX": 100,
        # The console's Candidatures list colours a candidature transmitted more than this
        # many days ago and still Réceptionné or Incomplet (SVA: silence vaut acceptation).
        "SVA_ALERT_DAYS": 30,
        # Jobs: one reminder this many days before the confirmation deadline of a
        # favourable avis not answered yet, and before the date limite de retour of a
        # candidature not transmitted yet; an archived campaign's candidatures, files
        # and the accounts holding nothing else are destroyed this many days later.
        "RELANCE_FAVORABLE_DAYS": 2,
        "RELANCE_TRANSMISSION_DAYS": 3,
        "ARCHIVE_RETENTION_DAYS": 365,
        # What a candidate on the liste complémentaire sees of their place: "aucun",
        # "saisi" (the rang the commission entered) or "reel" (their place in the queue now).
        "LC_RANG_AFFICHAGE": "saisi",
        # Single sign-on through the institution's OpenID provider (ecandidat.sso): the
        # « Connexion pour les étudiants actuels » button and the console's identity login
        # show only when the issuer, client id and secret are all given. The scopes asked;
        # the claim (if any) holding the INE, the Identifiant national étudiant, with its
        # key (e.g. supannCodeINE), by which an existing account is also found.
        "OIDC_ISSUER": None,
        "OIDC_CLIENT_ID": None,
        "OIDC_CLIENT_SECRET": None,
        "OIDC_SCOPES": "openid email profile",
        "OIDC_INE_CLAIM": None,
    }
    for name in ENV_NAMES:
        if environ.get(name):
            config[name] = environ[name]
    for name, key in ENV_ALIASES.items():
        if environ.get(name):
            config[key] = environ[name]
    for name in INTEGERS:
        config[name] = int(config[name])
    for name in FLOATS:
        config[name] = float(config[name])
    config["MAIL_USE_TLS"] = _as_bool(config["MAIL_USE_TLS"])
    if config["LC_RANG_AFFICHAGE"] not in LC_RANG_AFFICHAGE_VALUES:
        # A typo would silently hide every rank from the candidates: refuse to start.
        raise ValueError(f"LC_RANG_AFFICHAGE={config['LC_RANG_AFFICHAGE']!r} : valeurs "
                         f"possibles {', '.join(LC_RANG_AFFICHAGE_VALUES)}.")
    # Werkzeug refuses bigger bodies before any view runs; the margin leaves
    # room for the other form fields of an upload.
    config["MAX_CONTENT_LENGTH"] = (config["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    config["SESSION_COOKIE_SECURE"] = config["BASE_URL"].startswith("https://")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(instance_path)
    return config


def _instance_secret(instance_path):
    """A random key kept in instance/ so sessions survive restarts without
    a secret ever being written in the code.

    The workers of a first start all get here at once: the key is linked into place
    complete, and only if no other process did it first, so they all end up with the
    one on disk (with a plain write, each could keep its own and reject the others'
    cookies)."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path) as handle:
            return handle.read().strip()
    except FileNotFoundError:
        pass
    os.makedirs(instance_path, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process linked its key first: use that one
    finally:
        os.remove(temporary)
    with open(path) as handle:
        return handle.read().strip()
