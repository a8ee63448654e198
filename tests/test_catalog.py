"""Offre de formation (public): the Centre → type de diplôme → formation tree, the
search, the formation page and its "Candidater" action, and bounded SQL queries; the
offer cached under its stamp (any write to the offer's tables shows at the next
request, in every process, Redis or memory) and its ETag/Last-Modified with 304."""
import contextlib
import datetime
import gzip
import logging
import re
import unicodedata
import uuid

import pytest
import time_machine
import tinyhtml5
from flask import url_for
from playhouse.schema_diff import diff_models

from app import create_app
from conftest import IsolatedClient, is_postgres, reachable_redis, sign_in
from ecandidat import cache as offer_cache, clock, db, offer
from ecandidat.demo import create_demo
from ecandidat.models import (Campagne, Candidat, Candidature, Centre, Commission, Formation,
                              PieceJustificative, TypeDiplome)
from ecandidat.models.catalog import OfferStamp
from views import microcache

OFFRE = "/offre-de-formation/"
APPLY_ENDPOINT = "candidatures.candidater"
TODAY = clock.today()
DAY = datetime.timedelta(days=1)


# --- Helpers ------------------------------------------------------------------------------

def get_page(client, url):
    """GET `url` (expecting 200) and return its parsed document."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return tinyhtml5.parse(response.get_data(as_text=True), namespace_html_elements=False)


def text(element):
    """The element's text with whitespace collapsed."""
    return " ".join(" ".join(element.itertext()).split())


def by_class(root, tag, css_class):
    return [element for element in root.iter(tag)
            if css_class in (element.get("class") or "").split()]


def main_text(document):
    return text(document.find(".//main"))


def offer_tree(document):
    """{centre libellé: [(type libellé, [formation titles])]} in page order, plus the
    centre <details> elements."""
    tree, centres = {}, by_class(document, "details", "catalog-centre")
    for centre in centres:
        label = text(centre.find("summary"))
        label = re.sub(r"\s*\(\d+ formations?\)$", "", label)
        tree[label] = [(text(kind.find("summary")),
                        [text(link) for link in by_class(kind, "a", "formation-link")])
                       for kind in by_class(centre, "details", "catalog-type")]
    return tree, centres


def row_of(document, title):
    """The <tr> of the formation whose title is `title`."""
    for row in by_class(document, "tr", "formation-row"):
        if text(by_class(row, "a", "formation-link")[0]) == title:
            return row
    raise AssertionError(f"no row for {title!r}")


def row_cells(row):
    return [text(cell) for cell in row if cell.tag in ("th", "td")]


def titles(document):
    return [text(link) for link in by_class(document, "a", "formation-link")]


def apply_forms(document):
    """The POST forms of the page's content that act on /candidatures/…."""
    return [form for form in document.find(".//main").iter("form")
            if form.get("method") == "post" and "/candidatures/" in (form.get("action") or "")]


def ddmmyyyy(day):
    return day.strftime("%d/%m/%Y")


def formation(code):
    return Formation.get(Formation.code == code)


def set_dates(code, debut, fin):
    """Move a formation's application period, keeping the later dates in order."""
    item = formation(code)
    item.date_debut_depot, item.date_fin_depot = debut, fin
    item.date_preanalyse = item.date_jury = None
    item.date_publication = item.date_confirmation = None
    item.date_retour = fin + 10 * DAY
    item.save()
    return item


def page_url(code):
    return f"{OFFRE}{formation(code).id}"


@pytest.fixture
def demo(app):
    """The guide's offer (every formation open today)."""
    return create_demo(TODAY)


@contextlib.contextmanager
def counting_queries():
    """Count the SQL statements peewee runs inside the block (its DEBUG log has one
    record per statement; the connection pool logs under `peewee.pool`, not counted)."""
    class Counter(logging.Handler):
        count = 0

        def emit(self, record):
            if record.name == "peewee":
                Counter.count += 1

    logger, handler = logging.getLogger("peewee"), Counter()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # keep the statements out of the test output
    logger.addHandler(handler)
    try:
        yield Counter
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def add_formations(count):
    """`count` more formations across two new centres and types, some closed."""
    types = [TypeDiplome.create(code=f"T{i}", libelle=f"Type {i}", ordre=10 + i)
             for i in range(2)]
    commissions = [Commission.create(code=f"COM-X{i}", libelle=f"Commission X{i}",
                                     centre=Centre.create(code=f"CX{i}",
                                                          libelle=f"Centre extra {i}"))
                   for i in range(2)]
    for number in range(count):
        open_now = number % 3 != 0
        debut = TODAY - 5 * DAY if open_now else TODAY - 60 * DAY
        fin = TODAY + 5 * DAY if open_now else TODAY - 30 * DAY
        Formation.create(code=f"EXTRA{number}", libelle=f"Formation extra {number}",
                         type_diplome=types[number % 2], commission=commissions[number % 2],
                         mots_cles="extra", demat=number % 2 == 0, date_debut_depot=debut,
                         date_fin_depot=fin, date_retour=fin + 10 * DAY)


