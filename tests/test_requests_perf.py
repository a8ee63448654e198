"""What every request costs (issue 11, point 2): a static file opens no database
connection and is served under a URL naming its content, cached for a year; on
PostgreSQL the connections come from a pool, reused from one request to the next and
one per thread; Mon compte and the Candidatures list run the same number of queries
for one candidature as for twenty."""
import hashlib
import re
import shutil
import threading

import peewee
import psycopg
import pytest
from playhouse.pool import PooledPostgresqlDatabase

from app import create_app
from conftest import TEST_DATABASE_URL, is_postgres, sign_in
from ecandidat import clock, db, workflow
from ecandidat.models import Avis, Candidat, Candidature, CompteCandidat, Formation
from factories import complete_candidat, open_formation, pieces, question
from test_catalog import counting_queries
from test_console import console_login
from views.assets import LONG_CACHE, SHORT_CACHE

FINGERPRINTED = re.compile(r'(?:href|src)="(/[^"?]*static/[^"?]+)\?v=([0-9a-f]{12})"')


@pytest.fixture
def connects(app, monkeypatch):
    """Counts the database's connect() calls (an autoconnect at the first query, too),
    from a closed connection."""
    database = db.database.obj
    calls = []
    original = database.connect

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(database, "connect", counting)
    if not database.is_closed():
        database.close()
    return calls


@pytest.fixture
def driver_connects(app, monkeypatch):
    """Counts the connections really opened (a pool's checkout of an idle connection
    does not get this far)."""
    calls = []
    driver = peewee.PostgresqlDatabase if is_postgres() else peewee.SqliteDatabase
    original = driver._connect

    def counting(database):
        calls.append(1)
        return original(database)

    monkeypatch.setattr(driver, "_connect", counting)
    return calls


def fingerprinted_links(html):
    return dict(FINGERPRINTED.findall(html))


