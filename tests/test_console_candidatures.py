"""Console "Candidatures": who sees which candidature (ecandidat.permissions), the
list, "Ouvrir" and the piece files, with a bounded number of SQL queries."""
import datetime

import pytest
from playwright.sync_api import expect

from conftest import sign_in
from ecandidat import clock, permissions, workflow
from ecandidat.audit import record
from ecandidat.models import (AuditLog, Avis, Candidature, CandidatureTag, Centre, Commission,
                              Formation, PieceJustificative, Question, Tag, User)
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

# role → (how to sign in, what it gets on the list, on "Ouvrir", on a piece file of the
# transmitted candidature of COM-M1AES, and on its actions). "login" = redirected to
# /admin/login; on actions, "refused" = sent back with the reason, nothing changed;
# "membre" = the actions of every role done, those of gestionnaires (and of a
# président) refused; "done" = every action done.
WHO = {
    "anonyme": (None, "login", "login", "login", "login"),
    "candidat": ("candidat", "login", "login", "login", "login"),
    "membre d'une autre commission": (("commission", "COM-LLCE", False), "empty", 404, 404, 404),
    "gestionnaire d'un autre centre": (("gestionnaire", "LET", False), "empty", 404, 404, 404),
    "membre en lecture seule": (("commission", "COM-M1AES", True), "sees", 200, 200, "refused"),
    "membre de la commission": (("commission", "COM-M1AES", False), "sees", 200, 200, "membre"),
    "gestionnaire du centre": (("gestionnaire", "DSS", False), "sees", 200, 200, "done"),
    "administrateur": (("admin", None, False), "sees", 200, 200, "done"),
}
EVERY_ROLE, MANAGERS = "every role", "managers"
# Every action URL of a candidature, in an order each can succeed in, with what it
# posts and who may take it (ecandidat.workflow.rules).
ACTION_URLS = [
    ("statut", {"statut": "CO"}, EVERY_ROLE),
    ("avis", {"type_avis": "FA"}, EVERY_ROLE),
    ("valider-avis", {"confirmer": "y"}, MANAGERS),
    ("tags", {}, EVERY_ROLE),
    ("date-retour", {"date": "2031-01-01"}, MANAGERS),
    ("date-confirmation", {"date": "2031-02-01"}, MANAGERS),
    ("type-traitement", {"type_traitement": "AT"}, MANAGERS),
    ("valider-type-traitement", {"confirmer": "y"}, MANAGERS),
]


def sign_in_as(client, who, make_compte):
    if who is None:
        return
    if who == "candidat":
        compte, _ = make_compte(email="visiteur@example.org")
        sign_in(client, compte)
        return
    role, scope, lecture_seule = who
    console_login(client, role=role, scope=scope, lecture_seule=lecture_seule)


def changes():
    return AuditLog.select().count()


@pytest.mark.parametrize("name", list(WHO))
def test_route_sweep(name, world, client, make_compte):
    who, on_list, on_details, on_file, on_actions = WHO[name]
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
    sweep_outputs(client, world, on_list)
    sweep_actions(client, world, on_actions)


def sweep_outputs(client, world, expected):
    """Exporter, Télécharger les dossiers, the Tableau de bord, and the model views'
    create/edit/delete (never a way to change a candidature), against what the role
    gets on the list: "login", "sees" (the transmitted candidature of COM-M1AES is in
    its scope) or "empty"."""
    sent = world["sent"]
    number = numero(sent)
    export = client.get("/admin/candidature/exporter/?format=csv&colonne=numero_dossier",
                        buffered=True)
    archive = client.post("/admin/candidature/action/",
                          data={"action": "dossiers", "rowid": str(sent.id), "url": LIST})
    dashboard = client.get("/admin/tableau-de-bord/")
    if expected == "login":
        for response in (export, archive, dashboard):
            assert response.status_code == 302
            assert "/admin/login" in response.headers["Location"]
    else:
        assert export.status_code == 200 and export.mimetype == "text/csv"
        assert (number in export.get_data(as_text=True)) == (expected == "sees")
        assert (archive.mimetype == "application/zip") == (expected == "sees")
        assert dashboard.status_code == 200
        assert ("M1AES" in dashboard.get_data(as_text=True)) == (expected == "sees")
    before = Candidature.get_by_id(sent.id).__data__, Candidature.select().count()
    for url in ("/admin/candidature/new/", f"/admin/candidature/edit/?id={sent.id}"):
        client.post(url, data={"bloc_notes": "changé", "statut": "CO"})
    client.post("/admin/candidature/delete/", data={"id": sent.id})
    assert (Candidature.get_by_id(sent.id).__data__, Candidature.select().count()) == before


