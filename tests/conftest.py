"""Fixtures: a fresh app per test over a migrated database (SQLite by default,
PostgreSQL when TEST_DATABASE_URL is set), emptied after each test."""
import contextlib
import contextvars
import os

import pytest
from flask.testing import FlaskClient

from app import create_app
from ecandidat import db, i18n
from ecandidat.models import ALL_MODELS

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# `make test` builds the .mo files; `pytest` alone gets them here (missing or older
# than their .po).
i18n.compile_if_stale()


def is_postgres():
    return bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgres")


def reset_schema(url):
    """Start from an empty database: drop every table, then run the migrations."""
    database = db.make_database(url)
    db.database.initialize(database)
    with database.connection_context():
        if is_postgres():
            database.execute_sql("DROP SCHEMA public CASCADE")
            database.execute_sql("CREATE SCHEMA public")
        db.upgrade()
    return database


def schema_diff(database):
    """What differs between `database` and the models, leaving out the PostgreSQL-only
    indexes that migration 0014 declares (trigram indexes: in the models, SQLite would
    be expected to have them too). Migration 0015's SQLite full-text tables (and their
    shadow tables) and triggers are no models: diff_models compares only the tables
    models describe, and no triggers."""
    import importlib

    from playhouse.schema_diff import diff_models

    trigram = importlib.import_module("migrations.0014_search_trigram")
    postgresql_only = {trigram.index_name(table, column) for table, column in trigram.SEARCHED}
    diff = diff_models(database, list(ALL_MODELS))
    return diff._replace(drop_indexes=[index for index in diff.drop_indexes
                                       if index.name not in postgresql_only])


@contextlib.contextmanager
def sqlite_migrated_to(path, prefix):
    """A new SQLite database at `path`, migrated up to the migration named `prefix…`
    (the schema of an older release, to fill with rows and run the next migrations
    on): yields (database, its migration runner), connected, and closes it after."""
    fresh = db.make_database("sqlite:///" + str(path))
    try:
        with fresh.connection_context():
            runner = db.Runner(fresh, db.MIGRATIONS_DIR)
            runner.up(target=next(m.name for m in runner.migrations()
                                  if m.name.startswith(prefix)))
            yield fresh, runner
    finally:
        fresh.close()


def empty_tables():
    """Remove every row so that each test starts from the same state."""
    database = db.database.obj
    tables = [m._meta.table_name for m in ALL_MODELS]
    with database.connection_context():
        if is_postgres():
            database.execute_sql("TRUNCATE %s RESTART IDENTITY CASCADE"
                                 % ", ".join(f'"{t}"' for t in tables))
        else:
            database.execute_sql("PRAGMA foreign_keys = OFF")
            with database.atomic():
                for table in tables:
                    database.execute_sql(f'DELETE FROM "{table}"')
            database.execute_sql("PRAGMA foreign_keys = ON")


class IsolatedClient(FlaskClient):
    """Each request runs outside the test's app context, as in production: it
    gets its own `g` (so Flask-Login's cached user never leaks between requests)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = TEST_DATABASE_URL or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    reset_schema(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": None,
        "BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": False,
        # Tests look at a change at the very next request: no stamp memo, no micro-cache.
        "OFFER_STAMP_MAX_AGE": 0,
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
    empty_tables()
    if not db.database.is_closed():
        db.database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_compte(app):
    """Create a validated candidate account; returns (compte, clear password)."""
    from ecandidat.models import CompteCandidat
    from ecandidat.security import hash_password

    def factory(email="camille.martin@example.org", password="un mot de passe solide",
                nom="MARTIN", prenom="Camille", valide=True):
        compte = CompteCandidat.create(
            numero_dossier=new_numero(), nom=nom, prenom=prenom, email=email,
            password_hash=hash_password(password), valide=valide)
        return compte, password

    return factory


def new_numero():
    from ecandidat.models.accounts import new_numero_dossier
    return new_numero_dossier()


def sign_in(client, compte):
    """Put the account in the client's session as Flask-Login would."""
    with client.session_transaction() as session:
        session["_user_id"] = compte.get_id()
        session["_fresh"] = True


