"""Console "Candidatures": who sees which candidature (ecandidat.permissions), the
list, "Ouvrir" and the piece files, with a bounded number of SQL queries."""
import pytest
from playwright.sync_api import expect

from conftest import sign_in
from ecandidat import clock, permissions, workflow
from ecandidat.audit import record
from ecandidat.models import (Avis, Candidature, Centre, Commission, Formation,
                              PieceJustificative, Question, User)
from ecandidat.users import create_user
from factories import PDF_BYTES, complete_candidat, open_formation, pieces, question
from test_catalog import counting_queries
from test_console import STRONG, console_login, page_text
from test_e2e_console import contrast_problems
from test_workflow import ready_candidature

LIST = "/admin/candidature/"


def details(candidature):
    return f"/admin/candidature/details/?id={candidature.id}"


def fichier(candidature, piece):
    return f"/admin/candidature/{candidature.id}/pieces/{piece.id}/fichier"


def numero(candidature):
    return Candidature.get_by_id(candidature.id).candidat.compte.numero_dossier


def candidate(make_compte, email, nom="MARTIN", prenom="Camille"):
    compte, _ = make_compte(email=email, nom=nom, prenom=prenom)
    return complete_candidat(compte)


def transmitted(candidat, formation):
    """A candidature of `candidat` to `formation` (its pieces and question created
    beforehand), every piece provided, transmitted."""
    candidature = ready_candidature(candidat, formation, pieces_of(formation),
                                    question_of(formation))
    workflow.transmettre(workflow.Actor.candidat(candidat), candidature)
    return Candidature.get_by_id(candidature.id)


def pieces_of(formation):
    return {"lettre": PieceJustificative.get(PieceJustificative.code == f"LM-{formation.code}"),
            "identite": PieceJustificative.get(PieceJustificative.code == "ID"),
            "handicap": PieceJustificative.get(PieceJustificative.code == "HANDI")}


def question_of(formation):
    return Question.get(Question.code == f"Q-{formation.code}-B")


@pytest.fixture
def world(app, make_compte):
    """Centre DSS (commission COM-M1AES): a transmitted candidature, a draft (AT) and a
    cancelled one; centre LET (commission COM-LLCE): a transmitted candidature."""
    formation = open_formation("M1AES")
    autre = open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"))
    for each in (formation, autre):
        pieces(each)
        question(each)
    sent = transmitted(candidate(make_compte, "sent@example.org", nom="DURAND",
                                 prenom="Alix"), formation)
    drafter = candidate(make_compte, "draft@example.org", nom="BRUNO")
    draft = workflow.candidater(workflow.Actor.candidat(drafter), drafter, formation)
    cancelled = transmitted(candidate(make_compte, "gone@example.org", nom="PETIT"), formation)
    Candidature.update(date_annulation=clock.now()).where(
        Candidature.id == cancelled.id).execute()
    other = transmitted(candidate(make_compte, "other@example.org", nom="LEROY"), autre)
    return dict(sent=sent, draft=draft, cancelled=cancelled, other=other,
                lettre=pieces_of(formation)["lettre"], formation=formation)


# --- who reaches what: the explicit table ---------------------------------------------

# role → (how to sign in, what it gets on the list, on "Ouvrir" and on a piece file of
# the transmitted candidature of COM-M1AES). "login" = redirected to /admin/login.
WHO = {
    "anonyme": (None, "login", "login", "login"),
    "candidat": ("candidat", "login", "login", "login"),
    "membre d'une autre commission": (("commission", "COM-LLCE", False), "empty", 404, 404),
    "gestionnaire d'un autre centre": (("gestionnaire", "LET", False), "empty", 404, 404),
    "membre en lecture seule": (("commission", "COM-M1AES", True), "sees", 200, 200),
    "membre de la commission": (("commission", "COM-M1AES", False), "sees", 200, 200),
    "gestionnaire du centre": (("gestionnaire", "DSS", False), "sees", 200, 200),
    "administrateur": (("admin", None, False), "sees", 200, 200),
}


def sign_in_as(client, who, make_compte):
    if who is None:
        return
    if who == "candidat":
        compte, _ = make_compte(email="visiteur@example.org")
        sign_in(client, compte)
        return
    role, scope, lecture_seule = who
    console_login(client, role=role, scope=scope, lecture_seule=lecture_seule)


