"""`db upgrade` builds the schema the models describe, and is idempotent."""
from playhouse.schema_diff import diff_models

from ecandidat import db
from ecandidat.codes import MAIL_CODES
from ecandidat.models import ALL_MODELS, MailTemplate


def test_upgrade_twice_changes_nothing(app, runner):
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    templates = MailTemplate.select().count()
    assert templates == len(MAIL_CODES)
    second = runner.invoke(args=["db", "upgrade"])
    assert second.exit_code == 0 and "rien à faire" in second.output
    assert db.upgrade() == [] and MailTemplate.select().count() == templates


def test_schema_matches_the_models(app):
    with db.database.connection_context():
        assert not diff_models(db.database.obj, list(ALL_MODELS))


def test_upgrade_creates_the_schema_on_an_empty_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite3")
    fresh = db.make_database(url)
    try:
        with fresh.connection_context():
            runner = db.Runner(fresh, db.MIGRATIONS_DIR)
            assert runner.up() == [m.name for m in runner.migrations()]
            assert runner.up() == []
            assert "candidature" in fresh.get_tables()
            assert not diff_models(fresh, list(ALL_MODELS))
    finally:
        fresh.close()