def add_many_formations(count):
    """`count` more formations in one insert, across 4 new centres, a third closed."""
    types = [TypeDiplome.create(code=f"TB{i}", libelle=f"Type bulk {i}", ordre=20 + i)
             for i in range(3)]
    commissions = [Commission.create(code=f"COM-B{i}", libelle=f"Commission B{i}",
                                     centre=Centre.create(code=f"CB{i}",
                                                          libelle=f"Centre bulk {i}"))
                   for i in range(4)]
    rows = []
    for number in range(count):
        open_now = number % 3 != 0
        debut = TODAY - (5 if open_now else 60) * DAY
        fin = TODAY + (5 if open_now else -30) * DAY
        rows.append(dict(code=f"BULK{number}", libelle=f"Formation bulk {number}",
                         type_diplome=types[number % 3], commission=commissions[number % 4],
                         mots_cles="bulk", demat=number % 2 == 0, date_debut_depot=debut,
                         date_fin_depot=fin, date_retour=fin + 10 * DAY))
    Formation.insert_many(rows).execute()


def count_queries(client, url):
    with counting_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


# --- The offer as a tree ------------------------------------------------------------------

def test_offer_groups_formations_by_centre_then_type_de_diplome(client, demo):
    # The type de diplôme follows its `ordre`, not its name: put Licence after MASTER.
    TypeDiplome.update(ordre=5).where(TypeDiplome.code == "LICENCE").execute()
    document = get_page(client, OFFRE)

    assert text(document.find(".//h1")) == "Offre de formation"
    tree, centres = offer_tree(document)
    assert tree == {
        "UFR Droit et Sciences Sociales Poitiers Campus": [
            ("MASTER", ["M1 Administration Economique et Sociale", "M2 Droit et Marketing"])],
        "UFR Médecine-Pharmacie": [
            ("Non diplômant", ["concours entrée école d'orthophonie"])],
        "UFR Sciences Humaines et Arts": [
            ("MASTER", ["M1 Métiers de l'enseignement — Histoire-Géographie",
                        "M1 Psychologie"]),
            ("Licence", ["L3 Histoire de l'art et archéologie"])],
    }
    assert "(2 formations)" in text(centres[0].find("summary"))
    assert "(1 formation)" in text(centres[1].find("summary"))
    # Without a search the centres are folded (the <details> opens by keyboard or click).
    assert all("open" not in centre.attrib for centre in centres)
    for table in document.iter("table"):
        headers = [text(th) for th in table.iter("th") if th.get("scope") == "col"]
        assert headers == ["Titre", "Mots clés", "Dates de candidature", "Mode de candidature"]


def test_rows_show_keywords_dates_and_mode_de_candidature(client, demo):
    set_dates("M2DM", datetime.date(2026, 3, 12), datetime.date(2026, 4, 30))
    document = get_page(client, OFFRE)

    aes = row_cells(row_of(document, "M1 Administration Economique et Sociale"))
    expected_dates = (f"Du {ddmmyyyy(TODAY - 15 * DAY)} au {ddmmyyyy(TODAY + 45 * DAY)}")
    assert aes == ["M1 Administration Economique et Sociale", "AES", expected_dates,
                   "Dossier dématérialisé"]
    ortho = row_cells(row_of(document, "concours entrée école d'orthophonie"))
    assert ortho[1:] == ["orthophonie, concours", expected_dates, "Dossier papier"]
    droit = row_cells(row_of(document, "M2 Droit et Marketing"))
    assert droit[2] == "Du 12/03/2026 au 30/04/2026"
    link = by_class(row_of(document, "M1 Psychologie"), "a", "formation-link")[0]
    assert link.get("href") == page_url("M1PSY")


def test_closed_formations_are_listed_and_marked_in_words(client, demo):
    set_dates("M2DM", TODAY - 60 * DAY, TODAY - DAY)  # ended yesterday
    set_dates("M1PSY", TODAY + DAY, TODAY + 30 * DAY)  # opens tomorrow
    document = get_page(client, OFFRE)

    for title in ("M2 Droit et Marketing", "M1 Psychologie"):
        row = row_of(document, title)
        assert "formation-closed" in row.get("class")
        assert "Candidatures fermées" in text(row)
    for title in ("M1 Administration Economique et Sociale",
                  "L3 Histoire de l'art et archéologie"):
        row = row_of(document, title)
        assert "formation-closed" not in row.get("class")
        assert "Candidatures fermées" not in text(row)


def test_offer_leaves_out_inactive_formations_and_centres(client, demo):
    Formation.update(actif=False).where(Formation.code == "M1PSY").execute()
    Centre.update(actif=False).where(Centre.code == "MEDPHA").execute()
    document = get_page(client, OFFRE)

    assert "M1 Psychologie" not in titles(document)
    assert "concours entrée école d'orthophonie" not in titles(document)
    assert "UFR Médecine-Pharmacie" not in offer_tree(document)[0]


