"""Database wiring: one peewee proxy, a connection per request, migrations."""
import os

from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner

database = DatabaseProxy()

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


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
