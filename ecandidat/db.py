"""Database wiring: one peewee proxy, a connection per request, migrations."""
import datetime
import logging
import os
import random
import time

from peewee import DatabaseProxy, DateTimeField, Model, OperationalError, SqliteDatabase
from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner

database = DatabaseProxy()
log = logging.getLogger(__name__)

# PostgreSQL aborts one of two transactions that wait on each other (deadlock
# detected) or that it cannot serialise; the other one goes on.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


class UTCDateTimeField(DateTimeField):
    """An instant: written as naive UTC (the same column type on SQLite and
    PostgreSQL), read back as an aware UTC datetime. Naive values are taken as UTC."""

    def db_value(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


def write_transaction():
    """A transaction for a write that depends on what it reads.

    SQLite: `BEGIN IMMEDIATE` takes the database's write lock at once (waiting up
    to busy_timeout), so nothing read inside can change before the commit; a
    deferred transaction would read, then fail with "database is locked" on its
    first write. PostgreSQL: a READ COMMITTED transaction in which the caller takes
    row locks (`ecandidat.workflow.core.locked`). Inside another transaction it is a savepoint of that one."""
    if isinstance(database.obj, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def retryable(error):
    """An error PostgreSQL raised to abort a transaction that may simply be run again."""
    original = getattr(error, "orig", None)  # peewee keeps the driver's error there
    return getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES


def retrying(function, attempts=3):
    """`function()` — which opens and commits its own write transaction — run again,
    from the start, when PostgreSQL aborted it for a deadlock or a serialization
    failure: it was rolled back whole (its mails with it, they are in the outbox),
    so running it again does it once. Lock orders keep this rare (a désistement
    locks the candidature it promotes after its own). Inside an outer transaction
    nothing is retried: the outer one was aborted too, its caller decides."""
    for attempt in range(1, attempts + 1):
        try:
            return function()
        except OperationalError as error:
            if attempt == attempts or not retryable(error) or database.in_transaction():
                raise
            log.warning("Transaction annulée par PostgreSQL (%s), nouvel essai %s/%s",
                        error.orig.sqlstate, attempt + 1, attempts)
            time.sleep(random.uniform(0.01, 0.1) * attempt)


def make_database(url):
    """Build a peewee database from a URL (sqlite:///path or postgresql://…)."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # WAL lets the web process read while a CLI job writes; foreign keys
        # are off by default in SQLite.
        return SqliteDatabase(path, pragmas={
            "journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000,
        })
    return connect_url(url)


def init_app(app):
    db = make_database(app.config["DATABASE_URL"])
    database.initialize(db)

    @app.before_request
    def _open_connection():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close_connection(exc):
        if not database.is_closed():
            database.close()


def migration_runner():
    return Runner(database.obj, MIGRATIONS_DIR)


def upgrade():
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    with database.connection_context():
        return migration_runner().up()