@pytest.mark.parametrize("name", list(WHO))
def test_route_sweep(name, world, client, make_compte):
    who, on_list, on_details, on_file = WHO[name]
    sign_in_as(client, who, make_compte)
    sent = world["sent"]
    urls = {"list": (LIST, on_list), "details": (details(sent), on_details),
            "file": (fichier(sent, world["lettre"]), on_file)}
    for what, (url, expected) in urls.items():
        response = client.get(url)
        if expected == "login":
            assert response.status_code == 302, (what, response.status_code)
            assert "/admin/login" in response.headers["Location"], what
        elif expected in ("sees", "empty"):
            assert response.status_code == 200, what
            page = response.get_data(as_text=True)
            assert (numero(sent) in page) == (expected == "sees"), what
            assert "DURAND" in page if expected == "sees" else "DURAND" not in page
        else:
            assert response.status_code == expected, (what, response.status_code)
            if expected == 200 and what == "file":
                assert response.data == PDF_BYTES
                assert response.headers["Cache-Control"] == "no-store"
            if expected == 404:
                assert "DURAND" not in response.get_data(as_text=True)


def test_no_console_user_changes_a_candidature_here(world, client):
    console_login(client, role="admin")
    sent = world["sent"]
    before = Candidature.get_by_id(sent.id).__data__
    for url in ("/admin/candidature/new/", f"/admin/candidature/edit/?id={sent.id}"):
        client.post(url, data={"bloc_notes": "changé"})
    client.post("/admin/candidature/delete/", data={"id": sent.id})
    client.post("/admin/candidature/action/", data={"action": "delete", "rowid": [sent.id]})
    assert client.get("/admin/candidature/export/csv/").status_code in (302, 404)
    assert Candidature.get_by_id(sent.id).__data__ == before


# --- what each role sees -------------------------------------------------------------

def test_a_membre_never_sees_a_draft_nor_a_cancelled_candidature(world, client):
    console_login(client, role="commission", scope="COM-M1AES")
    page = page_text(client, LIST)
    assert numero(world["sent"]) in page
    assert numero(world["draft"]) not in page and numero(world["cancelled"]) not in page
    assert numero(world["other"]) not in page
    for hidden in ("draft", "cancelled", "other"):
        assert client.get(details(world[hidden])).status_code == 404, hidden
    # A candidature sent back to "En attente" by the centre leaves the commission's list.
    Candidature.update(statut="AT").where(Candidature.id == world["sent"].id).execute()
    assert client.get(details(world["sent"])).status_code == 404


def test_a_gestionnaire_sees_the_drafts_of_their_centre(world, client):
    console_login(client, role="gestionnaire", scope="DSS")
    page = page_text(client, LIST)
    assert numero(world["sent"]) in page and numero(world["draft"]) in page
    assert numero(world["cancelled"]) not in page and numero(world["other"]) not in page
    assert client.get(details(world["draft"])).status_code == 200
    assert client.get(details(world["other"])).status_code == 404


def test_a_forged_id_answers_404(world, client):
    console_login(client, role="admin")
    for forged in ("999999", "abc", "1%20OR%201=1", "", "-1"):
        response = client.get(f"/admin/candidature/details/?id={forged}")
        assert response.status_code == 404, forged
    unasked = f"/admin/candidature/{world['sent'].id}/pieces/{world['lettre'].id + 1000}/fichier"
    assert client.get(unasked).status_code == 404


def test_scope_of_each_role(world):
    def user(email, role, scope=None, **flags):
        created, _ = create_user(email, role, scope=scope, password=STRONG)
        if flags:
            User.update(**flags).where(User.id == created.id).execute()
        return User.get_by_id(created.id)

    dss = Centre.get(Centre.code == "DSS")
    dss_commissions = {c.id for c in Commission.select().where(Commission.centre == dss)}
    gestion = permissions.scope_of(user("g@example.org", "gestionnaire", "DSS"))
    assert gestion.centres == {dss.id} and gestion.commissions == dss_commissions
    membre = permissions.scope_of(user("m@example.org", "commission", "COM-LLCE",
                                       lecture_seule=True))
    assert membre.commissions == {Commission.get(Commission.code == "COM-LLCE").id}
    assert membre.read_only and not membre.all
    assert permissions.scope_of(user("a@example.org", "admin")).all
    assert permissions.scope_of(user("x@example.org", "admin", actif=False)) == \
        permissions.NOTHING
    assert permissions.scope_of(None) == permissions.NOTHING
    visible = permissions.visible_formations(membre, Formation.select())
    assert [f.code for f in visible] == ["LLCE"]
    assert [c.code for c in permissions.visible_centres(membre, Centre.select())] == ["LET"]
    assert list(permissions.visible_commissions(permissions.NOTHING, Commission.select())) == []