def sweep_actions(client, world, expected):
    """Every action URL of the candidature (its page, GET and POST; the piece statut
    and bloc-notes forms; the list's action), against the role's expectation."""
    sent, lettre = world["sent"], world["lettre"]
    tag = Tag.create(libelle="Boursier")
    posts = [(f"/admin/candidature/actions/{slug}/?ids={sent.id}", slug,
              {"ids": str(sent.id), **(data or {"tags": str(tag.id)})}, who)
             for slug, data, who in ACTION_URLS]
    posts += [(f"/admin/candidature/{sent.id}/pieces/{lettre.id}/statut", None,
               {f"piece-{lettre.id}-statut": "VA"}, EVERY_ROLE),
              (f"/admin/candidature/{sent.id}/bloc-notes", None, {"bloc_notes": "Note"},
               EVERY_ROLE)]
    for url, slug, data, who in posts:
        allowed = expected == "done" or (expected == "membre" and who == EVERY_ROLE)
        if slug == "valider-avis":  # the page carries the avis it shows
            last = Avis.select().where(Avis.candidature == sent.id).order_by(Avis.id.desc())
            data = dict(data, avis=",".join(str(a.id) for a in last.limit(1)))
        if slug:
            response = client.get(url)
            if expected == "login":
                assert "/admin/login" in response.headers["Location"], url
            elif expected == 404:
                assert response.status_code == 404, url
            elif allowed:
                assert response.status_code == 200, url
                assert numero(sent) in response.get_data(as_text=True)
            else:
                assert response.status_code == 302, url
                assert "/admin/login" not in response.headers["Location"], url
        before = changes()
        response = client.post(url, data=data)
        if expected == "login":
            assert "/admin/login" in response.headers["Location"], url
        elif expected == 404:
            assert response.status_code == 404, url
        assert (changes() > before) == allowed, (url, response.status_code)
    response = client.post("/admin/candidature/action/",
                           data={"action": "statut", "rowid": str(sent.id), "url": LIST})
    assert response.status_code == 302
    assert ("/actions/statut/" in response.headers["Location"]) == (
        expected in ("done", "membre"))


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

def list_filter(app, name, operation=None):
    """The URL argument of one of the list's filters, found by its French name."""
    view = next(v for v in app.extensions["admin"][0]._views
                if getattr(v, "endpoint", None) == "candidature")
    for index, flt in enumerate(view._filters):
        if str(flt.name) == name and (operation is None or str(flt.operation()) == operation):
            return f"flt0_{view.get_filter_arg(index, flt)}"
    raise AssertionError(f"no filter {name} {operation}")


def test_list_columns_filters_and_search(app, world, client, make_compte):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    boursier = Tag.create(libelle="Boursier", couleur="#aa0000")
    CandidatureTag.create(candidature=sent, tag=boursier)
    console_login(client, role="gestionnaire", scope="DSS")
    page = page_text(client, LIST)
    for text in ("N° de dossier", "Statut du dossier", "Type de traitement", "Dernier avis",
                 "Date de transmission", "Tags", "Réceptionné", "Favorable (non validé)",
                 "Accès contrôlé (validé)", "DURAND", "Alix", "Formation M1AES", "Boursier"):
        assert text in page, text
    assert numero(sent) in page_text(client, f"{LIST}?search=DURAND")
    assert numero(sent) not in page_text(client, f"{LIST}?search=BRUNO")
    assert numero(sent) in page_text(client, f"{LIST}?search={numero(sent)}")
    assert numero(sent) in page_text(client, f"{LIST}?search=M1AES")
    assert numero(sent) in page_text(client, f"{LIST}?sort=1&desc=1")
    # Filter 0 is the statut du dossier: RE keeps the transmitted one, not the draft.
    filtered = page_text(client, f"{LIST}?flt0_0=RE")
    assert numero(sent) in filtered and numero(world["draft"]) not in filtered
    # Every listed column has its filter; each keeps `sent` and drops the draft or the reverse.
    second = transmitted(candidate(make_compte, "deux@example.org", nom="ROUX"),
                         world["formation"])
    Candidature.update(type_traitement="AD", type_traitement_valide=False,
                       confirmation="CONFIRME",
                       date_transmission=clock.now() - datetime.timedelta(days=40)).where(
        Candidature.id == second.id).execute()
    Avis.create(candidature=second, type_avis="FA")
    Avis.create(candidature=second, type_avis="DE", valide=True)
    today, long_ago = clock.today(), clock.today() - datetime.timedelta(days=40)
    cases = [  # (filter, operation, value, rows expected among sent / second)
        ("Statut du dossier", None, "RE", {sent, second}),
        ("Type de traitement", None, "AD", {second}),
        ("Type de traitement validé", None, "1", {sent}),
        ("Dernier avis", None, "FA", {sent}),
        ("Dernier avis", None, "DE", {second}),
        ("Dernier avis", None, "AUCUN", set()),
        ("Dernier avis validé", None, "1", {second}),
        ("Dernier avis validé", None, "0", {sent}),
        ("Confirmation", None, "CONFIRME", {second}),
        ("Confirmation", None, "AUCUNE", {sent}),
        ("Date de transmission", "à partir du", today.isoformat(), {sent}),
        ("Date de transmission", "jusqu'au", long_ago.isoformat(), {second}),
        ("Formation", "est", str(world["formation"].id), {sent, second}),
        ("Formation", "est", str(world["other"].formation_id), set()),
        ("Tag", None, str(boursier.id), {sent}),
        ("Alerte SVA", None, "1", {second}),
        ("Alerte SVA", None, "0", {sent}),
    ]
    unfiltered = page_text(client, LIST)
    for name, operation, value, expected in cases:
        shown = page_text(client, f"{LIST}?{list_filter(app, name, operation)}={value}")
        got = {c for c in (sent, second) if numero(c) in shown}
        assert got == expected, (name, operation, value)
        for row in got:  # once: `second` has two avis, nothing joined repeats it
            assert shown.count(numero(row)) == unfiltered.count(numero(row)), name
        assert numero(world["other"]) not in shown
    # The formation and tag filters offer what the user's scope holds, nothing else.
    autre = Tag.create(libelle="Lettres", centre=world["other"].formation.commission.centre)
    page = page_text(client, LIST)
    options = page.split('id="filter-groups-data"')[1].split("</div>")[0]
    assert "Formation M1AES" in options and "Formation LLCE" not in options
    assert "Boursier" in options and autre.libelle not in options


