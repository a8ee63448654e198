"""The console's Candidatures list pages through one total order (issue 11 §5): ties
broken by the candidature's id, in the sort's direction, and the pages past the
middle (read from the other end, views.admin.candidatures get_list) show the rows
the same order gives there. The search matches each searched field as before."""
import datetime
import importlib
import re

import pytest

from conftest import is_postgres
from ecandidat import clock, db
from ecandidat.models import Candidat, Candidature
from test_console import console_login, page_text
from test_console_query_counts import more_candidatures, offer  # noqa: F401 (fixture)

TRIGRAM = importlib.import_module("migrations.0014_search_trigram")
SEARCHED, index_name = TRIGRAM.SEARCHED, TRIGRAM.index_name

LIST = "/admin/candidature/"
ROWS = 130  # three pages of 50: the second and third are read from the end
ID = re.compile(r'details/\?id=(\d+)"')


def listed(client, query):
    ids = []
    for page in range(3):
        ids += [int(i) for i in ID.findall(page_text(client, f"{LIST}?{query}&page={page}"))]
    return ids


@pytest.fixture
def rows(app, offer):  # noqa: F811
    more_candidatures(offer, 0, ROWS)
    base = clock.now()
    candidatures = list(Candidature.select().order_by(Candidature.id))
    for n, candidature in enumerate(candidatures):
        # ties on the date and on the nom, a few never transmitted
        date = None if n % 17 == 0 else base - datetime.timedelta(hours=n % 7)
        Candidature.update(date_transmission=date).where(
            Candidature.id == candidature.id).execute()
        Candidat.update(nom_patronymique=f"NOM{n % 9}").where(
            Candidat.id == candidature.candidat_id).execute()
    return {c.id: c for c in Candidature.select(Candidature, Candidat).join(Candidat)}


def test_every_page_follows_one_total_order(client, rows):
    console_login(client)
    by_date = [c.id for c in sorted(rows.values(), key=lambda c: c.id, reverse=True)]
    # newest first, never transmitted ones where the database puts NULL in a descending order
    dated = sorted((c for c in rows.values() if c.date_transmission),
                   key=lambda c: (c.date_transmission, c.id), reverse=True)
    undated = [c for c in by_date if rows[c].date_transmission is None]
    shown = listed(client, "")
    assert sorted(shown) == sorted(rows) and len(shown) == ROWS
    assert [i for i in shown if rows[i].date_transmission] == [c.id for c in dated]
    assert [i for i in shown if rows[i].date_transmission is None] == undated
    by_nom = [c.id for c in sorted(rows.values(),
                                   key=lambda c: (c.candidat.nom_patronymique, c.id))]
    assert listed(client, "sort=1") == by_nom
    assert listed(client, "sort=1&desc=1") == by_nom[::-1]


def test_the_search_matches_the_nom_the_numero_and_the_formation(client, rows):
    console_login(client)
    with_nom = {i for i, c in rows.items() if c.candidat.nom_patronymique == "NOM4"}
    assert set(listed(client, "search=nom4")) == with_nom
    one = next(iter(rows.values()))
    numero = one.candidat.compte.numero_dossier
    assert listed(client, f"search={numero}") == [one.id]
    in_formation = {i for i, c in rows.items() if c.formation.code == "F11"}
    assert set(listed(client, "search=F11")) == in_formation
    both = in_formation & with_nom
    assert both and set(listed(client, "search=F11 nom4")) == both


def test_a_membre_searches_within_their_commission(client, rows):
    # a narrow scope: the search is matched on the scope's joined rows
    console_login(client, role="commission", scope="COM11")
    seen = {i for i, c in rows.items() if c.formation.code == "F11"}
    with_nom = {i for i, c in rows.items() if c.candidat.nom_patronymique == "NOM4"}
    assert set(listed(client, "")) == seen
    assert seen & with_nom and set(listed(client, "search=nom4")) == seen & with_nom
    numero = rows[min(seen)].candidat.compte.numero_dossier
    assert listed(client, f"search={numero}") == [min(seen)]
    outside = rows[min(set(rows) - seen)].candidat.compte.numero_dossier
    assert listed(client, f"search={outside}") == []


@pytest.mark.skipif(not is_postgres(), reason="trigram indexes: PostgreSQL only (pg_trgm)")
@pytest.mark.parametrize("table, column", SEARCHED)
def test_the_search_can_read_a_trigram_index_on_postgresql(app, table, column):
    """Migration 0014: `ILIKE '%word%'` on each searched column is answered from its
    pg_trgm index (seq scans forbidden: the planner must have an index to use)."""
    with db.database.atomic():
        db.database.execute_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in db.database.execute_sql(
            f'EXPLAIN SELECT id FROM "{table}" WHERE "{column}" ILIKE %s', ("%nom12%",)))
    assert index_name(table, column) in plan, plan


def test_the_trigram_indexes_cover_every_searched_column():
    from views.admin.candidatures import CandidatureView
    searched = {(field.model._meta.table_name, field.column_name)
                for field in CandidatureView.column_searchable_list}
    assert searched == set(SEARCHED)