def content_hash(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


# --- No connection for static files ---------------------------------------------------------

@pytest.mark.parametrize("url", ["/static/css/ecandidat.css", "/static/favicon.svg",
                                 "/admin/static/vendor/jquery.min.js",
                                 "/static/css/ecandidat.css?v=0123456789ab"])
def test_a_static_file_opens_no_database_connection(candidate_client, connects, url):
    # Signed in: the session names an account, which nothing loads for a static file.
    response = candidate_client.get(url)
    assert response.status_code == 200
    assert connects == [] and db.database.is_closed()


def test_a_page_connects_once_and_gives_the_connection_back(candidate_client, connects):
    response = candidate_client.get("/mon-compte/")
    assert response.status_code == 200
    assert len(connects) == 1 and db.database.is_closed()


# --- Fingerprinted static URLs and their cache headers --------------------------------------

def test_pages_link_static_files_by_their_content_hash(app, client):
    html = client.get("/").get_data(as_text=True)
    links = fingerprinted_links(html)
    assert {"/static/css/ecandidat.css", "/static/vendor/pico/pico.min.css",
            "/static/favicon.svg"} <= set(links)
    for path, fingerprint in links.items():
        assert fingerprint == content_hash(app.static_folder + path[len("/static"):])
    assert "/static/" not in FINGERPRINTED.sub("", html)  # no static link without its hash


def test_the_console_links_its_and_flask_admins_files_by_their_content_hash(app, client):
    console_login(client)
    html = client.get("/admin/").get_data(as_text=True)
    links = fingerprinted_links(html)
    assert "/static/css/console.css" in links and "/static/js/console.js" in links
    admin_folder = app.blueprints["admin"].static_folder
    assert links["/admin/static/vendor/jquery.min.js"] == content_hash(
        admin_folder + "/vendor/jquery.min.js")
    for path, fingerprint in links.items():
        response = client.get(f"{path}?v={fingerprint}")
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == LONG_CACHE


def test_a_fingerprinted_url_is_cached_for_a_year_any_other_for_minutes(client):
    html = client.get("/").get_data(as_text=True)
    fingerprint = fingerprinted_links(html)["/static/css/ecandidat.css"]
    cached = client.get(f"/static/css/ecandidat.css?v={fingerprint}")
    assert cached.status_code == 200
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for url in ("/static/css/ecandidat.css", "/static/css/ecandidat.css?v=0123456789ab"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == SHORT_CACHE == "public, max-age=300"
    # A page is not a static file: no cache header of these.
    assert client.get("/").headers.get("Cache-Control") not in (LONG_CACHE, SHORT_CACHE)


def test_other_spellings_of_a_static_name_are_not_remembered(app, client):
    """"css/./ecandidat.css" answers the file too; each spelling remembered would let
    anyone grow the process's memory without end."""
    html = client.get("/").get_data(as_text=True)
    fingerprint = fingerprinted_links(html)["/static/css/ecandidat.css"]
    known = app.extensions["fingerprints"]._known
    before = len(known)
    for depth in range(1, 20):
        response = client.get("/static/css/" + "./" * depth + f"ecandidat.css?v={fingerprint}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == SHORT_CACHE
    assert len(known) == before


@pytest.fixture
def own_static(app, tmp_path):
    """The app serving a copy of static/ that the test may change."""
    folder = tmp_path / "static"
    shutil.copytree(app.static_folder, folder)
    app.static_folder = str(folder)
    return folder


def test_a_changed_file_gets_a_new_url_from_the_next_process(app, client, own_static,
                                                               database_url, tmp_path):
    before = fingerprinted_links(client.get("/").get_data(as_text=True))
    stylesheet = own_static / "css" / "ecandidat.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.nouveau { color: red; }\n")

    # Hashed once per process: this one keeps the URL it computed.
    assert fingerprinted_links(client.get("/").get_data(as_text=True)) == before
    restarted = create_app(dict(app.config, DATABASE_URL=database_url))
    restarted.static_folder = str(own_static)
    after = fingerprinted_links(restarted.test_client().get("/").get_data(as_text=True))
    assert after["/static/css/ecandidat.css"] != before["/static/css/ecandidat.css"]
    assert after["/static/css/ecandidat.css"] == content_hash(stylesheet)
    assert after["/static/favicon.svg"] == before["/static/favicon.svg"]  # unchanged file
    stale = restarted.test_client().get(
        "/static/css/ecandidat.css?v=" + before["/static/css/ecandidat.css"])
    assert stale.headers["Cache-Control"] == SHORT_CACHE


def test_in_debug_mode_an_edited_file_gets_a_new_url_at_once(app, client, own_static):
    app.debug = True
    before = fingerprinted_links(client.get("/").get_data(as_text=True))
    stylesheet = own_static / "css" / "ecandidat.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.nouveau { color: red; }\n")
    after = fingerprinted_links(client.get("/").get_data(as_text=True))
    assert after["/static/css/ecandidat.css"] == content_hash(stylesheet)
    assert after["/static/css/ecandidat.css"] != before["/static/css/ecandidat.css"]


# --- The connection pool (PostgreSQL and SQLite) ---------------------------------------------

def backend_pid():
    """Which connection this thread holds: the server process on PostgreSQL, the
    connection object itself on SQLite (pooled ones stay alive, so ids do not repeat)."""
    if is_postgres():
        return db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    return id(db.database.connection())


def test_requests_reuse_one_pooled_connection(candidate_client, driver_connects):
    pid = backend_pid()
    db.database.close()  # back to the pool
    for _ in range(5):
        assert candidate_client.get("/mon-compte/").status_code == 200
        assert db.database.is_closed()
    assert driver_connects == []
    assert backend_pid() == pid


def test_without_a_pool_each_request_connects(app, database_url, make_compte, driver_connects):
    compte, _ = make_compte()
    unpooled = create_app(dict(app.config, DATABASE_URL=database_url, DB_POOL_SIZE=0))
    client = unpooled.test_client()
    sign_in(client, compte)
    for _ in range(3):
        assert client.get("/mon-compte/").status_code == 200
    assert len(driver_connects) == 3


def test_each_thread_has_its_own_pooled_connection(app, driver_connects):
    db.database.close()
    idle = len(db.database.obj._connections)
    threads_count = idle + 3
    barrier = threading.Barrier(threads_count)
    pids = []

    def work():
        with app.app_context(), db.database.connection_context():
            barrier.wait(10)  # all of them hold a connection at once
            pids.append(backend_pid())

    for _round in range(2):
        threads = [threading.Thread(target=work) for _ in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(set(pids[-threads_count:])) == threads_count  # one connection each
    # The first round opened what the pool lacked; the second found them all idle.
    assert len(driver_connects) == threads_count - idle
    assert len(set(pids)) == threads_count


# --- Query counts of the candidate's pages ----------------------------------------------------

def apply_to(candidat, count, start=0):
    """`count` candidatures, varied: some with a published favourable avis (with a
    délai de confirmation), one confirmed, one cancelled (not listed)."""
    actor = workflow.Actor.candidat(candidat)
    for index in range(start, start + count):
        formation = open_formation(code=f"F{index:03d}",
                                   delai_confirmation=8 if index % 2 else None)
        pieces(formation)
        question(formation)
        candidature = workflow.candidater(actor, candidat, formation)
        if index % 3 == 1:
            Avis.create(candidature=candidature, type_avis="FA", valide=True,
                        valide_le=candidature.created_at)
        if index == 4:
            Candidature.update(confirmation="CONFIRME", date_confirmation=clock.now()).where(
                Candidature.id == candidature.id).execute()


@pytest.mark.parametrize("url", ["/mon-compte/", "/candidatures/"])
def test_the_candidates_pages_run_as_many_queries_for_1_as_for_20_candidatures(
        candidate_client, url):
    candidat = complete_candidat(candidate_client.compte)
    apply_to(candidat, 1)
    with counting_queries() as one:
        assert candidate_client.get(url).status_code == 200
    apply_to(candidat, 19, start=1)
    with counting_queries() as twenty:
        html = candidate_client.get(url).get_data(as_text=True)
    if url == "/candidatures/":
        assert html.count("/candidatures/") >= 20 and "À confirmer" in html
    assert twenty.count == one.count


@pytest.mark.parametrize("url, expected", [
    ("/mon-compte/", 2),       # the account with its Candidat; the file's completeness
    ("/candidatures/", 2),     # … the candidatures, each with its formation and published avis
])
def test_a_candidate_s_page_reads_the_account_and_its_candidat_in_one_query(
        candidate_client, url, expected):
    candidat = complete_candidat(candidate_client.compte)
    apply_to(candidat, 2)
    candidate_client.get(url)
    with counting_queries() as page:
        assert candidate_client.get(url).status_code == 200
    assert page.count == expected


def test_the_candidatures_list_shows_each_one_s_last_published_avis_only(candidate_client):
    """The one query of the list joins each candidature to its last validated avis: not
    a newer one still being written, not an older validated one, none for another."""
    candidat = complete_candidat(candidate_client.compte)
    apply_to(candidat, 3)
    first, second, third = Candidature.select().where(
        Candidature.candidat == candidat.id).order_by(Candidature.id)
    Avis.delete().execute()
    Avis.create(candidature=first, type_avis="LC", valide=True, valide_le=clock.now())
    Avis.create(candidature=first, type_avis="FA", valide=True, valide_le=clock.now())
    Avis.create(candidature=first, type_avis="DE", valide=False)
    Avis.create(candidature=second, type_avis="FA", valide=False)
    from ecandidat.workflow import candidatures_page
    rows, decisions = candidatures_page(candidat)
    assert {row.id for row in rows} == {first.id, second.id, third.id}
    assert {key: avis.type_avis for key, avis in decisions.items()} == {first.id: "FA"}
    html = candidate_client.get("/candidatures/").get_data(as_text=True)
    assert html.count("Favorable") == 1 and "Défavorable" not in html
    assert "Liste complémentaire" not in html


def test_an_account_signed_in_during_the_request_gets_its_own_candidat_once(app, make_compte):
    """login_user gives an account not read by load_user (no Candidat with it): its
    Candidat is read, or created once."""
    from flask_login import login_user
    from views.helpers import current_candidat
    compte, _ = make_compte()
    with app.test_request_context("/"):
        login_user(compte)
        first = current_candidat()
        assert current_candidat() is first
    with app.test_request_context("/"):
        login_user(CompteCandidat.get_by_id(compte.id))
        assert current_candidat().id == first.id
    assert Candidat.select().where(Candidat.compte == compte.id).count() == 1


# --- Prepared queries -------------------------------------------------------------------------

def test_a_prepared_select_builds_its_sql_once_and_binds_each_call(app, make_compte):
    first, _ = make_compte()
    second, _ = make_compte(email="dominique.durand@example.org")
    builds = []

    def build(token):
        builds.append(token)
        return CompteCandidat.select().where(CompteCandidat.session_token == token).limit(1)

    query = db.PreparedSelect(build)
    for _ in range(2):
        found = query.first(first.session_token)
        assert isinstance(found, CompteCandidat) and found.id == first.id
        assert found.email == first.email and not found.is_dirty()
        assert query.first(second.session_token).id == second.id
    assert query.first("no such token") is None
    assert query.first("' OR 1=1 --") is None  # a bound parameter, never SQL
    assert len(builds) == 1


def test_a_prepared_select_reads_rows_the_same_after_its_first_one(app, make_compte):
    """The row format peewee works out at a query's first row is kept: later calls
    (none found, one, joined models, dicts) give what peewee's own query gives."""
    first, _ = make_compte()
    second, _ = make_compte(email="dominique.durand@example.org")
    Candidat.create(compte=second, nom_patronymique="DURAND", prenom="Dominique")

    def joined(compte_id):
        return (CompteCandidat.select(CompteCandidat, Candidat)
                .join(Candidat, peewee.JOIN.LEFT_OUTER,
                      on=(Candidat.compte == CompteCandidat.id), attr="fichier")
                .where(CompteCandidat.id == compte_id))
    models, dicts = db.PreparedSelect(joined), db.PreparedSelect(lambda i: joined(i).dicts())
    assert models.first(0) is None and dicts.first(0) is None  # nothing read yet
    for _ in range(3):
        for compte in (first, second):
            found = models.first(compte.id)
            expected = joined(compte.id).get()
            assert found.__data__ == expected.__data__ and not found.is_dirty()
            assert (found.fichier and found.fichier.__data__) == \
                (expected.fichier and expected.fichier.__data__)
            assert dicts.first(compte.id) == joined(compte.id).dicts().get()
        assert models.first(0) is None


def test_the_prepared_candidate_pages_show_what_the_database_holds(candidate_client):
    """Mon compte and Candidatures read through prepared queries: a change made
    between two displays shows at the second (nothing of a row is kept)."""
    candidat = complete_candidat(candidate_client.compte)
    formation = open_formation()
    workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)
    assert formation.libelle in candidate_client.get("/candidatures/").get_data(as_text=True)
    Formation.update(libelle="Master renommé").where(Formation.id == formation.id).execute()
    assert "Master renommé" in candidate_client.get("/candidatures/").get_data(as_text=True)
    CompteCandidat.update(numero_dossier="ZZ99ZZ99").where(
        CompteCandidat.id == candidate_client.compte.id).execute()
    assert "ZZ99ZZ99" in candidate_client.get("/mon-compte/").get_data(as_text=True)



def test_mon_compte_s_sections_follow_the_file_s_state_and_the_reader_s_language(
        candidate_client, make_compte, client):
    """The sections are rendered once per state and language (views.templating
    rendered_once): a change of the file, or of language, shows at the next display."""
    candidat = complete_candidat(candidate_client.compte)
    page = candidate_client.get("/mon-compte/").get_data(as_text=True)
    assert "À compléter (obligatoire)" not in page and "vous pouvez candidater" in page
    Candidat.update(civilite=None).where(Candidat.id == candidat.id).execute()
    page = candidate_client.get("/mon-compte/").get_data(as_text=True)
    assert page.count("À compléter (obligatoire)") == 1 and "Complétez les rubriques" in page
    CompteCandidat.update(langue="en").where(
        CompteCandidat.id == candidate_client.compte.id).execute()
    page = candidate_client.get("/mon-compte/").get_data(as_text=True)
    assert page.count("To be completed (required)") == 1 and "Complète" not in page
    # another candidate in the state of the first one's before: the same sections
    other, _ = make_compte(email="dominique.durand@example.org")
    complete_candidat(other)
    sign_in(client, other)
    page = client.get("/mon-compte/").get_data(as_text=True)
    assert "À compléter" not in page and other.numero_dossier in page
    assert candidate_client.compte.numero_dossier not in page


def logout_form_token(page):
    form = re.search(r'<form method="post" action="/deconnexion".*?</form>', page, re.S)
    return re.search(r'name="csrf_token" value="([^"]+)"', form.group(0)).group(1)


def test_the_menu_rendered_once_holds_each_session_s_own_token_and_current_page(
        app, make_compte):
    """The menu is rendered once per audience and page (views.menu.main_menu_html):
    the logout form still carries the request's own CSRF token, which logs out."""
    app.config["WTF_CSRF_ENABLED"] = True
    first, second = app.test_client(), app.test_client()
    sign_in(first, make_compte()[0])
    sign_in(second, make_compte(email="dominique.durand@example.org")[0])
    pages = {client: client.get("/mon-compte/").get_data(as_text=True)
             for client in (first, second)}
    assert logout_form_token(pages[first]) != logout_form_token(pages[second])
    assert 'href="/mon-compte/" aria-current="page"' in pages[first]
    listing = first.get("/candidatures/").get_data(as_text=True)
    assert 'href="/candidatures/" aria-current="page"' in listing
    assert 'href="/mon-compte/" aria-current' not in listing
    assert second.post("/deconnexion", data={"csrf_token": "x"}).status_code == 400
    response = second.post("/deconnexion", data={"csrf_token": logout_form_token(pages[second])})
    assert response.status_code == 302
    assert "Déconnexion" not in second.get("/").get_data(as_text=True)
    assert "Déconnexion" in first.get("/").get_data(as_text=True)


postgres_only = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL pool (PostgresqlPool)")


@postgres_only
def test_a_connection_back_from_a_request_is_handed_out_again_without_a_round_trip(
        candidate_client, monkeypatch):
    checks = []
    original = PooledPostgresqlDatabase._is_closed  # peewee's check: a SELECT 1
    monkeypatch.setattr(PooledPostgresqlDatabase, "_is_closed",
                        lambda self, conn: checks.append(1) or original(self, conn))
    db.database.close()
    for _ in range(5):
        assert candidate_client.get("/mon-compte/").status_code == 200
    assert checks == []  # each request took the connection the previous one gave back


@postgres_only
def test_a_connection_idle_for_a_second_is_checked_and_a_dead_one_dropped(
        candidate_client, monkeypatch):
    monkeypatch.setattr(db, "CHECK_IDLE_SECONDS", 0.0)
    dead = backend_pid()
    db.database.close()
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (dead,))
    assert candidate_client.get("/mon-compte/").status_code == 200
    assert backend_pid() != dead