def test_the_sva_alert_colours_a_candidature_waiting_too_long(app, world, client):
    sent = world["sent"]
    console_login(client, role="commission", scope="COM-M1AES")
    assert "sva-alert" not in page_text(client, LIST)
    Candidature.update(date_transmission=clock.now() - datetime.timedelta(days=31)).where(
        Candidature.id == sent.id).execute()
    row = next(r for r in page_text(client, LIST).split("<tr") if numero(sent) in r)
    assert 'class="sva-alert"' in row and "Alerte SVA" in row
    app.config["SVA_ALERT_DAYS"] = 45
    assert "sva-alert" not in page_text(client, LIST)
    app.config["SVA_ALERT_DAYS"] = 30
    Candidature.update(statut="CO").where(Candidature.id == sent.id).execute()
    assert "sva-alert" not in page_text(client, LIST)  # processed: no alert


def add_candidatures(formation, count, start):
    """`count` transmitted candidatures with an avis and a tag, inserted in bulk."""
    from ecandidat.models import Candidat, CompteCandidat
    tag = Tag.get_or_none(Tag.libelle == "Bulk") or Tag.create(libelle="Bulk")
    numbers = range(start, start + count)
    CompteCandidat.insert_many([
        dict(numero_dossier=f"B{n:07d}", nom=f"NOM{n}", prenom="Bulk",
             email=f"bulk{n}@example.org", valide=True) for n in numbers]).execute()
    comptes = {c.numero_dossier: c.id for c in CompteCandidat.select().where(
        CompteCandidat.numero_dossier.in_([f"B{n:07d}" for n in numbers]))}
    Candidat.insert_many([dict(compte=comptes[f"B{n:07d}"], nom_patronymique=f"NOM{n}",
                               prenom="Bulk") for n in numbers]).execute()
    candidats = [c.id for c in Candidat.select().where(
        Candidat.compte.in_(list(comptes.values())))]
    now = clock.now()
    Candidature.insert_many([dict(candidat=c, formation=formation.id, statut="RE",
                                  date_transmission=now, date_reception=now)
                             for c in candidats]).execute()
    ids = [c.id for c in Candidature.select(Candidature.id).where(
        Candidature.candidat.in_(candidats))]
    Avis.insert_many([dict(candidature=i, type_avis="LA") for i in ids]).execute()
    CandidatureTag.insert_many([dict(candidature=i, tag=tag.id) for i in ids]).execute()


def test_the_list_costs_the_same_queries_for_10_and_500_candidatures(app, client):
    formation = open_formation("M1AES")
    console_login(client, role="commission", scope="COM-M1AES")

    def count(url=LIST):
        with counting_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        return counter.count, response.get_data(as_text=True)

    add_candidatures(formation, 10, 0)
    small, page = count()
    assert page.count("NOM") >= 10 and "Bulk" in page
    add_candidatures(formation, 490, 10)
    large, page = count()
    assert large == small and page.count('class="action-checkbox"') == 50
    bulk = Tag.get(Tag.libelle == "Bulk").id
    filtered = f"{LIST}?{list_filter(app, 'Dernier avis')}=LA&{list_filter(app, 'Tag')}={bulk}"
    queries, page = count(filtered)
    assert queries == small and page.count('class="action-checkbox"') == 50


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
    blocked = []  # what the CSP refuses (inline handlers, javascript: links)
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
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
    # A filter from "Ajouter un filtre", without any script the CSP blocks.
    page.get_by_role("button", name="Ajouter un filtre").click()
    page.locator("a.filter", has_text="Dernier avis validé").click()
    page.get_by_role("button", name="Appliquer").click()  # its first option: Oui
    page.wait_for_url("**/admin/candidature/?flt*")
    page.wait_for_load_state("load")
    expect(page.locator("tr", has_text="DURAND")).to_have_count(0)  # no avis validated
    assert blocked == []
    page.get_by_role("link", name="Candidatures", exact=True).click()
    page.wait_for_url("**/admin/candidature/")
    row.get_by_role("link", name=numero(world["sent"])).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DURAND Alix")
    expect(page.get_by_role("link", name="lettre.pdf")).to_be_visible()
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []
