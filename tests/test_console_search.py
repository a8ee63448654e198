"""The console's search through the trigram indexes (issue 11 §5; migrations 0014 and
0015; views/admin/candidatures.py): the same candidatures as the LIKE on the list's
joined rows, for every word — long ones looked up in the indexes, short ones and
wildcards matched on the rows —, within the user's scope only, and answered from the
indexes (the count as the page) rather than by reading every candidature."""
import importlib
import json
import logging
import operator
import re
from functools import reduce
from urllib.parse import urlencode

import pytest

from conftest import is_postgres, schema_diff, sqlite_migrated_to
from ecandidat import db, permissions
from ecandidat.models import Candidat, Candidature, CompteCandidat, Formation, User
from test_console import console_login, page_text
from test_console_query_counts import more_candidatures, offer  # noqa: F401 (fixture)
from views.admin import candidatures as view_module
from views.admin.candidatures import CandidatureView

MIGRATION = importlib.import_module("migrations.0015_search_sqlite_trigram")
LIST = "/admin/candidature/"
ROW = re.compile(r'details/\?id=(\d+)"')
# (nom patronymique, nom usuel) of the first candidatures; the others are NOM{n}.
NAMES = [("DUPONT", None), ("Dupont-Martin", "MARTIN"), ("LEFÈVRE", None),
         ("Lefèvre", "ÉLODIE"), ("éloïse", None), ("AB_CD", None), ("AB%CD", None),
         ("ABXCD", None), ("LI", None), ("LIN", "Li"), ("O'NEIL", None), ("Ab\\Cd", None),
         ("ÉCOLE", "école")]
ROWS = 60
# Words of every kind: names (nom patronymique and nom usuel, accents, case), numéros
# de dossier, formation code and libellé, short words, LIKE wildcards, Flask-Admin's
# ^ and =, several words at once.
TERMS = ["dupont", "DUPONT", "pont-mar", "martin", "lefèvre", "LEFÈVRE", "lefe", "ÈVR",
         "élodie", "ÉLODIE", "éloïse", "ÉLOÏSE", "école", "ÉCOLE", "cole", "AB_CD", "ab%cd",
         "B%CD", "A_X", "ab\\cd", "o'neil", "LI", "Li", "L", "%", "_", "__", "%%%",
         "B0000012", "0000012", "b00", "F11", "f1", "Formation 11", "ormation", "nom4",
         "NOM1", "^dup", "^NOM1", "=LIN", "=li", "dupont F00", "nom F1", "zzz", "1 2"]


@pytest.fixture
def rows(app, offer):  # noqa: F811
    more_candidatures(offer, 0, ROWS)
    candidats = list(Candidat.select().order_by(Candidat.id))
    for candidat, (nom, usuel) in zip(candidats, NAMES):
        Candidat.update(nom_patronymique=nom, nom_usuel=usuel).where(
            Candidat.id == candidat.id).execute()
    Formation.update(libelle="Génie Électrique 11").where(Formation.code == "F11").execute()
    return {c.id: c for c in Candidature.select(Candidature, Candidat, Formation)
            .join(Candidat).switch(Candidature).join(Formation)}


def listed(client, search):
    """Every candidature the list shows for this search (all its pages)."""
    ids, page = [], 0
    while True:
        found = [int(i) for i in ROW.findall(page_text(
            client, f"{LIST}?{urlencode(dict(search=search, page=page))}"))]
        ids += found
        if len(found) < CandidatureView.page_size:
            return ids
        page += 1


def like_on_joined_rows(user, search):
    """What the search is to give: each word LIKE (ILIKE on PostgreSQL) one of the
    searched fields of the candidature's joined rows, in the user's scope."""
    query = permissions.visible_candidatures(permissions.scope_of(user),
                                             CandidatureView._joined_query())
    for term in view_module.search_terms(search):
        query = query.where(reduce(operator.or_, (
            field ** term for field in CandidatureView.column_searchable_list)))
    return {row.id for row in query}


ROLES = {"admin": dict(role="admin"),
         # three commissions of six: the search reads each searched table
         "gestionnaire": dict(role="gestionnaire", scope="C1"),
         # one commission: a narrow scope, matched on its joined rows for short words
         "membre": dict(role="commission", scope="COM11"),
         "gestionnaire limité": dict(role="gestionnaire", scope="C0", commissions=["COM01"])}


