"""The console's outputs: "Exporter" (CSV and XLSX of the Candidatures list as it is
filtered, searched and sorted, streamed in batches), "Télécharger les dossiers"
(a ZIP of dossier PDFs) and the "Tableau de bord" per formation; each in the
user's scope only."""
import csv
import datetime
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import is_postgres, sign_in
from ecandidat import clock, exports, permissions, workflow
from ecandidat.models import (Adresse, Avis, BacSerie, Candidat, CandidatBac, Candidature,
                              CandidatureTag, Centre, Commission, CompteCandidat, Formation,
                              MotivationAvis, Pays, PieceJustificative, Question, Tag,
                              TypeDiplome, User)
from factories import complete_candidat, open_formation, pieces, question
from test_catalog import counting_queries
from test_console import console_login, flashes, page_text
from test_workflow import ready_candidature

LIST = "/admin/candidature/"
EXPORT = "/admin/candidature/exporter/"
ACTION = "/admin/candidature/action/"
DASHBOARD = "/admin/tableau-de-bord/"
DEFAULT = "&".join(f"colonne={key}" for key in exports.DEFAULT_COLUMNS)
EVERY = "&".join(f"colonne={column.key}" for column in exports.COLUMNS)


# --- data ----------------------------------------------------------------------------------

def candidate(make_compte, email, nom, prenom="Camille"):
    compte, _ = make_compte(email=email, nom=nom, prenom=prenom)
    return complete_candidat(compte)


def transmitted(candidat, formation):
    asked = {"lettre": PieceJustificative.get(PieceJustificative.code == f"LM-{formation.code}"),
             "identite": PieceJustificative.get(PieceJustificative.code == "ID"),
             "handicap": PieceJustificative.get(PieceJustificative.code == "HANDI")}
    candidature = ready_candidature(candidat, formation, asked,
                                    Question.get(Question.code == f"Q-{formation.code}-B"))
    workflow.transmettre(workflow.Actor.candidat(candidat), candidature)
    return Candidature.get_by_id(candidature.id)


@pytest.fixture
def world(app, make_compte):
    """Centre DSS, commission COM-M1AES: DURAND (transmitted, a validated Défavorable
    avis with its motivation, a tag), BRUNO (draft), PETIT (transmitted, cancelled);
    centre LET, commission COM-LLCE: LEROY (transmitted)."""
    formation = open_formation("M1AES", capacite=30)
    autre = open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"))
    for each in (formation, autre):
        pieces(each)
        question(each)
    sent = transmitted(candidate(make_compte, "sent@example.org", "DURAND", "Alix"), formation)
    drafter = candidate(make_compte, "draft@example.org", "BRUNO")
    draft = workflow.candidater(workflow.Actor.candidat(drafter), drafter, formation)
    cancelled = transmitted(candidate(make_compte, "gone@example.org", "PETIT"), formation)
    Candidature.update(date_annulation=clock.now()).where(
        Candidature.id == cancelled.id).execute()
    other = transmitted(candidate(make_compte, "other@example.org", "LEROY"), autre)
    motivation = MotivationAvis.create(code="NIV", libelle="Niveau insuffisant")
    Avis.create(candidature=sent, type_avis="DE", motivation=motivation, valide=True,
                commentaire="Revoir les prérequis", valide_le=clock.now())
    CandidatureTag.create(candidature=sent, tag=Tag.create(libelle="Prioritaire"))
    Candidature.update(bloc_notes="=HYPERLINK(\"http://evil.example\")").where(
        Candidature.id == sent.id).execute()
    return dict(sent=sent, draft=draft, cancelled=cancelled, other=other, formation=formation,
                autre=autre)


def numero(candidature):
    return Candidature.get_by_id(candidature.id).candidat.compte.numero_dossier


def get(client, url):
    """GET a streamed download: read within the request's own context (the test
    client runs each request in a context of its own, as a server would)."""
    return client.get(url, buffered=True)