@pytest.fixture
def candidate_client(client, make_compte):
    """A test client signed in as a validated candidate (``client.compte``)."""
    compte, _ = make_compte()
    sign_in(client, compte)
    client.compte = compte
    return client


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy
        # Raw bytes: aiosmtpd's Message handler would mangle accented text.
        self.messages.append(email.message_from_bytes(envelope.original_content or
                                                      envelope.content,
                                                      policy=policy.default))
        return "250 OK"


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """Start an SMTP server and point the app's mail settings at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_SUPPRESS_SEND=False)
    from ecandidat.mail import flask_mail
    flask_mail.init_app(app)
    yield sink
    controller.stop()


def reachable_redis(url, what):
    """A client of the Redis at `url` once it answers; else the test is skipped with a
    notice naming `what`, or failed where CI started Redis (REQUIRE_REDIS=1)."""
    try:
        import redis
    except ImportError:
        pytest.fail("le paquet redis manque (requirements.txt) : RATELIMIT_STORAGE_URI=redis://… "
                    "ne peut pas fonctionner")
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("REQUIRE_REDIS"):  # CI (.ci/run) starts Redis: it must run there
            pytest.fail(f"Redis est requis (REQUIRE_REDIS=1) et injoignable : {error}")
        pytest.skip(f"Redis injoignable sur {url} ({error}) : {what} ignoré")
    return client


def outbox(code=None):
    """Mails stored in the outbox, oldest first (optionally of one template code)."""
    from ecandidat.models import OutboxMail
    query = OutboxMail.select().order_by(OutboxMail.id)
    if code:
        query = query.where(OutboxMail.code == code)
    return list(query)


def link_in(body, path):
    """The first absolute link of a mail body that contains `path`."""
    import re
    match = re.search(r"https?://\S*" + re.escape(path) + r"\S*", body)
    assert match, f"no link with {path} in:\n{body}"
    return match.group(0)


# --- Browser tests (Playwright driving Debian's chromium) ------------------------------

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                 if os.path.exists(p)), None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
_skipped_browser_tests = []


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("chromium est requis (REQUIRE_BROWSER=1) : apt-get install chromium")
        _skipped_browser_tests.append(True)
        pytest.skip("chromium absent : tests navigateur ignorés (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def live_server(app):
    """Serve the test app on a free local port in a background thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = server.url
    yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()




# --- A real OpenID Connect provider (npm's oidc-provider run by node) -------------------

OIDC_DIR = os.path.join(os.path.dirname(__file__), "oidc")
_skipped_oidc_tests = []


def _oidc_unavailable(reason):
    """Skip with a notice, or fail where CI must run every browser-side test."""
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"le fournisseur OpenID de test est requis (REQUIRE_BROWSER=1) : {reason}")
    _skipped_oidc_tests.append(reason)
    pytest.skip(f"fournisseur OpenID de test indisponible ({reason}) : tests SSO ignorés")


def _oidc_node():
    """node, with tests/oidc's pinned packages installed (npm ci) when they are missing."""
    import shutil
    import subprocess

    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _oidc_unavailable("node et npm absents : apt-get install nodejs npm")
    if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
        done = subprocess.run([npm, "ci", "--prefix", OIDC_DIR, "--no-audit", "--no-fund"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            _oidc_unavailable(f"npm ci --prefix tests/oidc a échoué : {done.stderr[-500:]}")
    return node


class OidcProvider:
    """One oidc-provider process; `issuer` once it listens."""

    CLIENT_ID, CLIENT_SECRET = "ecandidat-tests", "secret-of-the-test-client"

    def __init__(self, node, redirect_uris, accounts):
        import json
        import select
        import subprocess
        import tempfile
        import time

        port = free_port()
        env = dict(os.environ, OIDC_TEST_PORT=str(port), NODE_ENV="development",
                   OIDC_TEST_CLIENT=json.dumps({"client_id": self.CLIENT_ID,
                                                "client_secret": self.CLIENT_SECRET,
                                                "redirect_uris": list(redirect_uris)}),
                   OIDC_TEST_ACCOUNTS=json.dumps(accounts))
        # stderr to a file: a pipe nobody reads would block the provider once full.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([node, os.path.join(OIDC_DIR, "provider.mjs")],
                                        env=env, stdout=subprocess.PIPE, stderr=self.log,
                                        text=True)
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and not line.startswith("ready "):
            ready, _w, _x = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if not line:  # the process ended
                    break
        if not line.startswith("ready "):
            self.stop()
            self.log.seek(0)
            pytest.fail("le fournisseur OpenID de test n'a pas démarré : "
                        + self.log.read()[-2000:])
        self.issuer = line.split()[1]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except Exception:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


@pytest.fixture
def oidc_provider(app):
    """Start a real OpenID provider whose client is this app (redirect URIs on the app's
    BASE_URL: request live_server first) with the given accounts ({login: claims}; at its
    login page any password is accepted), and configure the app to use it."""
    node = _oidc_node()
    started = []

    def start(accounts):
        base = app.config["BASE_URL"].rstrip("/")
        provider = OidcProvider(node, (base + "/connexion/etablissement/retour",
                                       base + "/admin/connexion-etablissement/retour"),
                                accounts)
        started.append(provider)
        app.config.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=provider.CLIENT_ID,
                          OIDC_CLIENT_SECRET=provider.CLIENT_SECRET)
        return provider

    yield start
    for provider in started:
        provider.stop()


def pytest_terminal_summary(terminalreporter):
    if _skipped_browser_tests:
        terminalreporter.write_sep("!", "AVIS : chromium absent, les tests navigateur ont été "
                                        "ignorés (apt-get install chromium)", yellow=True)
    if _skipped_oidc_tests:
        terminalreporter.write_sep("!", "AVIS : fournisseur OpenID de test indisponible, les "
                                        f"tests SSO ont été ignorés ({_skipped_oidc_tests[0]})",
                                   yellow=True)
