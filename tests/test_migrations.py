"""`db upgrade` builds the schema the models describe, and is idempotent."""
from conftest import schema_diff, sqlite_migrated_to

from ecandidat import db
from ecandidat.codes import MAIL_CODES
from ecandidat.models import MailTemplate


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
        assert not schema_diff(db.database.obj)


def test_upgrade_creates_the_schema_on_an_empty_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite3")
    fresh = db.make_database(url)
    try:
        with fresh.connection_context():
            runner = db.Runner(fresh, db.MIGRATIONS_DIR)
            assert runner.up() == [m.name for m in runner.migrations()]
            assert runner.up() == []
            assert "candidature" in fresh.get_tables()
            assert not schema_diff(fresh)
    finally:
        fresh.close()


def test_0003_turns_free_text_tags_into_rows_and_links_candidatures_to_their_campaign(tmp_path):
    with sqlite_migrated_to(tmp_path / "old.sqlite3", "0002") as (fresh, runner):
        fresh.execute_sql("PRAGMA foreign_keys = OFF")
        fresh.execute_sql(
            "INSERT INTO campagne (code, libelle, date_debut, date_fin, en_service) VALUES "
            "('C2025', '2025', '2024-10-01', '2025-09-30', 1), "
            "('C2026', '2026', '2025-10-01', '2026-09-30', 1)")
        for formation, created, tags in ((1, "2025-03-02 10:00:00", "Boursier, Sportif"),
                                         (2, "2025-12-24 23:30:00", "Sportif,,"),
                                         (3, "2027-01-01 00:00:00", None)):
            fresh.execute_sql(
                "INSERT INTO candidature (candidat_id, formation_id, statut, type_traitement,"
                " type_traitement_valide, created_at, relance_envoyee, tags) "
                "VALUES (1, ?, 'AT', 'AC', 1, ?, 0, ?)", (formation, created, tags))
        runner.up()
        rows = fresh.execute_sql(
            "SELECT c.id, c.campagne_id, t.libelle FROM candidature c "
            "LEFT JOIN candidature_tag ct ON ct.candidature_id = c.id "
            "LEFT JOIN tag t ON t.id = ct.tag_id ORDER BY c.id, t.libelle").fetchall()
        assert rows == [(1, 1, "Boursier"), (1, 1, "Sportif"), (2, 2, "Sportif"),
                        (3, None, None)]
        assert fresh.execute_sql("SELECT COUNT(*) FROM tag").fetchone() == (2,)
        assert not schema_diff(fresh)