def csv_rows(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == exports.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


def export_csv(client, query="", columns=DEFAULT):
    return csv_rows(get(client, f"{EXPORT}?format=csv&{columns}&{query}"))


def numeros(rows):
    return [row[0] for row in rows[1:]]


# --- Exporter: contents --------------------------------------------------------------------

def test_csv_export_of_the_list(world, client):
    console_login(client, role="gestionnaire", scope="DSS")
    rows = export_csv(client)
    assert rows[0] == ["N° de dossier", "Civilité", "Nom de naissance", "Prénom",
                       "Adresse mail", "Formation", "Statut du dossier",
                       "Date de transmission", "Type de traitement", "Dernier avis",
                       "Avis validé", "Confirmation / désistement"]
    by_numero = {row[0]: row for row in rows[1:]}
    assert set(by_numero) == {numero(world["sent"]), numero(world["draft"])}
    sent = by_numero[numero(world["sent"])]
    transmission = clock.local(world["sent"].date_transmission).strftime("%d/%m/%Y %H:%M")
    assert sent == [numero(world["sent"]), "Mme", "DURAND", "Alix", "sent@example.org",
                    "Formation M1AES", "Réceptionné", transmission, "Accès contrôlé",
                    "Défavorable", "Oui", ""]
    draft = by_numero[numero(world["draft"])]
    assert draft[6:8] == ["En attente", ""] and draft[9:11] == ["", ""]


def test_xlsx_export_with_every_column(world, client):
    console_login(client, role="admin")
    Candidat.update(ine="1234567890", cle_ine="A", telephone="+33 5 49 00 00 00").where(
        Candidat.id == world["sent"].candidat_id).execute()
    rows, sheet = xlsx_rows(get(client, f"{EXPORT}?format=xlsx&{EVERY}"))
    header = rows[0]
    assert header == [str(column.label) for column in exports.COLUMNS]
    assert [row[0] for row in rows[1:]].count(numero(world["sent"])) == 1
    assert numero(world["cancelled"]) not in [row[0] for row in rows[1:]]
    values = dict(zip(header, next(r for r in rows[1:] if r[0] == numero(world["sent"]))))
    assert values["Nom de naissance"] == "DURAND" and values["Civilité"] == "Mme"
    assert values["Date de naissance"] == datetime.datetime(2001, 4, 2)
    assert values["Nationalité"] == "Espagne" and values["INE"] == "1234567890A"
    assert values["Téléphone"] == "+33 5 49 00 00 00"
    assert values["Adresse"] == "Calle Mayor 1, Madrid, Espagne"
    assert values["Année d'obtention du bac"] == 2019
    assert values["Série du bac"] == "Titre étranger admis en équivalence"
    assert values["Code de la formation"] == "M1AES"
    assert values["Commission"] == "Commission M1AES"
    assert values["Dernier avis"] == "Défavorable" and values["Avis validé"] == "Oui"
    assert values["Motivation de l'avis"] == "Niveau insuffisant"
    assert values["Commentaire de l'avis"] == "Revoir les prérequis"
    assert values["Tags"] == "Prioritaire"
    assert values["Type de traitement validé"] == "Oui"
    assert isinstance(values["Date de transmission"], datetime.datetime)
    local = clock.local(world["sent"].date_transmission)
    assert values["Date de transmission"] == local.replace(tzinfo=None, second=0, microsecond=0)
    # Typed text is never a formula, whatever its first character.
    assert values["Bloc-notes"] == '=HYPERLINK("http://evil.example")'
    bloc_notes = header.index("Bloc-notes")
    cells = [row[bloc_notes] for row in sheet.iter_rows(min_row=2) if row[bloc_notes].value]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_csv_cells_never_start_a_formula(world, client):
    console_login(client, role="admin")
    rows = export_csv(client, columns="colonne=numero_dossier&colonne=bloc_notes")
    notes = {row[0]: row[1] for row in rows[1:]}
    assert notes[numero(world["sent"])] == "'=HYPERLINK(\"http://evil.example\")"


def test_the_export_follows_the_lists_filters_search_and_sort(world, client):
    console_login(client, role="gestionnaire", scope="DSS")
    sent, draft = numero(world["sent"]), numero(world["draft"])
    # Filter 0 is the statut du dossier (as on the list).
    assert numeros(export_csv(client, "flt0_0=RE")) == [sent]
    assert numeros(export_csv(client, "flt0_0=AT")) == [draft]
    assert numeros(export_csv(client, "search=BRUNO")) == [draft]
    assert numeros(export_csv(client, f"search={sent}")) == [sent]
    # Sort on the "nom" column (index 1 of the list), both ways.
    assert numeros(export_csv(client, "sort=1")) == [draft, sent]
    assert numeros(export_csv(client, "sort=1&desc=1")) == [sent, draft]
    # An unsortable column (dernier avis) or a forged index falls back on the default order.
    assert sorted(numeros(export_csv(client, "sort=6"))) == sorted([sent, draft])
    assert sorted(numeros(export_csv(client, "sort=99"))) == sorted([sent, draft])


def test_the_list_links_to_the_export_with_its_arguments(world, client):
    console_login(client, role="gestionnaire", scope="DSS")
    page = page_text(client, f"{LIST}?flt0_0=RE&search=DURAND&sort=1")
    link = re.search(r'href="(/admin/candidature/exporter/[^"]*)"', page).group(1)
    form = page_text(client, link.replace("&amp;", "&"))
    for hidden in ('name="flt0_0" value="RE"', 'name="search" value="DURAND"',
                   'name="sort" value="1"'):
        assert hidden in form, hidden
    for column in exports.COLUMNS:
        assert str(column.label) in form
    assert 'value="numero_dossier"' in form and "Exporter en XLSX" in form
    checked = re.findall(r'value="(\w+)"\s+id="colonne-\w+"\s+checked', form)
    assert tuple(checked) == exports.DEFAULT_COLUMNS


def test_an_export_without_columns_says_so(world, client):
    console_login(client, role="admin")
    response = client.get(f"{EXPORT}?format=csv&search=DURAND")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Cochez au moins une colonne à exporter." in flashes(response.get_data(as_text=True))


# --- Exporter: scope -------------------------------------------------------------------------

def test_a_membre_exports_only_the_transmitted_candidatures_of_their_commission(world,
                                                                               client):
    console_login(client, role="commission", scope="COM-M1AES", lecture_seule=True)
    sent = numero(world["sent"])
    assert numeros(export_csv(client)) == [sent]
    rows, _sheet = xlsx_rows(get(client, f"{EXPORT}?format=xlsx&{DEFAULT}"))
    assert [row[0] for row in rows[1:]] == [sent]
    # Forged arguments narrow the list, never widen it.
    for forged in ("flt0_0=AT", "search=BRUNO", "search=LEROY", "search=%25",
                   "search=%27%20OR%201%3D1%20--", "flt9_99=x", "flt0_7=1"):
        exported = numeros(export_csv(client, forged))
        assert set(exported) <= {sent}, forged
    assert numeros(export_csv(client, "flt0_0=AT")) == []


@pytest.mark.parametrize("who, expected", [
    (None, "login"), ("candidat", "login"),
    (("commission", "COM-LLCE"), "other"), (("gestionnaire", "LET"), "other"),
    (("commission", "COM-M1AES"), "sent"), (("admin", None), "all"),
])
def test_who_exports_what(world, client, make_compte, who, expected):
    if who == "candidat":
        compte, _ = make_compte(email="visiteur@example.org")
        sign_in(client, compte)
    elif who is not None:
        console_login(client, role=who[0], scope=who[1])
    for url in (f"{EXPORT}?format=csv&{DEFAULT}", EXPORT):
        response = get(client, url)
        if expected == "login":
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    if expected == "login":
        return
    got = set(numeros(export_csv(client)))
    assert got == {"other": {numero(world["other"])}, "sent": {numero(world["sent"])},
                   "all": {numero(world[k]) for k in ("sent", "draft", "other")}}[expected]


# --- Exporter: streamed in batches -------------------------------------------------------------

def bulk(formation, count, start=0):
    """`count` transmitted candidatures to `formation`, with an avis, a tag, an address
    and a bac each, written in a few statements."""
    espagne = Pays.get_or_none(Pays.code == "134") or Pays.create(
        code="134", iso2="ES", libelle="Espagne", nationalite="Espagne")
    serie = BacSerie.get_or_none(BacSerie.code == "ETR") or BacSerie.create(
        code="ETR", libelle="Titre étranger", premiere_annee=1950)
    tag = Tag.get_or_none(Tag.libelle == "Lot") or Tag.create(libelle="Lot")
    motivation = MotivationAvis.get_or_none(MotivationAvis.code == "LOT") or \
        MotivationAvis.create(code="LOT", libelle="Lot")
    adresse = Adresse.create(pays=espagne, ville_etrangere="Madrid", adresse1="Calle Mayor 1")
    numbers = range(start, start + count)
    CompteCandidat.insert_many([dict(numero_dossier=f"B{n:07d}", nom=f"NOM{n}", prenom="P",
                                     email=f"b{n}@example.org", valide=True,
                                     session_token=f"token-{n}") for n in numbers]).execute()
    comptes = CompteCandidat.select().where(
        CompteCandidat.numero_dossier.in_([f"B{n:07d}" for n in numbers]))
    Candidat.insert_many([dict(compte=c.id, nom_patronymique=c.nom, prenom=c.prenom,
                               nationalite=espagne.code, adresse=adresse.id)
                          for c in comptes]).execute()
    candidats = list(Candidat.select().join(CompteCandidat).where(
        CompteCandidat.numero_dossier.in_([f"B{n:07d}" for n in numbers])))
    CandidatBac.insert_many([dict(candidat=c.id, annee_obtention=2020, serie=serie.code)
                             for c in candidats]).execute()
    Candidature.insert_many([dict(candidat=c.id, formation=formation.id, statut="RE",
                                  date_transmission=clock.now()) for c in candidats]).execute()
    ids = [c.id for c in Candidature.select(Candidature.id).where(
        Candidature.candidat.in_([c.id for c in candidats]))]
    Avis.insert_many([dict(candidature=i, type_avis="DE", motivation=motivation.id)
                      for i in ids]).execute()
    CandidatureTag.insert_many([dict(candidature=i, tag=tag.id) for i in ids]).execute()


def candidature_view(app):
    return next(view for view in app.extensions["admin"][0]._views
                if view.endpoint == "candidature")


def test_export_queries_grow_with_the_batches_not_the_rows(app, client, monkeypatch):
    formation = open_formation("M1AES")
    console_login(client, role="commission", scope="COM-M1AES")
    monkeypatch.setattr(candidature_view(app), "export_batch_size", 50)

    def cost(kind):
        with counting_queries() as counter:
            response = get(client, f"{EXPORT}?format={kind}&{EVERY}")
            data = response.get_data()
        assert response.status_code == 200
        return counter.count, data

    bulk(formation, 50)
    small_csv, data = cost("csv")
    assert data.decode("utf-8-sig").count("\r\n") == 51
    small_xlsx, _ = cost("xlsx")
    bulk(formation, 450, start=50)
    big_csv, data = cost("csv")
    assert data.decode("utf-8-sig").count("\r\n") == 501
    big_xlsx, data = cost("xlsx")
    assert load_workbook(io.BytesIO(data)).active.max_row == 501
    # Each batch: its candidatures, addresses, bacs, nationalities, last avis,
    # motivations and tags — one query each, 9 batches more.
    per_batch = 7
    assert big_csv - small_csv == 9 * per_batch
    assert big_xlsx - small_xlsx == 9 * per_batch


def test_the_rows_are_produced_batch_by_batch(app):
    from ecandidat.db import database
    formation = open_formation("M1AES")
    bulk(formation, 120)
    scope = permissions.Scope(role="admin", all=True)
    query = permissions.visible_candidatures(scope, Candidature.select())
    columns = exports.columns_for(exports.DEFAULT_COLUMNS)  # needs the last avis only
    with counting_queries() as counter:
        rows = exports.candidature_rows(scope, query, columns, batch_size=50)
        assert counter.count == 0  # a generator: nothing read yet
        first = next(rows)
        after_first = counter.count
        for _ in range(49):
            next(rows)
        assert counter.count == after_first  # still the first batch
        next(rows)
        assert counter.count == after_first + 2  # the second batch: candidatures, avis
        rest = list(rows)
    assert len(rest) == 69 and first[0].startswith("B")
    assert not database.in_transaction()  # the read transaction ended with the rows
    # The ids, then the first batch's candidatures and avis (and BEGIN where logged).
    assert 3 <= after_first <= 4


# --- Télécharger les dossiers ---------------------------------------------------------------

def download(client, *ids, csrf=None):
    data = {"action": "dossiers", "rowid": [str(i) for i in ids], "url": LIST}
    if csrf:
        data["csrf_token"] = csrf
    return client.post(ACTION, data=data)


def test_the_zip_holds_one_pdf_per_selected_dossier(world, app, client):
    console_login(client, role="gestionnaire", scope="DSS")
    app.config["WTF_CSRF_ENABLED"] = True
    page = page_text(client, LIST)
    assert "Télécharger les dossiers" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = download(client, world["sent"].id, world["draft"].id, csrf=token.group(1))
    assert response.status_code == 200, flashes(response.get_data(as_text=True))
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(archive.namelist()) == sorted(
        f"dossier-{numero(world[k])}-M1AES.pdf" for k in ("sent", "draft"))
    for name in archive.namelist():
        reader = PdfReader(io.BytesIO(archive.read(name)))
        assert len(reader.pages) >= 1
    sent_pdf = PdfReader(io.BytesIO(archive.read(f"dossier-{numero(world['sent'])}-M1AES.pdf")))
    assert "DURAND" in sent_pdf.pages[0].extract_text()
    # Without its token the action is refused (CSRFProtect) and nothing is sent.
    response = download(client, world["sent"].id)
    assert response.status_code == 400 and response.mimetype != "application/zip"


def refused(response):
    assert response.status_code == 302, response.status_code
    assert response.mimetype != "application/zip"
    return response


@pytest.mark.parametrize("who", [("commission", "COM-M1AES"), ("gestionnaire", "DSS")])
def test_an_id_out_of_scope_refuses_the_whole_zip(world, client, who):
    console_login(client, role=who[0], scope=who[1])
    tampered = [world["sent"].id, world["other"].id]
    if who[0] == "commission":
        tampered.append(world["draft"].id)
    refused(download(client, *tampered))
    page = client.get(LIST).get_data(as_text=True)
    assert "hors de votre périmètre : aucun dossier n'a été téléchargé" in flashes(page)
    for forged in ("abc", "999999", world["cancelled"].id):
        refused(download(client, world["sent"].id, forged))
    refused(download(client))


def test_the_zip_has_a_maximum(world, app, client):
    app.config["DOWNLOAD_MULTIPLE_NB_MAX"] = 1
    console_login(client, role="admin")
    refused(download(client, world["sent"].id, world["draft"].id))
    assert ("Vous pouvez télécharger au plus 1 dossiers à la fois"
            in flashes(client.get(LIST).get_data(as_text=True)))


def test_a_read_only_user_downloads_dossiers_and_anonymous_cannot(world, client,
                                                                  make_compte):
    response = download(client, world["sent"].id)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    compte, _ = make_compte(email="visiteur@example.org")
    sign_in(client, compte)
    response = download(client, world["sent"].id)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    console_login(client, role="commission", scope="COM-M1AES", lecture_seule=True)
    response = download(client, world["sent"].id)
    assert response.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.get_data())).namelist() == [
        f"dossier-{numero(world['sent'])}-M1AES.pdf"]