def test_offer_page_links_its_script_and_stylesheet_and_has_no_inline_script(client, demo):
    html = client.get(OFFRE).get_data(as_text=True)
    document = tinyhtml5.parse(html, namespace_html_elements=False)
    scripts = list(document.iter("script"))
    # Fingerprinted URLs (views/assets.py): the path, then ?v=<hash of the content>.
    # The page's own script, and the phone menu's every page has (static/js/menu.js).
    menu, script = [s.get("src") for s in scripts]
    assert menu.startswith("/static/js/menu.js?v=")
    assert script.startswith("/static/js/catalog.js?v=")
    assert all(not (s.text or "").strip() for s in scripts)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handler (CSP)
    [stylesheet] = [link.get("href") for link in document.iter("link")
                    if "/static/css/catalog.css" in link.get("href")]
    assert client.get(script).status_code == 200
    assert client.get(menu).status_code == 200
    assert client.get(stylesheet).status_code == 200


def test_empty_offer_says_so(client, app):
    assert "Aucune formation n'est proposée pour le moment." in main_text(
        get_page(client, OFFRE))


# --- Search -------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["géographie", "GEOGRAPHIE", "Geographie", "géOGRAPHIE"])
def test_search_ignores_accents_and_case(client, demo, query):
    document = get_page(client, f"{OFFRE}?q={query}")
    assert titles(document) == ["M1 Métiers de l'enseignement — Histoire-Géographie"]
    assert "1 formation correspond à votre recherche." in main_text(document)


@pytest.mark.parametrize("query, expected", [
    ("marketing", ["M2 Droit et Marketing"]),                       # mots clés
    ("m1psy", ["M1 Psychologie"]),                                  # code
    ("medecine", ["concours entrée école d'orthophonie"]),           # centre libellé
    ("histoire archeologie", ["L3 Histoire de l'art et archéologie"]),  # every word
    ("  Histoire   ", ["L3 Histoire de l'art et archéologie",
                       "M1 Métiers de l'enseignement — Histoire-Géographie"]),
])
def test_search_matches_libelle_keywords_code_and_centre(client, demo, query, expected):
    assert titles(get_page(client, f"{OFFRE}?q={query}")) == expected


def test_search_opens_the_tree_and_counts_results(client, demo):
    document = get_page(client, f"{OFFRE}?q=M1")
    _, centres = offer_tree(document)
    assert centres and all("open" in centre.attrib for centre in centres)
    assert "3 formations correspondent à votre recherche." in main_text(document)
    search = document.find(".//input[@name='q']")
    assert search.get("value") == "M1"
    assert document.find(".//label[@for='%s']" % search.get("id")) is not None


def test_search_without_result_shows_the_empty_state(client, demo):
    document = get_page(client, f"{OFFRE}?q=histoire+marketing")
    assert titles(document) == []
    assert "Aucune formation ne correspond à votre recherche." in main_text(document)
    assert not by_class(document, "details", "catalog-centre")


# --- The formation page -------------------------------------------------------------------

def test_formation_page_shows_the_formation(client, demo):
    item = formation("M1AES")
    item.informations = "Première ligne\nSeconde ligne <script>alert(1)</script>"
    item.url = "https://formations.example.org/m1-aes"
    item.save()
    response = client.get(page_url("M1AES"))
    html = response.get_data(as_text=True)
    document = tinyhtml5.parse(html, namespace_html_elements=False)
    content = main_text(document)

    assert text(document.find(".//h1")) == "M1 Administration Economique et Sociale"
    for label, value in [
            ("Centre de candidature", "UFR Droit et Sciences Sociales Poitiers Campus"),
            ("Type de diplôme", "MASTER"), ("Commission", "Commission Master AES"),
            ("Mots clés", "AES"), ("Type de traitement", "Accès contrôlé"),
            ("Mode de candidature", "Dossier dématérialisé"), ("Capacité d'accueil", "60"),
            ("Site de la formation", "https://formations.example.org/m1-aes"),
            ("Début de dépôt des candidatures", ddmmyyyy(item.date_debut_depot)),
            ("Fin de dépôt des candidatures", ddmmyyyy(item.date_fin_depot)),
            ("Date limite de retour", ddmmyyyy(item.date_retour)),
            ("Date de jury", ddmmyyyy(item.date_jury)),
            ("Date de publication des résultats", ddmmyyyy(item.date_publication)),
            ("Date de confirmation", ddmmyyyy(item.date_confirmation))]:
        assert f"{label} {value}" in content, label
    link = document.find(".//a[@href='https://formations.example.org/m1-aes']")
    assert link is not None
    informations = by_class(document, "p", "preserve-lines")[0]
    assert informations.text == "Première ligne\nSeconde ligne <script>alert(1)</script>"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_formation_page_never_links_a_script_url(client, demo):
    item = formation("M1AES")
    item.url = "javascript:alert(1)"
    item.save()
    document = get_page(client, page_url("M1AES"))
    assert not [a for a in document.iter("a") if "javascript" in (a.get("href") or "")]


