"""Fixtures: a fresh app per test over a migrated database (SQLite by default,
PostgreSQL when TEST_DATABASE_URL is set), emptied after each test."""
import os

import pytest

from app import create_app
from ecandidat import db
from ecandidat.models import ALL_MODELS

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


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
    })
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