# --- Tableau de bord ---------------------------------------------------------------------------

def dashboard_rows(page):
    """{formation code: [the numbers of its row]} and the total row."""
    rows = {}
    for code, cells in re.findall(r'<th scope="row">(\w+) — [^<]*</th>\s*<td>[^<]*</td>(.*?)</tr>',
                                  page, re.S):
        rows[code] = [int(n) if n else None for n in
                      re.findall(r'<td class="text-right">(\d*)</td>', cells)]
    total = re.search(r'<th scope="row" colspan="2">Total</th>(.*?)</tr>', page, re.S)
    rows["total"] = [int(n) if n else None
                     for n in re.findall(r'<td class="text-right">(\d*)</td>', total.group(1))]
    return rows


# capacité, candidatures, AT RE CO IN, (FA DE LC LA PR) × (validé, non validé), sans avis,
# confirmées, désistées[, annulées]
def test_dashboard_numbers(world, client):
    formation, sent = world["formation"], world["sent"]
    Candidature.update(confirmation="DESISTE").where(Candidature.id == sent.id).execute()
    # The last avis counts: DURAND's validated DE is followed by an LC not validated.
    Avis.create(candidature=sent, type_avis="LC", rang=2)
    Avis.create(candidature=world["other"], type_avis="FA", valide=True)
    Candidature.update(confirmation="CONFIRME").where(
        Candidature.id == world["other"].id).execute()
    console_login(client, role="admin")
    page = page_text(client, DASHBOARD)
    for label in ("Tableau de bord par formation", "Capacité d'accueil", "En attente",
                  "Réceptionné", "Complet", "Incomplet", "Favorable", "Défavorable",
                  "Liste complémentaire", "Liste d'attente", "Présélection", "validé",
                  "non validé", "Confirmées", "Désistées", "Annulées", "Total"):
        assert label in page, label
    rows = dashboard_rows(page)
    assert rows["M1AES"] == [30, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1]
    assert rows["LLCE"] == [None, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert rows["total"] == [30, 3, 1, 2, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1]
    assert formation.capacite == 30


def test_dashboard_in_scope(world, client, make_compte):
    console_login(client, role="commission", scope="COM-M1AES")
    rows = dashboard_rows(page_text(client, DASHBOARD))
    # A membre: their formation only, transmitted candidatures only, no "annulées".
    assert set(rows) == {"M1AES", "total"}
    assert rows["M1AES"] == [30, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    client.post("/admin/logout")
    console_login(client, role="gestionnaire", scope="LET")
    rows = dashboard_rows(page_text(client, DASHBOARD))
    assert set(rows) == {"LLCE", "total"}
    client.post("/admin/logout")
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    compte, _ = make_compte(email="visiteur@example.org")
    sign_in(client, compte)
    assert "/admin/login" in client.get(DASHBOARD).headers["Location"]


def test_dashboard_queries_do_not_grow_with_the_formations(app, client, make_compte):
    centre = Centre.create(code="DSS", libelle="UFR Droit")
    console_login(client, role="gestionnaire", scope="DSS")
    type_diplome = TypeDiplome.create(code="MASTER", libelle="Master")
    today = clock.today()

    def add_formations(count, start):
        for n in range(start, start + count):
            commission = Commission.create(code=f"C{n}", libelle=f"Commission {n}",
                                           centre=centre)
            formation = Formation.create(
                code=f"F{n}", libelle=f"Formation {n}", type_diplome=type_diplome,
                commission=commission, capacite=n, date_debut_depot=today,
                date_fin_depot=today, date_retour=today)
            bulk(formation, 2, start=n * 10)

    def cost():
        with counting_queries() as counter:
            page = page_text(client, DASHBOARD)
        return counter.count, page

    add_formations(2, 0)
    small, page = cost()
    assert dashboard_rows(page)["total"][1] == 4
    add_formations(18, 2)
    big, page = cost()
    assert dashboard_rows(page)["total"][1] == 40
    assert len(dashboard_rows(page)) == 21
    assert big == small


@pytest.mark.skipif(not is_postgres(), reason="server-side cursors: PostgreSQL only")
def test_postgresql_streams_the_ids_through_a_server_side_cursor(app):
    from ecandidat.db import database
    formation = open_formation("M1AES")
    bulk(formation, 30)
    scope = permissions.Scope(role="admin", all=True)
    query = permissions.visible_candidatures(scope, Candidature.select())
    def rows():
        return exports.candidature_rows(scope, query, exports.columns_for(["numero_dossier"]),
                                        batch_size=10)

    def cursors():
        return database.execute_sql("SELECT name, is_holdable FROM pg_cursors WHERE name LIKE %s",
                                    ("export%",)).fetchall()

    every = rows()
    next(every)
    found = cursors()
    assert len(found) == 1 and found[0][1] is False  # streamed within the transaction
    assert len(list(every)) == 29
    assert cursors() == [] and not database.in_transaction()
    # A download abandoned halfway (the client went away) closes the cursor and the
    # transaction, and leaves the connection usable.
    abandoned = rows()
    next(abandoned)
    abandoned.close()
    assert cursors() == [] and not database.in_transaction()
    assert Candidature.select().count() == 30


# --- In a browser (CSRF on, the site's CSP) ----------------------------------------------------

def test_a_read_only_membre_exports_and_downloads_in_a_browser(app, world, page):
    from playwright.sync_api import expect

    from ecandidat.users import create_user
    from test_console import STRONG
    from test_e2e_console import contrast_problems

    app.config["WTF_CSRF_ENABLED"] = True
    user, _ = create_user("membre@example.org", "commission", scope="COM-M1AES", password=STRONG)
    User.update(lecture_seule=True).where(User.id == user.id).execute()
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill("membre@example.org")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Membre de commission").first.wait_for()

    page.get_by_role("link", name="Tableau de bord", exact=True).click()
    row = page.locator("tr", has_text="M1AES")
    expect(row.locator("th")).to_contain_text("Formation M1AES")
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []

    page.get_by_role("link", name="Candidatures", exact=True).click()
    page.get_by_role("link", name="Exporter", exact=True).click()
    page.get_by_label("Date de naissance").check()
    page.get_by_label("Adresse mail").uncheck()
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter en XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "Date de naissance" in rows[0] and "Adresse mail" not in rows[0]
    assert [row[0] for row in rows[1:]] == [numero(world["sent"])]

    page.get_by_role("link", name="Retour à la liste").click()
    page.wait_for_url("**/admin/candidature/**")
    page.wait_for_load_state("load")  # the dropdown's script
    page.locator("tr", has_text="DURAND").locator("input.action-checkbox").check()
    page.get_by_role("button", name="Avec la sélection").click()
    expect(page.locator("[data-action=dossiers]")).to_be_visible()
    with page.expect_download() as download:
        page.locator("[data-action=dossiers]").click()
    assert download.value.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(download.value.path())
    assert archive.namelist() == [f"dossier-{numero(world['sent'])}-M1AES.pdf"]
    assert "DURAND" in PdfReader(io.BytesIO(archive.read(archive.namelist()[0]))).pages[0] \
        .extract_text()