def test_formation_page_lists_the_pieces_of_its_scope(client, demo):
    dss, medpha = Centre.get(Centre.code == "DSS"), Centre.get(Centre.code == "MEDPHA")
    PieceJustificative.create(code="P-DSS", libelle="Attestation de niveau en droit",
                              centre=dss, ordre=0)
    PieceJustificative.create(code="P-AES", libelle="Projet AES",
                              formation=formation("M1AES"), ordre=6)
    PieceJustificative.create(code="P-MED", libelle="Certificat médical", centre=medpha)
    PieceJustificative.create(code="P-DM", libelle="Projet Droit et Marketing",
                              formation=formation("M2DM"))
    PieceJustificative.create(code="P-OLD", libelle="Ancienne pièce", actif=False)
    document = get_page(client, page_url("M1AES"))

    listed = [text(item) for item in by_class(document, "ul", "catalog-pieces")[0]]
    assert listed == [
        "Attestation de niveau en droit", "Lettre de motivation", "Curriculum Vitae",
        "Pièce d'identité", "Relevé de notes du Baccalauréat",
        "Demande d'aménagement au titre du handicap (seulement si vous êtes concerné)",
        "Projet AES"] + [f"Autre document jugé utile par le candidat n°{n} (seulement si vous "
                         "êtes concerné)" for n in (1, 2, 3)]


def test_anonymous_visitor_is_asked_to_sign_in_to_apply(app, client, demo):
    path = page_url("M1AES")
    document = get_page(client, path)
    with app.test_request_context():
        login, register = url_for("auth.login", next=path), url_for("auth.register")
    hrefs = {text(a): a.get("href") for a in document.find(".//main").iter("a")}

    assert hrefs["Connexion"] == login
    assert hrefs["Créer un compte"] == register
    assert "Vous devez être connecté à votre compte candidat pour candidater." in main_text(
        document)
    assert apply_forms(document) == []


def test_candidate_gets_the_candidater_button_on_an_open_formation(app, candidate_client, demo):
    if APPLY_ENDPOINT not in app.view_functions:
        pytest.skip(f"{APPLY_ENDPOINT} n'existe pas encore")
    item = formation("M1AES")
    document = get_page(candidate_client, page_url("M1AES"))

    [form] = apply_forms(document)
    with app.test_request_context():
        assert form.get("action") == url_for(APPLY_ENDPOINT, formation_id=item.id)
    assert text(form.find(".//button")) == "Candidater"
    token = form.find(".//input[@name='csrf_token']")
    assert token is not None and token.get("type") == "hidden" and token.get("value")
    assert "Connexion" not in [text(a) for a in document.find(".//main").iter("a")]


def test_closed_formation_has_no_button_but_says_why(client, candidate_client, demo):
    item = set_dates("M2DM", datetime.date(2026, 3, 12), datetime.date(2026, 4, 30))
    if item.is_open(TODAY):  # the calendar has reached those dates: close it otherwise
        item = set_dates("M2DM", TODAY - 60 * DAY, TODAY - DAY)
    for visitor in (client, candidate_client):
        document = get_page(visitor, page_url("M2DM"))
        content = main_text(document)
        assert "Les candidatures pour cette formation sont fermées." in content
        assert (f"du {ddmmyyyy(item.date_debut_depot)} au {ddmmyyyy(item.date_fin_depot)}"
                in content)
        assert apply_forms(document) == []


def test_candidate_who_already_applied_sees_a_link_instead_of_the_button(candidate_client,
                                                                        demo):
    compte = candidate_client.compte
    candidat = Candidat.create(compte=compte, nom_patronymique=compte.nom,
                               prenom=compte.prenom)
    Candidature.create(candidat=candidat, formation=formation("M1AES"))
    document = get_page(candidate_client, page_url("M1AES"))

    assert "Vous avez déjà candidaté à cette formation." in main_text(document)
    assert apply_forms(document) == []


def test_unknown_or_withdrawn_formation_is_not_found(client, demo):
    assert client.get(f"{OFFRE}999999").status_code == 404
    Formation.update(actif=False).where(Formation.code == "M1PSY").execute()
    assert client.get(page_url("M1PSY")).status_code == 404
    Centre.update(actif=False).where(Centre.code == "MEDPHA").execute()
    assert client.get(page_url("ORTHO")).status_code == 404


# --- Bounded SQL queries ------------------------------------------------------------------

def test_offer_runs_the_same_queries_whatever_the_number_of_formations(client, demo):
    def counts():
        """(built: the first read after a change, then served from the cache, a search)."""
        return (count_queries(client, OFFRE), count_queries(client, OFFRE),
                count_queries(client, f"{OFFRE}?q=extra+M1"))

    before = counts()
    add_many_formations(494)
    after = counts()
    assert len(titles(get_page(client, OFFRE))) == 500
    assert after == before
    # Built: the stamp, then the stamp and the offer (one query with joins) in one
    # snapshot; cached: the stamp only.
    assert before == (3, 1, 1), before


def test_formation_page_runs_a_bounded_number_of_queries(app, candidate_client, demo):
    url, anonymous = page_url("M1AES"), app.test_client()
    demo_pieces = len(by_class(get_page(candidate_client, url), "ul", "catalog-pieces")[0])
    before = count_queries(candidate_client, url), count_queries(anonymous, url)
    for number in range(30):
        PieceJustificative.create(code=f"PX{number}", libelle=f"Pièce {number}",
                                  ordre=10 + number)
    add_formations(50)
    after = count_queries(candidate_client, url), count_queries(anonymous, url)
    assert after == before
    assert len(by_class(get_page(candidate_client, url), "ul", "catalog-pieces")[0]) == demo_pieces + 30