def sign_in(client, who):
    spec = dict(ROLES[who])
    commissions = spec.pop("commissions", None)
    if commissions:
        from ecandidat.users import create_user
        from test_console import STRONG
        email = "limite@example.org"
        create_user(email, spec["role"], scope=spec["scope"], password=STRONG,
                    commissions=commissions)
        response = client.post("/admin/login", data={"email": email, "password": STRONG})
        assert response.status_code == 302
        return User.get(User.email == email)
    return console_login(client, **spec)


def test_the_indexes_are_there(app):
    """The database the suite runs on has the search's trigram indexes: the tests below
    go through them (and not only through the fallback)."""
    with db.database.connection_context():
        assert view_module.trigram_indexed(db.database.obj) == (
            "pg_trgm" if is_postgres() else "fts5")


@pytest.mark.parametrize("who", ROLES)
def test_the_search_gives_what_like_gives_on_the_rows(client, rows, who):
    user = sign_in(client, who)
    scope = permissions.scope_of(user)
    seen = set(listed(client, ""))
    assert seen and (who == "admin") == (seen == set(rows))
    for search in TERMS:
        expected = like_on_joined_rows(user, search)
        shown = listed(client, search)
        assert len(shown) == len(set(shown)), search
        assert set(shown) == expected, search
        # the scope, whatever the word: nothing outside it
        assert set(shown) <= seen, search
        assert all(permissions.sees(scope, rows[i]) for i in shown), search
    # the words that find something do find it (the comparison above is not empty)
    assert like_on_joined_rows(user, "NOM") and (who != "admin" or all(
        like_on_joined_rows(user, word) for word in ("dupont", "B0000012", "F11", "%")))


def test_many_formations_matched_are_given_as_a_sub_select(client, rows, monkeypatch):
    """Past MAX_LISTED_IDS formations found by a word, the query reads them through a
    sub-select (a SQLite before 3.32 takes at most 999 parameters): the same rows."""
    user = sign_in(client, "admin")
    for search in ("Formation", "F1", "ormation 1", "dupont F0"):
        expected = like_on_joined_rows(user, search)
        assert set(listed(client, search)) == expected
        monkeypatch.setattr(view_module, "MAX_LISTED_IDS", 1)
        assert set(listed(client, search)) == expected
        monkeypatch.undo()
    assert like_on_joined_rows(user, "Formation")


def test_case_wildcards_and_accents_are_those_of_the_like(client, rows):
    console_login(client)
    by_nom = {c.candidat.nom_patronymique: i for i, c in rows.items()}
    assert set(listed(client, "dupont")) == {by_nom["DUPONT"], by_nom["Dupont-Martin"]}
    # "_" and "%" are LIKE's wildcards, as they always were in the console's search
    wild = {by_nom[n] for n in ("AB_CD", "AB%CD", "ABXCD", "Ab\\Cd")}
    assert set(listed(client, "ab_cd")) == set(listed(client, "ab%cd")) == wild
    if not is_postgres():
        # SQLite's LIKE folds the case of ASCII letters only: "È" is not "è" (the
        # full-text index would fold them; SQLite's LIKE checks each row again)
        assert set(listed(client, "LEFÈVRE")) == {by_nom["LEFÈVRE"]}
        assert set(listed(client, "lefèvre")) == {by_nom["Lefèvre"]}
        assert set(listed(client, "éloïse")) == {by_nom["éloïse"]}
        assert listed(client, "ÉLOÏSE") == []


def test_a_name_out_of_the_scope_is_not_found(client, rows):
    """A membre of COM11 searching a name, a numéro de dossier or a formation of
    another commission gets nothing (long words through the indexes, short ones on
    the rows)."""
    console_login(client, role="commission", scope="COM11")
    inside = {i for i, c in rows.items() if c.formation.code == "F11"}
    outside = next(c for c in rows.values() if c.formation.code != "F11")
    for word in (outside.candidat.nom_patronymique, outside.candidat.compte.numero_dossier,
                 outside.formation.code, outside.formation.libelle.split()[-1]):
        assert set(listed(client, word)) <= inside, word
    numero = outside.candidat.compte.numero_dossier
    assert listed(client, numero) == []
    assert listed(client, f"={outside.formation.code}") == []


