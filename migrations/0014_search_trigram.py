"""The console's search at 100,000 candidatures (issue 11 §5), on PostgreSQL: trigram
indexes (pg_trgm) on the searched columns, so that `ILIKE '%word%'` (the console's
search, views/admin/candidatures.py) reads an index instead of every row.

SQLite has no such index: its search stays a scan of the searched tables, once each
(views/admin/candidatures.py _search_condition)."""
import logging

from peewee import *

SEARCHED = (("compte_candidat", "numero_dossier"),
            ("candidat", "nom_patronymique"),
            ("candidat", "nom_usuel"),
            ("formation", "libelle"),
            ("formation", "code"))


def index_name(table, column):
    return f"{table}_{column}_trgm"


def is_postgresql(db):
    return isinstance(db, PostgresqlDatabase)


def up(migrator, db):
    if not is_postgresql(db):
        return
    # Trusted since PostgreSQL 13: a role with CREATE on the database may create it. A
    # role without (a database its DBA created) gets the search without the indexes:
    # slower at 100,000 candidatures, but the upgrade goes on.
    try:
        with db.atomic():
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except (ProgrammingError, OperationalError, InternalError) as error:
        logging.getLogger(__name__).warning(
            "pg_trgm indisponible (%s) : recherche de la console sans index trigramme. "
            "Un administrateur PostgreSQL peut lancer « CREATE EXTENSION pg_trgm » puis "
            "« flask --app app db upgrade ».", error)
        return
    for table, column in SEARCHED:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" '
                       f'ON "{table}" USING gin ("{column}" gin_trgm_ops)')


def down(migrator, db):
    if not is_postgresql(db):
        return
    for table, column in SEARCHED:
        db.execute_sql(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')