# --- the list ------------------------------------------------------------------------

def test_list_columns_filters_and_search(world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    console_login(client, role="gestionnaire", scope="DSS")
    page = page_text(client, LIST)
    for text in ("N° de dossier", "Statut du dossier", "Type de traitement", "Dernier avis",
                 "Date de transmission", "Réceptionné", "Favorable (non validé)",
                 "Accès contrôlé (validé)", "DURAND", "Alix", "Formation M1AES"):
        assert text in page, text
    assert numero(sent) in page_text(client, f"{LIST}?search=DURAND")
    assert numero(sent) not in page_text(client, f"{LIST}?search=BRUNO")
    assert numero(sent) in page_text(client, f"{LIST}?search={numero(sent)}")
    assert numero(sent) in page_text(client, f"{LIST}?sort=1&desc=1")
    # Filter 0 is the statut du dossier: RE keeps the transmitted one, not the draft.
    filtered = page_text(client, f"{LIST}?flt0_0=RE")
    assert numero(sent) in filtered and numero(world["draft"]) not in filtered


def test_the_list_costs_the_same_queries_for_10_and_60_candidatures(app, client, make_compte):
    formation = open_formation("M1AES")
    console_login(client, role="commission", scope="COM-M1AES")

    def add(count, start):
        for number in range(start, start + count):
            candidat = candidate(make_compte, f"c{number}@example.org", nom=f"NOM{number}")
            candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat,
                                              formation)
            Candidature.update(statut="RE", date_transmission=clock.now()).where(
                Candidature.id == candidature.id).execute()
            Avis.create(candidature=candidature, type_avis="LA")

    def count():
        with counting_queries() as counter:
            response = client.get(LIST)
        assert response.status_code == 200
        return counter.count

    add(10, 0)
    small = count()
    add(50, 10)
    assert count() == small


# --- Ouvrir ------------------------------------------------------------------------------

def test_ouvrir_shows_the_whole_file(world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="DE", commentaire="Dossier trop léger")
    Candidature.update(bloc_notes="Appeler le candidat").where(
        Candidature.id == sent.id).execute()
    record("user:test@example.org", "statut", sent, {"statut": "RE"}, {"statut": "CO"})
    console_login(client, role="commission", scope="COM-M1AES")
    page = page_text(client, details(sent))
    for text in ("DURAND", "Alix", numero(sent), "Calle Mayor 1", "Madrid",
                 "Titre étranger admis en équivalence", "Lettre de motivation",
                 "Transmise", "lettre.pdf", "En alternance ?", "Oui",
                 "Défavorable", "Dossier trop léger", "Non validé", "Appeler le candidat",
                 "Transmission de la candidature", "user:test@example.org",
                 "Statut : Réceptionné → Complet", "Date limite de retour",
                 "Date limite de confirmation"):
        assert text in page, text
    assert fichier(sent, world["lettre"]) in page


# --- in a browser ----------------------------------------------------------------------

def test_a_membre_opens_a_transmitted_candidature(app, world, page):
    app.config["WTF_CSRF_ENABLED"] = True
    create_user("membre@example.org", "commission", scope="COM-M1AES", password=STRONG)
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill("membre@example.org")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_text("Membre de commission").first.wait_for()
    page.get_by_role("link", name="Candidatures", exact=True).click()
    page.wait_for_url("**/admin/candidature/")
    row = page.locator("tr", has_text="DURAND")
    expect(row).to_have_count(1)
    expect(page.locator("tr", has_text="BRUNO")).to_have_count(0)
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []
    row.get_by_role("link", name=numero(world["sent"])).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DURAND Alix")
    expect(page.get_by_role("link", name="lettre.pdf")).to_be_visible()
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []
