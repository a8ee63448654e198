"""The console's search at 100,000 candidatures (issue 11 §5), as fast as at 1,000.

SQLite: a full-text table with the trigram tokenizer (FTS5, SQLite ≥ 3.34) per
searched table of candidates — `candidat_recherche` (nom_patronymique, nom_usuel) and
`compte_candidat_recherche` (numero_dossier) — whose rowid is the row's id, kept in
step by triggers on every insert, delete and change of those columns. The console
asks them `nom_patronymique LIKE '%word%'`: FTS5 answers from its index, and SQLite
checks the LIKE again on each row found, so the rows are the ones LIKE gives on the
table itself (views/admin/candidatures.py). The tables keep their own copy of the
text (not "external content"): a row missing or stale there never corrupts the
index. The formations are not indexed: a few hundred rows, read whole.

A SQLite without FTS5 or its trigram tokenizer gets the search without these tables
(a warning): the console reads the tables themselves, as before.

A later migration that rebuilds `candidat` or `compte_candidat` on SQLite (peewee's
migrator copies a table to change a column) loses the triggers with the old table:
it must call `install(db)` again.

PostgreSQL: the trigram indexes of 0014 without their pending list
(`fastupdate = off`). With it, each new or changed row waits in an unsorted list of
up to 4 MB that every search reads whole until a vacuum merges it (measured: 28 ms
of a 35 ms search at 100,000 candidates right after they were created); without
it, a write puts its trigrams in the index at once (a little more per write, once)."""
import logging

from peewee import *

# table → (full-text table, its columns)
INDEXED = {"candidat": ("candidat_recherche", ("nom_patronymique", "nom_usuel")),
           "compte_candidat": ("compte_candidat_recherche", ("numero_dossier",))}
TRIGGERS = ("insert", "delete", "update")
# 0014's indexes (the formation ones too: same setting everywhere).
POSTGRESQL_INDEXES = ("compte_candidat_numero_dossier_trgm", "candidat_nom_patronymique_trgm",
                      "candidat_nom_usuel_trgm", "formation_libelle_trgm", "formation_code_trgm")


def trigger_name(table, event):
    return f"{INDEXED[table][0]}_{event}"


def is_postgresql(db):
    return isinstance(db, PostgresqlDatabase)


def install(db):
    """The full-text tables (filled from the rows there are) and their triggers, on
    SQLite; again from scratch when they are there."""
    for table, (search, columns) in INDEXED.items():
        names = ", ".join(f'"{c}"' for c in columns)
        new = ", ".join(f'new."{c}"' for c in columns)
        uninstall_table(db, table)
        db.execute_sql(f'CREATE VIRTUAL TABLE "{search}" USING fts5({names}, '
                       f"tokenize = 'trigram')")
        db.execute_sql(f'INSERT INTO "{search}" (rowid, {names}) '
                       f'SELECT "id", {names} FROM "{table}"')
        # OR REPLACE: a row already there (an INSERT OR REPLACE on the table, whose
        # deletion fires no trigger) is replaced rather than refused.
        insert = f'INSERT OR REPLACE INTO "{search}" (rowid, {names}) VALUES (new."id", {new});'
        delete = f'DELETE FROM "{search}" WHERE rowid = old."id";'
        db.execute_sql(f'CREATE TRIGGER "{trigger_name(table, "insert")}" AFTER INSERT ON '
                       f'"{table}" BEGIN {insert} END')
        db.execute_sql(f'CREATE TRIGGER "{trigger_name(table, "delete")}" AFTER DELETE ON '
                       f'"{table}" BEGIN {delete} END')
        db.execute_sql(f'CREATE TRIGGER "{trigger_name(table, "update")}" AFTER UPDATE OF '
                       f'"id", {names} ON "{table}" BEGIN {delete} {insert} END')


def uninstall_table(db, table):
    for event in TRIGGERS:
        db.execute_sql(f'DROP TRIGGER IF EXISTS "{trigger_name(table, event)}"')
    db.execute_sql(f'DROP TABLE IF EXISTS "{INDEXED[table][0]}"')


def sqlite_trigram_available(db):
    try:
        db.execute_sql("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize = 'trigram')")
    except OperationalError as error:  # no fts5 module, or no trigram tokenizer (< 3.34)
        logging.getLogger(__name__).warning(
            "FTS5 trigram indisponible (%s) : recherche de la console sans index "
            "(SQLite ≥ 3.34 avec FTS5 requis).", error)
        return False
    db.execute_sql("DROP TABLE temp.trigram_probe")
    return True


def postgresql_indexes(db):
    return [row[0] for row in db.execute_sql(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname = ANY(%s)", (list(POSTGRESQL_INDEXES),))]


def up(migrator, db):
    if is_postgresql(db):
        # None when pg_trgm was not available to 0014.
        for index in postgresql_indexes(db):
            db.execute_sql(f'ALTER INDEX "{index}" SET (fastupdate = off)')
            db.execute_sql("SELECT gin_clean_pending_list(%s::regclass)", (index,))
        return
    if sqlite_trigram_available(db):
        install(db)


def down(migrator, db):
    if is_postgresql(db):
        for index in postgresql_indexes(db):
            db.execute_sql(f'ALTER INDEX "{index}" RESET (fastupdate)')
        return
    for table in INDEXED:
        uninstall_table(db, table)