def test_signed_in_candidate_does_not_change_the_offer_query_count(app, client, make_compte,
                                                                   demo):
    client.get(OFFRE)  # builds the offer: the counts below are of the cached page
    anonymous = count_queries(client, OFFRE)
    compte, _ = make_compte()
    signed_in = app.test_client()
    sign_in(signed_in, compte)
    first = count_queries(signed_in, OFFRE)
    add_formations(50)
    signed_in.get(OFFRE)
    assert count_queries(signed_in, OFFRE) == first
    assert first - anonymous == 1  # loading the account of the session


# --- Cache and HTTP validators ------------------------------------------------------------

def fold(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def offer_from_the_models():
    """{centre: [(type, [titles])]} of Formation.offered(), in the documented order."""
    formations = sorted(Formation.offered(), key=lambda f: (
        fold(f.commission.centre.libelle), f.commission.centre.id, f.type_diplome.ordre,
        fold(f.type_diplome.libelle), f.type_diplome.id, fold(f.libelle), f.id))
    tree = {}
    for item in formations:
        types = tree.setdefault(item.commission.centre.libelle, [])
        if not types or types[-1][0] != item.type_diplome.libelle:
            types.append((item.type_diplome.libelle, []))
        types[-1][1].append(item.libelle)
    return tree


def test_the_cached_page_is_the_page_built_from_the_database(app, client, demo):
    add_many_formations(494)
    for url in (OFFRE, f"{OFFRE}?q=bulk+1", f"{OFFRE}?q=histoire"):
        built, cached = client.get(url), client.get(url)
        assert cached.status_code == built.status_code == 200
        assert cached.get_data() == built.get_data(), url
    cached = client.get(OFFRE).get_data()
    offer_cache.cache.clear()
    assert client.get(OFFRE).get_data() == cached  # built again from the database

    document = tinyhtml5.parse(cached.decode(), namespace_html_elements=False)
    assert offer_tree(document)[0] == offer_from_the_models()
    closed = [f.libelle for f in Formation.offered() if not f.is_open(TODAY)]
    assert len(closed) > 100
    assert sorted(text(by_class(row, "a", "formation-link")[0])
                  for row in by_class(document, "tr", "formation-closed")) == sorted(closed)
    assert row_cells(row_of(document, "Formation bulk 4")) == [
        "Formation bulk 4", "bulk",
        f"Du {ddmmyyyy(TODAY - 5 * DAY)} au {ddmmyyyy(TODAY + 5 * DAY)}", "Dossier dématérialisé"]


def rename_formation():
    item = formation("M1PSY")
    item.libelle = "M1 Psychologie clinique"
    item.save()
    return lambda document: ("M1 Psychologie clinique" in titles(document)
                             and "M1 Psychologie" not in titles(document))


def withdraw_formation():
    Formation.update(actif=False).where(Formation.code == "M1PSY").execute()
    return lambda document: "M1 Psychologie" not in titles(document)


def delete_formation():
    Formation.delete().where(Formation.code == "EXTRA0").execute()
    return lambda document: "Formation extra 0" not in titles(document)


def move_commission():
    dss = Centre.get(Centre.code == "DSS")
    Commission.update(centre=dss).where(
        Commission.id == formation("M1PSY").commission_id).execute()
    return lambda document: "M1 Psychologie" in [
        title for _, group in offer_tree(document)[0][
            "UFR Droit et Sciences Sociales Poitiers Campus"] for title in group]


def close_commission():
    Commission.update(actif=False).where(
        Commission.id == formation("M1PSY").commission_id).execute()
    return lambda document: "M1 Psychologie" not in titles(document)


def rename_centre():
    Centre.update(libelle="UFR Santé").where(Centre.code == "MEDPHA").execute()
    return lambda document: "UFR Santé" in offer_tree(document)[0]


def rename_type_diplome():
    TypeDiplome.update(libelle="Master (bac + 5)").where(TypeDiplome.code == "MASTER").execute()
    return lambda document: any(kind == "Master (bac + 5)"
                                for types in offer_tree(document)[0].values()
                                for kind, _ in types)


def change_campaign():
    Campagne.update(libelle="Campagne modifiée").execute()
    return lambda document: True  # the offer looks the same; its validators change


@pytest.mark.parametrize("change", [
    rename_formation, withdraw_formation, delete_formation, move_commission,
    close_commission, rename_centre, rename_type_diplome, change_campaign])
def test_a_change_shows_at_the_next_request_with_a_new_etag(client, demo, change):
    add_formations(1)  # one without candidatures, that may be deleted
    first = client.get(OFFRE)
    assert client.get(OFFRE).headers["ETag"] == first.headers["ETag"]  # cached, same
    shows_the_change = change()
    response = client.get(OFFRE, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert response.headers["ETag"] != first.headers["ETag"]
    document = tinyhtml5.parse(response.get_data(as_text=True), namespace_html_elements=False)
    assert shows_the_change(document)
    assert not shows_the_change(tinyhtml5.parse(first.get_data(as_text=True),
                                                namespace_html_elements=False)) or (
        change is change_campaign)


def console_form(page):
    """The fields of the first form of a console page (the language switch aside), as
    a browser would send them."""
    document = tinyhtml5.parse(page, namespace_html_elements=False)
    form = next(f for f in document.iter("form") if f.get("method", "").lower() == "post"
                and "language-switch" not in f.get("class", ""))
    data = {}
    for field in form.iter("input"):
        kind = field.get("type", "text")
        if kind == "submit" or not field.get("name"):
            continue
        if kind not in ("checkbox", "radio") or "checked" in field.attrib:
            data[field.get("name")] = field.get("value", "y" if kind == "checkbox" else "")
    for field in form.iter("select"):
        chosen = [o for o in field.iter("option") if "selected" in o.attrib]
        data[field.get("name")] = chosen[0].get("value") if chosen else ""
    for field in form.iter("textarea"):
        data[field.get("name")] = field.text or ""
    return data


def test_a_formation_saved_in_the_console_shows_in_every_worker(app, client, demo):
    from test_console import STRONG
    from ecandidat.users import create_user

    other_worker = server(app).test_client()  # its own memory cache
    for reader in (client, other_worker):
        assert "M1 Psychologie" in titles(get_page(reader, OFFRE))
    console = app.test_client()
    create_user("offre-admin@example.org", "admin", password=STRONG)
    assert console.post("/admin/login", data={"email": "offre-admin@example.org",
                                              "password": STRONG}).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/admin/formation/edit/?id={formation('M1PSY').id}"
    data = console_form(console.get(url).get_data(as_text=True))
    assert data.get("csrf_token")
    data["libelle"] = "M1 Psychologie du travail"
    assert console.post(url, data=data).status_code == 302
    assert formation("M1PSY").libelle == "M1 Psychologie du travail"
    for reader in (client, other_worker):
        shown = titles(get_page(reader, OFFRE))
        assert "M1 Psychologie du travail" in shown and "M1 Psychologie" not in shown


def test_a_new_day_closes_a_formation_and_changes_the_validators(client, demo):
    day = TODAY + 2 * DAY  # after the stamp's own time (the database's real clock)
    set_dates("M2DM", day - 10 * DAY, day)  # its last day
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False):
        before = client.get(OFFRE)
        assert "formation-closed" not in row_of(parse(before), "M2 Droit et Marketing").get(
            "class")
    with time_machine.travel(datetime.datetime.combine(day + DAY, datetime.time(10)),
                             tick=False):
        after = client.get(OFFRE, headers={"If-None-Match": before.headers["ETag"],
                                           "If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert "formation-closed" in row_of(parse(after), "M2 Droit et Marketing").get("class")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.last_modified > before.last_modified


def parse(response):
    return tinyhtml5.parse(response.get_data(as_text=True), namespace_html_elements=False)


def test_a_revalidation_gets_a_304_without_the_page(client, demo):
    first = client.get(OFFRE)
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert tag.startswith('W/"') and first.last_modified is not None
    assert {"Cookie", "Accept-Language"} <= set(first.vary)
    assert first.cache_control.no_cache and not first.cache_control.private
    with counting_queries() as counter:
        again = client.get(OFFRE, headers={"If-None-Match": tag})
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (304, b"", tag)
    assert counter.count == 1  # the stamp, nothing rendered
    assert client.get(OFFRE, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = first.last_modified - datetime.timedelta(hours=1)
    assert client.get(OFFRE, headers={"If-Modified-Since": earlier.strftime(
        "%a, %d %b %Y %H:%M:%S GMT")}).status_code == 200
    # Another search, another language: another page.
    assert client.get(f"{OFFRE}?q=M1", headers={"If-None-Match": tag}).status_code == 200
    searched = client.get(f"{OFFRE}?q=M1")
    assert client.get(f"{OFFRE}?q=M1", headers={
        "If-None-Match": searched.headers["ETag"]}).status_code == 304
    client.application.config["LANGUAGES"] = ("fr", "en")
    english = client.get(OFFRE, headers={"If-None-Match": tag, "Accept-Language": "en"})
    assert english.status_code == 200 and english.headers["ETag"] != tag


def test_a_candidate_never_gets_another_visitors_page(app, make_compte, demo):
    anonymous = app.test_client()
    public = anonymous.get(OFFRE)
    readers = []
    for email in ("lea@example.org", "noe@example.org"):
        compte, _ = make_compte(email=email)
        reader = app.test_client()
        sign_in(reader, compte)
        readers.append(reader)
    mine = readers[0].get(OFFRE)
    assert "Déconnexion" in main_menu_text(mine) and "Déconnexion" not in main_menu_text(public)
    assert mine.headers["ETag"] != public.headers["ETag"]
    assert mine.cache_control.private and mine.cache_control.no_cache
    assert "Last-Modified" not in mine.headers
    for tag in (public.headers["ETag"], mine.headers["ETag"]):  # the public one, another's
        assert readers[1].get(OFFRE, headers={"If-None-Match": tag}).status_code == 200
    assert anonymous.get(OFFRE, headers={"If-None-Match": mine.headers["ETag"]}
                         ).status_code == 200
    assert readers[0].get(OFFRE, headers={"If-None-Match": mine.headers["ETag"]}
                          ).status_code == 304
    # Past half the CSRF token's lifetime, the page (and its Déconnexion token) is new.
    later = clock.now() + datetime.timedelta(seconds=app.config.get("WTF_CSRF_TIME_LIMIT", 3600))
    with time_machine.travel(later):
        assert readers[0].get(OFFRE, headers={"If-None-Match": mine.headers["ETag"]}
                              ).status_code == 200


def main_menu_text(response):
    return text(parse(response).find(".//nav"))


def test_a_page_with_a_flash_message_is_always_rendered(client, demo):
    tag = client.get(OFFRE).headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Vous êtes déconnecté.")]
    flashed = client.get(OFFRE, headers={"If-None-Match": tag})
    assert flashed.status_code == 200 and "ETag" not in flashed.headers
    assert "Vous êtes déconnecté." in main_text(parse(flashed))
    assert client.get(OFFRE, headers={"If-None-Match": tag}).status_code == 304


@pytest.mark.parametrize("table", ["campagne", "centre", "commission", "type_diplome",
                                   "formation"])
def test_every_write_to_an_offer_table_moves_the_stamp_in_its_transaction(app, demo, table):
    other = {"campagne": lambda: Campagne.create(code="C2", libelle="C2", date_debut=TODAY,
                                                 date_fin=TODAY),
             "centre": lambda: Centre.create(code="C2", libelle="C2"),
             "commission": lambda: Commission.create(code="C2", libelle="C2",
                                                     centre=Centre.select().first()),
             "type_diplome": lambda: TypeDiplome.create(code="C2", libelle="C2"),
             "formation": lambda: Formation.create(
                 code="C2", libelle="C2", type_diplome=TypeDiplome.select().first(),
                 commission=Commission.select().first(), date_debut_depot=TODAY,
                 date_fin_depot=TODAY, date_retour=TODAY)}[table]
    model = {m._meta.table_name: m for m in (Campagne, Centre, Commission, TypeDiplome,
                                             Formation)}[table]
    writes = [("insert", other),
              ("update", lambda: model.update(libelle="Autre").where(model.code == "C2")
               .execute()),
              ("delete", lambda: model.delete().where(model.code == "C2").execute())]
    for name, write in writes:
        before = offer.current_stamp()
        with db.database.atomic() as transaction:
            write()
            inside = offer.current_stamp()
            transaction.rollback()
        assert inside.version > before.version, name
        assert offer.current_stamp() == before, name  # rolled back with the write
        write()
        after = offer.current_stamp()
        assert after.version > before.version and after.changed_at >= before.changed_at, name


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE (PostgreSQL): SQLite has DELETE only")
def test_a_truncate_moves_the_stamp(app, demo):
    before = offer.current_stamp()
    db.database.execute_sql('TRUNCATE "campagne" CASCADE')
    assert offer.current_stamp().version > before.version


def test_the_stamp_table_is_the_one_its_model_describes(app):
    with db.database.connection_context():
        assert not diff_models(db.database.obj, [OfferStamp])
    assert OfferStamp.select().count() == 1


# --- Redis ---------------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379"


def app_config(app, **more):
    keys = ("TESTING", "DATABASE_URL", "SECRET_KEY", "UPLOAD_FOLDER", "WTF_CSRF_ENABLED",
            "MAIL_SERVER", "BASE_URL", "RATELIMIT_ENABLED", "OFFER_STAMP_MAX_AGE")
    return dict({key: app.config[key] for key in keys}, **more)


def server(app, **more):
    """Another app server on the same database (its own process cache)."""
    other = create_app(app_config(app, **more))
    other.test_client_class = IsolatedClient
    return other


@pytest.fixture
def redis_prefix():
    client = reachable_redis(REDIS_URL, "test du cache partagé")
    prefix = f"ecandidat-test-{uuid.uuid4().hex}:"
    yield prefix, client
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def test_two_servers_share_the_offer_through_redis(app, demo, redis_prefix):
    prefix, redis = redis_prefix
    first, second = (server(app, CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
                     for _ in range(2))
    built = first.test_client().get(OFFRE)
    assert built.status_code == 200
    # the rows, the tree, the anonymous page
    assert len(list(redis.scan_iter(match=f"{prefix}*"))) == 3
    with counting_queries() as counter:
        shared = second.test_client().get(OFFRE)
    assert counter.count == 1  # the stamp: the rest came from Redis
    assert shared.get_data() == built.get_data()
    Centre.update(libelle="UFR Santé").where(Centre.code == "MEDPHA").execute()
    for one in (first, second):
        assert "UFR Santé" in offer_tree(parse(one.test_client().get(OFFRE)))[0]


def test_a_cache_that_fails_only_costs_time(app, demo, caplog):
    broken = server(app, CACHE_REDIS_URL="redis://127.0.0.1:1")  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="ecandidat.cache"):
        response = broken.test_client().get(OFFRE)
    assert response.status_code == 200
    assert "M1 Psychologie" in titles(parse(response))
    assert "Cache indisponible" in caplog.text


# --- Anonymous peak: stamp read once a second, whole page cached, micro-cache -----------------

@pytest.fixture
def peak_server(app, monkeypatch):
    """An app server as in production: the stamp kept OFFER_STAMP_MAX_AGE seconds, with
    a clock the test moves (both the stamp memo and the micro-cache read it)."""
    now = [1000.0]
    monkeypatch.setattr(offer, "monotonic", lambda: now[0])
    monkeypatch.setattr(microcache, "monotonic", lambda: now[0])
    monkeypatch.setattr(offer, "_last_read", {})
    other = server(app, OFFER_STAMP_MAX_AGE=1.0)
    other.advance = lambda seconds: now.__setitem__(0, now[0] + seconds)
    return other


def test_an_anonymous_peak_costs_no_query_and_a_change_shows_within_a_second(peak_server, demo):
    client = peak_server.test_client()
    first = client.get(OFFRE)
    assert "UFR Médecine-Pharmacie" in offer_tree(parse(first))[0]
    Centre.update(libelle="UFR Santé").where(Centre.code == "MEDPHA").execute()
    with counting_queries() as counter:
        again = client.get(OFFRE)
    assert counter.count == 0  # neither the stamp nor the page: the micro-cache answered
    assert again.get_data() == first.get_data()
    peak_server.advance(1.0)
    with counting_queries() as counter:
        changed = client.get(OFFRE)
    assert counter.count >= 1
    assert "UFR Santé" in offer_tree(parse(changed))[0]
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_the_micro_cache_keeps_languages_and_encodings_apart(peak_server, demo):
    client = peak_server.test_client()
    plain = client.get(OFFRE, headers={"Accept-Language": "fr"})
    assert "Content-Encoding" not in plain.headers
    zipped = client.get(OFFRE, headers={"Accept-Language": "fr",
                                        "Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.get_data()) < len(plain.get_data()) / 4
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert client.get(OFFRE, headers={"Accept-Language": "fr"}).get_data() == plain.get_data()
    for name in ("Content-Security-Policy", "X-Frame-Options", "ETag", "Last-Modified"):
        assert zipped.headers[name] == plain.headers[name], name


def test_the_micro_cache_leaves_visitors_with_a_cookie_to_flask(peak_server, app, make_compte,
                                                                 demo):
    anonymous = peak_server.test_client().get(OFFRE)
    compte, _ = make_compte()
    candidate = peak_server.test_client()
    sign_in(candidate, compte)
    mine = candidate.get(OFFRE)
    assert "private" in mine.headers["Cache-Control"]
    assert mine.get_data() != anonymous.get_data()  # their own menu, not the visitors' page
    assert "Déconnexion" in mine.get_data(as_text=True)
    assert "Déconnexion" not in anonymous.get_data(as_text=True)


def test_a_revalidation_still_gets_a_304_past_the_micro_cache(peak_server, demo):
    client = peak_server.test_client()
    first = client.get(OFFRE)
    revalidated = client.get(OFFRE, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    assert revalidated.get_data() == b""


def test_the_micro_cache_replays_only_what_a_view_allowed(app):
    """Unit: a response is replayed only when the view allowed it, had status 200 and
    set no cookie, and only to a cookieless GET without conditions."""
    calls = []

    def wsgi(environ, start_response):
        calls.append(environ["PATH_INFO"])
        path = environ["PATH_INFO"]
        headers = [("Content-Type", "text/plain"), ("Vary", "Accept-Language")]
        if path != "/private":
            environ[microcache.ENVIRON_KEY] = 5
        if path == "/cookie":
            headers.append(("Set-Cookie", "session=x"))
        start_response("404 NOT FOUND" if path == "/missing" else "200 OK", headers)
        return [f"{path} {len(calls)}".encode()]

    cached = microcache.MicroCache(wsgi)

    def get(path, **headers):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.url_scheme": "http",
                   "HTTP_HOST": "x"}
        environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
        return b"".join(cached(environ, lambda status, headers, exc_info=None: None))

    assert get("/offre") == get("/offre") == b"/offre 1"
    assert get("/offre", accept_language="en") == b"/offre 2"  # Vary honoured
    assert get("/offre", cookie="session=y") == b"/offre 3"  # a cookie goes to the app
    assert get("/offre", if_none_match='W/"x"') == b"/offre 4"
    for path in ("/private", "/cookie", "/missing"):
        assert get(path) != get(path), path  # never replayed


def test_a_query_string_never_reaches_the_shared_anonymous_page(peak_server, demo):
    """The layout writes the page's own URL (the language switch's way back): a
    visitor's query string must stay in their own page, never in the shared one."""
    client = peak_server.test_client()
    own = client.get(OFFRE + "?utm_source=secret-123")
    assert "secret-123" in own.get_data(as_text=True)
    shared = client.get(OFFRE)
    assert "secret-123" not in shared.get_data(as_text=True)
    assert "secret-123" not in client.get(OFFRE).get_data(as_text=True)