def test_the_search_follows_the_rows_it_searches(client, rows):
    """The indexes follow every change: a new name, a changed one, a nom usuel
    removed, a changed numéro de dossier, a deleted candidat."""
    console_login(client)
    first, second, third = (rows[i] for i in sorted(rows)[:3])
    Candidat.update(nom_patronymique="KOWALSKA").where(
        Candidat.id == first.candidat_id).execute()
    assert listed(client, "kowalsk") == [first.id]
    assert first.id not in listed(client, "dupont")
    Candidat.update(nom_usuel="ZORGLUB").where(Candidat.id == second.candidat_id).execute()
    assert listed(client, "zorglub") == [second.id]
    Candidat.update(nom_usuel=None).where(Candidat.id == second.candidat_id).execute()
    assert listed(client, "zorglub") == []
    numero = CompteCandidat.get_by_id(third.candidat.compte_id).numero_dossier
    assert listed(client, numero) == [third.id]
    CompteCandidat.update(numero_dossier="Z9999999").where(
        CompteCandidat.id == third.candidat.compte_id).execute()
    assert listed(client, "Z999999") == [third.id]
    assert listed(client, numero) == []
    Candidat.delete().where(Candidat.id == first.candidat_id).execute()
    assert listed(client, "kowalsk") == []


@pytest.mark.skipif(is_postgres(), reason="FTS5: SQLite only")
def test_the_sqlite_full_text_tables_hold_what_their_tables_hold(app, rows):
    Candidat.update(nom_usuel="Nouveau").where(Candidat.id == rows[min(rows)].candidat_id).execute()
    CompteCandidat.delete().where(
        CompteCandidat.id == rows[max(rows)].candidat.compte_id).execute()  # cascades
    for table, (search, columns) in MIGRATION.INDEXED.items():
        names = ", ".join(columns)
        assert (db.database.execute_sql(f"SELECT rowid, {names} FROM {search} ORDER BY rowid")
                .fetchall() == db.database.execute_sql(
                    f"SELECT id, {names} FROM {table} ORDER BY id").fetchall()), table


def test_the_full_text_tables_are_the_views(app):
    assert {model._meta.table_name: name for model, name in view_module.FTS_TABLES.items()} == {
        table: search for table, (search, _columns) in MIGRATION.INDEXED.items()}
    searched = {(field.model._meta.table_name, field.column_name)
                for field in CandidatureView.column_searchable_list}
    indexed = {(table, column) for table, (_search, columns) in MIGRATION.INDEXED.items()
               for column in columns}
    # the formations (a few hundred rows) are read whole
    assert searched - indexed == {("formation", "libelle"), ("formation", "code")}


def test_which_words_the_indexes_find():
    searchable = view_module.trigram_searchable
    assert all(searchable(view_module.search_terms(w)[0])
               for w in ("abc", "NOM120-BANC", "B0000120", "ab%cde", "^dup", "=LIN", "é_abc"))
    assert not any(searchable(view_module.search_terms(w)[0])
                   for w in ("ab", "L", "%", "_", "a_b_c", "ab%cd", "=li", "^du"))


# --- the plans: the count and the page read the indexes, not every candidature ------------

def list_queries(client, caplog, search):
    """The count and the page queries of the list for `search`, as run."""
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        caplog.clear()
        page_text(client, f"{LIST}?search={search}")
    found = [record.msg for record in caplog.records
             if isinstance(record.msg, tuple) and 'FROM "candidature"' in record.msg[0]
             and ("COUNT(" in record.msg[0] or "LIMIT" in record.msg[0])]
    assert len(found) == 2, found
    return found


BIG_TABLES = {"candidature", "candidat", "compte_candidat"}


def sqlite_full_scans(sql, params):
    """The big tables SQLite reads whole for this query (SCAN, not SEARCH)."""
    aliases = dict((alias, table) for table, alias in re.findall(r'"(\w+)" AS "(t\d+)"', sql))
    scans = set()
    for row in db.database.execute_sql("EXPLAIN QUERY PLAN " + sql, params):
        detail = row[3]
        match = re.match(r"SCAN (\w+)", detail)
        if match and "VIRTUAL TABLE" not in detail:
            scans.add(aliases.get(match.group(1), match.group(1)))
    return scans & BIG_TABLES


def postgresql_full_scans(sql, params):
    """The big tables PostgreSQL reads whole (a Seq Scan, or an index walked without
    a condition) for this query, sequential scans forbidden: the plan it has to
    find when the query can be answered from the indexes."""
    with db.database.atomic():
        db.database.execute_sql("SET LOCAL enable_seqscan = off")
        plan = db.database.execute_sql("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans, nodes = set(), [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        table = node.get("Relation Name")
        if table in BIG_TABLES and (node["Node Type"] == "Seq Scan" or (
                node["Node Type"] in ("Index Scan", "Index Only Scan")
                and "Index Cond" not in node)):
            scans.add(table)
    return scans


def plan_text(sql, params):
    with db.database.atomic():
        if is_postgres():
            db.database.execute_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in db.database.execute_sql("EXPLAIN " + sql, params))
        return "\n".join(row[3] for row in db.database.execute_sql(
            "EXPLAIN QUERY PLAN " + sql, params))


@pytest.fixture
def many(app, offer):  # noqa: F811
    """2,000 candidatures, and PostgreSQL's statistics of them (its planner weighs
    an index against a scan by the rows it expects)."""
    more_candidatures(offer, 0, 2000)
    if is_postgres():
        db.database.execute_sql("ANALYZE candidature, candidat, compte_candidat")


@pytest.mark.parametrize("who", ["admin", "gestionnaire", "membre"])
def test_the_count_and_the_page_read_the_indexes(client, many, caplog, who):
    sign_in(client, who)
    full_scans = postgresql_full_scans if is_postgres() else sqlite_full_scans
    # several words: PostgreSQL at 2,000 rows rather walks a whole index than probe
    # it twenty times (at 100,000 it probes: tools/bench_console); SQLite has no
    # statistics, its plans are those it makes at any volume
    searches = ["NOM1234", "B0001234", "NOM199"] + ([] if is_postgres() else ["nom123 B000123"])
    for search in searches:
        for sql, params in list_queries(client, caplog, search):
            assert not full_scans(sql, params), (search, sql, plan_text(sql, params))
            if not is_postgres():
                assert "_recherche" in sql, sql
    # a short word cannot use the trigrams: matched on the rows, as before
    for sql, _params in list_queries(client, caplog, "Li"):
        assert "_recherche" not in sql


@pytest.mark.skipif(not is_postgres(), reason="pg_trgm: PostgreSQL only")
def test_the_trigram_indexes_have_no_pending_list(app):
    """Migration 0015: every new trigram goes into the index at once (fastupdate off),
    rather than into a list each search reads whole until a vacuum."""
    options = dict(db.database.execute_sql(
        "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s)",
        (list(MIGRATION.POSTGRESQL_INDEXES),)).fetchall())
    assert options == {name: ["fastupdate=off"] for name in MIGRATION.POSTGRESQL_INDEXES}


@pytest.mark.skipif(is_postgres(), reason="FTS5: SQLite only")
def test_0015_fills_the_full_text_tables_from_the_rows_there_are(tmp_path):
    """On a database with candidates, 0015 indexes them; down then up again leaves
    the same tables; the schema stays the models' (the full-text tables and their
    triggers are not models)."""
    with sqlite_migrated_to(tmp_path / "old.sqlite3", "0014") as (fresh, runner):
        fresh.execute_sql("INSERT INTO compte_candidat (numero_dossier, nom, prenom, email, "
                          "valide, must_change_password, session_token, langue, "
                          "created_at) VALUES ('A0000001', 'X', 'Y', 'a@example.org', 1, 0, "
                          "'jeton', 'fr', '2026-01-01 00:00:00')")
        fresh.execute_sql("INSERT INTO candidat (compte_id, nom_patronymique, nom_usuel, "
                          "prenom, langue, updated_at) VALUES (1, 'Ségolène', 'Royer', 'Z', "
                          "'fr', '2026-01-01 00:00:00')")
        assert runner.up() == [m.name for m in runner.migrations()
                               if m.name.startswith("0015")]
        expected = [(1, "Ségolène", "Royer")]
        query = "SELECT rowid, * FROM candidat_recherche WHERE nom_patronymique LIKE ?"
        assert fresh.execute_sql(query, ("%SÉG%",)).fetchall() == []  # LIKE: é ≠ É
        assert fresh.execute_sql(query, ("%SéG%",)).fetchall() == expected
        assert fresh.execute_sql(query, ("%gol%",)).fetchall() == expected
        assert fresh.execute_sql("SELECT rowid FROM compte_candidat_recherche WHERE "
                                 "numero_dossier LIKE '%0000001%'").fetchall() == [(1,)]
        assert not schema_diff(fresh)
        assert runner.down() == [m.name for m in runner.migrations()
                                 if m.name.startswith("0015")]
        assert "candidat_recherche" not in fresh.get_tables()
        runner.up()
        assert fresh.execute_sql(query, ("%gol%",)).fetchall() == expected
        fresh.execute_sql("UPDATE candidat SET nom_patronymique = 'Martin'")
        assert fresh.execute_sql(query, ("%gol%",)).fetchall() == []
