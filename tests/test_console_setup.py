"""The console's set-up (paramétrage) in scope: who reaches which screen and row
(the route sweep against an explicit table), gestionnaires editing their centre,
commissions, formations, pièces and questions — never outside their centre —,
the administrators' screens, uploaded files, and deletes refused when used.

Forms that save are posted with CSRF on, the token taken from the page."""
import datetime
import io
import re

import pytest

from conftest import sign_in
from ecandidat import permissions
from ecandidat.models import (Adresse, Avis, Campagne, Candidat, Candidature, CandidatureTag,
                              Centre, Commission, CommissionMembre, Formation, MotivationAvis,
                              PieceJustificative, Question, ReponseQuestion, StatutDossierParam,
                              Tag, TypeDecision, User)
from ecandidat.storage import stored_path
from ecandidat.users import create_user
from factories import PDF_BYTES, PNG_BYTES, open_formation
from test_console import STRONG, console_login, flashes, page_text

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


def token_of(page):
    match = TOKEN.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True


def a_token(client):
    """A CSRF token of the client's session: the console home's (logout form), or the
    login page's for a visitor who is not a console user."""
    response = client.get("/admin/")
    if response.status_code != 200:
        response = client.get("/admin/login")
    return token_of(response.get_data(as_text=True))


def form_values(page, form_marker="admin-form"):
    """What a browser would send for the form of a console page as it is shown:
    text inputs, checked boxes, selected options, textareas (files excepted)."""
    start = page.index(form_marker)
    form = page[start:page.index("</form>", start)]
    values = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        name = _attr(tag, "name")
        kind = _attr(tag, "type") or "text"
        if not name or kind in ("submit", "file"):
            continue
        if kind == "checkbox":
            if re.search(r"\bchecked\b", tag):
                values[name] = _attr(tag, "value") or "y"
            continue
        values[name] = _attr(tag, "value") or ""
    for name, body in re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>',
                                 form, re.S):
        values[name] = _unescape(body.strip("\r\n"))
    for tag, body in re.findall(r"(<select\b[^>]*>)(.*?)</select>", form, re.S):
        name = _attr(tag, "name")
        chosen = re.findall(r'<option\b[^>]*\bselected\b[^>]*value="([^"]*)"|'
                            r'<option\b[^>]*value="([^"]*)"[^>]*\bselected\b', body)
        chosen = [a or b for a, b in chosen]
        if re.search(r"\bmultiple\b", tag):
            values[name] = chosen
        elif chosen:
            values[name] = chosen[0]
        else:
            first = re.search(r'<option\b[^>]*value="([^"]*)"', body)
            values[name] = first.group(1) if first else ""
    return values


def _attr(tag, name):
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return _unescape(match.group(1)) if match else None


def _unescape(text):
    import html
    return html.unescape(text)


def options_of(page, name):
    """The values offered by the select `name` of a page."""
    match = re.search(rf'<select\b[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, name
    return re.findall(r'<option\b[^>]*value="([^"]*)"', match.group(1))


def field_error(page, name):
    """The error text shown with the field `name` (its invalid-feedback, inside the
    field's own form-group)."""
    start = page.find(f'name="{name}"')
    if start < 0:
        return ""
    end = page.find('class="form-group', start)
    end = len(page) if end < 0 else end
    match = re.search(r'<div class="invalid-feedback">(.*?)</div>', page[start:end], re.S)
    return _unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def edit(client, url, changes=(), files=None):
    """Open a console form, change some values (None: a box unchecked) and send it
    with its CSRF token."""
    page = page_text(client, url)
    data = form_values(page)
    data.update(dict(changes))
    data = {name: value for name, value in data.items() if value is not None}  # unchecked
    for name, value in (files or {}).items():
        data[name] = value
    return client.post(url, data=data, content_type="multipart/form-data")


# --- the world ---------------------------------------------------------------------------

@pytest.fixture
def world(app):
    """Centre DSS (commission COM-M1AES, formation M1AES) and centre LET (COM-LLCE,
    LLCE), each with its pièce, question and tag; a spare row of each kind for
    the deletes; the administrators' rows (common pièce, question and tag, a
    motivation, a type de décision, a campaign)."""
    m1 = open_formation("M1AES")
    let = Centre.create(code="LET", libelle="UFR Lettres")
    llce = open_formation("LLCE", centre=let)
    dss = m1.commission.centre
    rows = {"centre": dss, "commission": m1.commission, "formation": m1}
    rows["piecejustificative"] = PieceJustificative.create(
        code="LM-M1", libelle="Lettre de motivation M1", formation=m1)
    rows["question"] = Question.create(code="Q-M1", libelle="Alternance M1 ?", formation=m1,
                                       type="B")
    rows["tag"] = Tag.create(libelle="Dossier prioritaire DSS", centre=dss)
    rows["motivationavis"] = MotivationAvis.create(code="CAP", libelle="Capacité atteinte")
    rows["typedecision"] = TypeDecision.create(code="FAV", libelle="Admis", type_avis="FA")
    rows["campagne"] = Campagne.create(code="C2030", libelle="Campagne 2030",
                                       date_debut=datetime.date(2030, 1, 1),
                                       date_fin=datetime.date(2030, 12, 31))
    # What another centre owns, and the administrators' common rows.
    PieceJustificative.create(code="LM-LLCE", libelle="Lettre LLCE", formation=llce)
    Tag.create(libelle="Tag Lettres", centre=let)
    PieceJustificative.create(code="ID", libelle="Pièce d'identité commune", partagee=True)
    Question.create(code="Q-COMMUNE", libelle="Question commune ?", type="B")
    Tag.create(libelle="Tag commun")
    # Spares for the deletes: one for the delete button, one for the list action.
    spare = {}
    for n in (1, 2):
        spare[("centre", n)] = Centre.create(code=f"VIDE{n}", libelle=f"Centre vide {n}")
        commission = Commission.create(code=f"COM-VIDE{n}", libelle=f"Commission vide {n}",
                                       centre=dss)
        spare[("commission", n)] = commission
        spare[("formation", n)] = Formation.create(
            code=f"F-VIDE{n}", libelle=f"Formation vide {n}", commission=m1.commission,
            type_diplome=m1.type_diplome, date_debut_depot=m1.date_debut_depot,
            date_fin_depot=m1.date_fin_depot, date_retour=m1.date_retour)
        spare[("piecejustificative", n)] = PieceJustificative.create(
            code=f"P-VIDE{n}", libelle=f"Pièce vide {n}", centre=dss)
        spare[("question", n)] = Question.create(code=f"Q-VIDE{n}", libelle=f"Question {n}",
                                                 centre=dss)
        spare[("tag", n)] = Tag.create(libelle=f"Tag vide {n}", centre=dss)
        spare[("motivationavis", n)] = MotivationAvis.create(code=f"M{n}",
                                                             libelle=f"Motif vide {n}")
        spare[("typedecision", n)] = TypeDecision.create(code=f"TD{n}", libelle=f"Décision {n}",
                                                         type_avis="DE")
        spare[("campagne", n)] = Campagne.create(code=f"CV{n}", libelle=f"Campagne vide {n}",
                                                 date_debut=datetime.date(2031 + n, 1, 1),
                                                 date_fin=datetime.date(2031 + n, 12, 31))
    # Files to download.
    from ecandidat.storage import save_upload
    m1.commission.signature_fichier = save_upload(PNG_BYTES)[0]
    m1.commission.save()
    piece = rows["piecejustificative"]
    piece.fichier_modele, piece.fichier_modele_nom = save_upload(PDF_BYTES)[0], "modele.pdf"
    piece.save()
    return dict(rows=rows, spare=spare, m1=m1, llce=llce, dss=dss, let=let)


# --- who reaches what: the explicit table --------------------------------------------------

# Who signs in: (role, scope code, lecture seule), "candidat", or None (anonymous).
WHO = {
    "anonyme": None,
    "candidat": "candidat",
    "membre d'une autre commission": ("commission", "COM-LLCE", False),
    "gestionnaire d'un autre centre": ("gestionnaire", "LET", False),
    "gestionnaire en lecture seule": ("gestionnaire", "DSS", True),
    "administrateur en lecture seule": ("admin", None, True),
    "membre de la commission": ("commission", "COM-M1AES", False),
    "gestionnaire du centre": ("gestionnaire", "DSS", False),
    "administrateur": ("admin", None, False),
}

# What each one gets, per screen, on: the list, the details of the row of centre DSS
# (or the administrators' row), the create page, its edit page, deleting a spare row
# with the button, deleting another with the list action, its file (signature of
# the commission, fichier modèle of the pièce), an ajax lookup.
#   L  redirected to the console login          R  refused: "Vous n'avez pas accès"
#   S  200, the row shown (list: in it)         E  200, the list without the row
#   N  404                                      X  not offered: sent back, nothing changed
#   D  done: the row is deleted                 -  no such route
COLUMNS = ("list", "details", "new", "edit", "delete", "action", "file", "ajax")
ANON = "L L L L L L {f} L"


_WHO_KEYS = {"membre_autre": "membre d'une autre commission",
             "gest_autre": "gestionnaire d'un autre centre",
             "gest_ro": "gestionnaire en lecture seule",
             "admin_ro": "administrateur en lecture seule",
             "membre": "membre de la commission", "gest": "gestionnaire du centre",
             "admin": "administrateur"}


def _table(file=False, **rows):
    """{who: {column: outcome}} from one line of letters per signed-in user."""
    f = "L" if file else "-"
    table = {"anonyme": ANON.format(f=f), "candidat": ANON.format(f=f)}
    table.update({_WHO_KEYS[key]: outcomes for key, outcomes in rows.items()})
    return {who: dict(zip(COLUMNS, table[who].split(), strict=True)) for who in WHO}


ADMIN_ONLY = _table(membre_autre="R R R R R R - R", gest_autre="R R R R R R - R",
                    gest_ro="R R R R R R - R", admin_ro="S S X X X X - N",
                    membre="R R R R R R - R", gest="R R R R R R - R",
                    admin="S S S S D D - N")

REACH = {
    "campagne": ADMIN_ONLY,
    "typedecision": ADMIN_ONLY,
    "motivationavis": ADMIN_ONLY,
    # The gestionnaire edits their centre; creating or deleting a centre is the
    # administrators' (the spare centres are nobody's but theirs).
    "centre": _table(membre_autre="R R R R R R - R", gest_autre="E N X N X N - N",
                     gest_ro="S S X X X N - N", admin_ro="S S X X X X - N",
                     membre="R R R R R R - R", gest="S S X S X N - N",
                     admin="S S S S D D - N"),
    # Membres see their commission's (and formations') set-up, read-only (the
    # spare commissions are not theirs: the action answers 404).
    "commission": _table(True, membre_autre="E N X X X N N N", gest_autre="E N S N N N N N",
                         gest_ro="S S X X X X S N", admin_ro="S S X X X X S N",
                         membre="S S X X X N S N", gest="S S S S D D S N",
                         admin="S S S S D D S N"),
    "formation": _table(membre_autre="E N X X X N - N", gest_autre="E N S N N N - N",
                        gest_ro="S S X X X X - N", admin_ro="S S X X X X - N",
                        membre="S S X X X X - N", gest="S S S S D D - N",
                        admin="S S S S D D - N"),
    "piecejustificative": _table(True, membre_autre="R R R R R R R R",
                                 gest_autre="E N S N N N N N", gest_ro="S S X X X X S N",
                                 admin_ro="S S X X X X S N", membre="R R R R R R R R",
                                 gest="S S S S D D S N", admin="S S S S D D S N"),
    "question": _table(membre_autre="R R R R R R - R", gest_autre="E N S N N N - N",
                       gest_ro="S S X X X X - N", admin_ro="S S X X X X - N",
                       membre="R R R R R R - R", gest="S S S S D D - N",
                       admin="S S S S D D - N"),
    "tag": _table(membre_autre="R R R R R R - R", gest_autre="E N S N N N - N",
                  gest_ro="S S X X X X - N", admin_ro="S S X X X X - N",
                  membre="R R R R R R - R", gest="S S S S D D - N",
                  admin="S S S S D D - N"),
}
FILES = {"commission": "signature", "piecejustificative": "modele"}
# The statuts visibles des commissions: one page (GET) and its form (POST).
STATUTS = {"anonyme": "L L", "candidat": "L L", "membre d'une autre commission": "R R",
           "gestionnaire d'un autre centre": "R R", "gestionnaire en lecture seule": "R R",
           "administrateur en lecture seule": "S X", "membre de la commission": "R R",
           "gestionnaire du centre": "R R", "administrateur": "S D"}


def sign_in_as(client, who, make_compte):
    if who is None:
        return
    if who == "candidat":
        compte, _ = make_compte(email="visiteur@example.org")
        sign_in(client, compte)
        return
    role, scope, lecture_seule = who
    console_login(client, role=role, scope=scope, lecture_seule=lecture_seule,
                  email=f"{role}-{scope or 'tout'}@example.org".lower())


def _label(row):
    return getattr(row, "libelle")


def _exists(row):
    model = type(row)
    return model.select().where(model.id == row.id).exists()


def check(outcome, response, what, row=None, gone=None):
    """Compare a response (and the database) with an outcome letter of the table."""
    status, location = response.status_code, response.headers.get("Location", "")
    page = response.get_data().decode("utf-8", "replace")
    if outcome == "L":
        assert status == 302 and "/admin/login" in location, (what, status, location)
    elif outcome == "R":
        assert status == 302 and location.rstrip("/").endswith("/admin"), (what, status,
                                                                           location)
    elif outcome == "N":
        assert status == 404, (what, status)
        if row is not None:
            assert _label(row) not in page, what
    elif outcome in ("S", "E"):
        assert status == 200, (what, status)
        if row is not None:
            assert (_label(row) in page) == (outcome == "S"), what
    elif outcome == "X":
        assert status in (302, 400), (what, status)
        assert "/admin/login" not in location, what
    elif outcome == "D":
        assert status == 302, (what, status)
    if gone is not None:
        assert _exists(gone) == (outcome != "D"), (what, outcome)


@pytest.mark.parametrize("name", list(WHO))
def test_route_sweep(name, app, world, client, make_compte):
    sign_in_as(client, WHO[name], make_compte)
    csrf_on(app)
    token = a_token(client)
    for endpoint, table in REACH.items():
        expected = table[name]
        row, base = world["rows"][endpoint], f"/admin/{endpoint}"
        first, second = world["spare"][(endpoint, 1)], world["spare"][(endpoint, 2)]

        def where(column):
            return f"{endpoint} {column} as {name}"
        check(expected["list"], client.get(f"{base}/"), where("list"), row)
        check(expected["details"], client.get(f"{base}/details/?id={row.id}"),
              where("details"), row if expected["details"] == "N" else None)
        check(expected["new"], client.get(f"{base}/new/"), where("new"))
        check(expected["edit"], client.get(f"{base}/edit/?id={row.id}"), where("edit"),
              row if expected["edit"] == "N" else None)
        if expected["edit"] == "S":
            assert _label(row) in page_text(client, f"{base}/edit/?id={row.id}")
        check(expected["delete"], client.post(f"{base}/delete/", data={
            "id": first.id, "csrf_token": token}), where("delete"), gone=first)
        check(expected["action"], client.post(f"{base}/action/", data={
            "action": "delete", "rowid": [second.id], "csrf_token": token}),
            where("action"), gone=second)
        if endpoint in FILES:
            response = client.get(f"{base}/{row.id}/{FILES[endpoint]}")
            check(expected["file"], response, where("file"))
            if expected["file"] == "S":
                assert response.data == (PNG_BYTES if endpoint == "commission" else PDF_BYTES)
                assert response.headers["Cache-Control"] == "no-store"
        check(expected["ajax"], client.get(f"{base}/ajax/lookup/?name=centre&query=U"),
              where("ajax"))
    # What a role may not change is unchanged: the rows shown are all still there.
    for endpoint, row in world["rows"].items():
        assert _exists(row), endpoint
    # Statuts visibles des commissions.
    on_page, on_post = STATUTS[name].split()
    check(on_page, client.get("/admin/statutscommission/"), "statuts page")
    response = client.post("/admin/statutscommission/", data={"csrf_token": token, "RE": "y",
                                                               "IN": "y"})
    check("X" if on_post == "X" else on_post, response, "statuts post")
    hidden = [row.code for row in StatutDossierParam.select().where(
        ~StatutDossierParam.visible_commission)]
    assert hidden == (["CO"] if on_post == "D" else []), name


def test_the_sweep_table_covers_every_set_up_view(app):
    """A set-up view added to the console without a line in the table fails here."""
    from views.admin.setup_base import SetupView
    admin = app.extensions["admin"][0]
    setup = {view.endpoint for view in admin._views if isinstance(view, SetupView)}
    assert setup == set(REACH)


def test_an_out_of_scope_id_is_refused_on_every_route_even_forged(app, world, client):
    console_login(client, role="gestionnaire", scope="LET")
    csrf_on(app)
    token = a_token(client)
    m1 = world["m1"]
    for url in (f"/admin/formation/edit/?id={m1.id}", f"/admin/formation/details/?id={m1.id}",
                "/admin/formation/edit/?id=abc", "/admin/formation/details/?id=999999"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/admin/formation/edit/?id={m1.id}", data={
        "csrf_token": token, "libelle": "Piratée"})
    assert response.status_code == 404
    # A selection mixing a row in scope and one outside is refused as a whole.
    mine = world["llce"]
    Formation.update(date_debut_depot=mine.date_debut_depot).execute()
    response = client.post("/admin/formation/action/", data={
        "action": "delete", "rowid": [mine.id, m1.id], "csrf_token": token})
    assert response.status_code == 404
    assert Formation.get_by_id(m1.id).libelle == "Formation M1AES"
    assert _exists(mine)


def test_lists_and_counts_stay_in_scope(app, world, client):
    console_login(client, role="gestionnaire", scope="DSS")
    pieces = page_text(client, "/admin/piecejustificative/")
    assert "Lettre de motivation M1" in pieces and "Pièce vide 1" in pieces
    assert "Lettre LLCE" not in pieces and "Pièce d&#39;identité commune" not in pieces
    questions = page_text(client, "/admin/question/")
    assert "Alternance M1" in questions and "Question commune" not in questions
    tags = page_text(client, "/admin/tag/")
    assert "Dossier prioritaire DSS" in tags
    assert "Tag Lettres" not in tags and "Tag commun" not in tags
    commissions = page_text(client, "/admin/commission/")
    assert "Commission M1AES" in commissions and "Commission LLCE" not in commissions
    # The view's count (get_count_query) is the scope's count, as is its query.
    admin = client.application.extensions["admin"][0]
    view = next(v for v in admin._views if v.endpoint == "piecejustificative")
    with client.application.test_request_context():
        from flask_login import login_user
        login_user(User.get(User.role == "gestionnaire"))
        assert view.get_count_query().count() == view.get_query().count() == 3
        assert {row.code for row in view.get_query()} == {"LM-M1", "P-VIDE1", "P-VIDE2"}


def test_visible_setup_rows_of_each_role(world):
    gestionnaire = permissions.Scope(role="gestionnaire", centres=frozenset({world["dss"].id}),
                                     commissions=frozenset(c.id for c in Commission.select()
                                                           .where(Commission.centre ==
                                                                  world["dss"].id)),
                                     read_only=False)
    codes = {p.code for p in permissions.visible_setup_rows(
        gestionnaire, PieceJustificative.select(), PieceJustificative)}
    assert codes == {"LM-M1", "P-VIDE1", "P-VIDE2"}
    everything = permissions.Scope(role="admin", all=True, read_only=False)
    assert permissions.visible_setup_rows(everything, PieceJustificative.select(),
                                          PieceJustificative).count() == 5
    assert not permissions.visible_setup_rows(permissions.NOTHING, Tag.select(), Tag).exists()
    membre = permissions.Scope(role="commission",
                               commissions=frozenset({world["m1"].commission_id}))
    for model in (PieceJustificative, Question, Tag, MotivationAvis):
        assert not permissions.visible_setup_rows(membre, model.select(), model).exists()
    assert not permissions.visible_to_administrators(gestionnaire, Campagne.select(),
                                                     Campagne).exists()


# --- a gestionnaire edits their formation ----------------------------------------------------

@pytest.fixture
def gestionnaire(app, world, client):
    """The client signed in as the gestionnaire of centre DSS, CSRF checks on."""
    console_login(client, role="gestionnaire", scope="DSS")
    csrf_on(app)
    return client


def test_a_gestionnaire_edits_their_formation(world, gestionnaire):
    m1 = world["m1"]
    decision = world["rows"]["typedecision"]
    campagne = world["rows"]["campagne"]
    start = m1.date_debut_depot
    response = edit(gestionnaire, f"/admin/formation/edit/?id={m1.id}", {
        "libelle": "Master AES", "demat": "0", "type_traitement": "AD", "capacite": "35",
        "liste_complementaire": "y", "delai_confirmation": "8",
        "type_decision_fav": str(decision.id), "type_decision_fav_lc": str(decision.id),
        "campagne": str(campagne.id),
        "date_jury": (start + datetime.timedelta(days=40)).isoformat(),
        "date_publication": (start + datetime.timedelta(days=45)).isoformat()})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    saved = Formation.get_by_id(m1.id)
    assert (saved.libelle, saved.demat, saved.type_traitement, saved.capacite) == (
        "Master AES", False, "AD", 35)
    assert saved.liste_complementaire and saved.delai_confirmation == 8
    assert saved.type_decision_fav_id == saved.type_decision_fav_lc_id == decision.id
    assert saved.campagne_id == campagne.id
    assert saved.date_jury == start + datetime.timedelta(days=40)
    assert "Dossier papier" in page_text(gestionnaire, f"/admin/formation/details/?id={m1.id}")


def test_dates_out_of_order_are_refused_next_to_the_field(world, gestionnaire):
    m1 = world["m1"]
    before = Formation.get_by_id(m1.id).__data__
    late = m1.date_debut_depot - datetime.timedelta(days=1)
    response = edit(gestionnaire, f"/admin/formation/edit/?id={m1.id}", {
        "libelle": "Changé", "date_fin_depot": late.isoformat()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "date_fin_depot") == (
        "La date de fin de dépôt doit être postérieure ou égale à la date de début de dépôt.")
    assert "Enregistrement impossible" in flashes(page)
    assert Formation.get_by_id(m1.id).__data__ == before


def test_a_formation_cannot_move_to_another_centre(world, gestionnaire):
    m1, other = world["m1"], world["llce"].commission
    url = f"/admin/formation/edit/?id={m1.id}"
    offered = options_of(page_text(gestionnaire, url), "commission")
    assert str(other.id) not in offered and str(m1.commission_id) in offered
    assert set(offered) == {str(c.id) for c in Commission.select().where(
        Commission.centre == world["dss"].id)}
    response = edit(gestionnaire, url, {"commission": str(other.id), "libelle": "Volée"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "commission") == "N'est pas un choix valide."
    assert Formation.get_by_id(m1.id).commission_id == m1.commission_id
    # Nor be created there.
    response = edit(gestionnaire, "/admin/formation/new/", {
        "code": "NEUVE", "libelle": "Neuve", "commission": str(other.id)})
    assert response.status_code == 200
    assert not Formation.select().where(Formation.code == "NEUVE").exists()


def test_the_scope_is_checked_again_on_save(world, gestionnaire, monkeypatch):
    """Past the select (whatever lets a value through), the save refuses it too."""
    from views.admin import setup_base
    m1, other = world["m1"], world["llce"].commission
    page = page_text(gestionnaire, f"/admin/formation/edit/?id={m1.id}")
    data = dict(form_values(page), commission=str(other.id))
    original = setup_base.SetupView.adapt_form

    def everything_offered(self, form, obj):  # the select lists every commission
        form = original(self, form, obj)
        if "commission" in form:
            form.commission.query = Commission.select()
        return form
    monkeypatch.setattr(setup_base.SetupView, "adapt_form", everything_offered)
    response = gestionnaire.post(f"/admin/formation/edit/?id={m1.id}", data=data)
    assert field_error(response.get_data(as_text=True), "commission") == \
        "Choisissez une valeur de la liste."
    assert Formation.get_by_id(m1.id).commission_id == m1.commission_id


def test_a_new_formation_starts_from_its_centre_defaults(world, gestionnaire):
    dss = world["dss"]
    dss.date_debut_depot, dss.date_fin_depot = datetime.date(2031, 3, 1), datetime.date(2031, 4, 1)
    dss.date_retour, dss.demat_defaut = datetime.date(2031, 5, 1), False
    dss.save()
    page = page_text(gestionnaire, "/admin/formation/new/")
    values = form_values(page)
    assert (values["date_debut_depot"], values["date_retour"], values["demat"]) == (
        "2031-03-01", "2031-05-01", "0")
    response = edit(gestionnaire, "/admin/formation/new/", {
        "code": "M2AES", "libelle": "Master 2 AES",
        "commission": str(world["m1"].commission_id)})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    created = Formation.get(Formation.code == "M2AES")
    assert created.date_fin_depot == datetime.date(2031, 4, 1) and not created.demat


def test_a_read_only_gestionnaire_changes_nothing(app, world, client):
    console_login(client, role="gestionnaire", scope="DSS", lecture_seule=True)
    csrf_on(app)
    m1 = world["m1"]
    token = a_token(client)
    data = {"csrf_token": token, "code": m1.code, "libelle": "Changée",
            "commission": m1.commission_id, "type_diplome": m1.type_diplome_id}
    client.post(f"/admin/formation/edit/?id={m1.id}", data=data)
    client.post("/admin/formation/new/", data=dict(data, code="NEW"))
    client.post(f"/admin/centre/edit/?id={world['dss'].id}", data={
        "csrf_token": token, "nb_max_voeux": "1"})
    assert Formation.get_by_id(m1.id).libelle == "Formation M1AES"
    assert not Formation.select().where(Formation.code == "NEW").exists()
    assert Centre.get_by_id(world["dss"].id).nb_max_voeux is None


# --- their centre -------------------------------------------------------------------------

def test_a_gestionnaire_edits_their_centre_but_not_its_code(world, gestionnaire):
    dss = world["dss"]
    url = f"/admin/centre/edit/?id={dss.id}"
    page = page_text(gestionnaire, url)
    assert 'name="code"' not in page and 'name="libelle"' not in page
    response = edit(gestionnaire, url, {
        "code": "PIRATE", "libelle": "Autre", "nb_max_voeux": "4",
        "mail_contact": "scol-dss@example.org", "informations": "Ouvert le lundi",
        "date_debut_depot": "2031-03-01", "date_fin_depot": "2031-04-01"})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    saved = Centre.get_by_id(dss.id)
    assert (saved.code, saved.libelle) == ("DSS", dss.libelle)
    assert (saved.nb_max_voeux, saved.mail_contact, saved.informations) == (
        4, "scol-dss@example.org", "Ouvert le lundi")
    response = edit(gestionnaire, url, {"date_fin_depot": "2031-02-01",
                                        "mail_contact": "pas une adresse"})
    page = response.get_data(as_text=True)
    assert field_error(page, "mail_contact") == "Cette adresse mail n'est pas valide."
    response = edit(gestionnaire, url, {"date_fin_depot": "2031-02-01"})
    assert field_error(response.get_data(as_text=True), "date_fin_depot").startswith(
        "La date de fin de dépôt doit être postérieure")
    assert Centre.get_by_id(dss.id).date_fin_depot == datetime.date(2031, 4, 1)


def test_a_gestionnaire_cannot_create_a_centre(world, gestionnaire):
    token = a_token(gestionnaire)
    response = gestionnaire.post("/admin/centre/new/", data={
        "csrf_token": token, "code": "NOUVEAU", "libelle": "Nouveau centre"})
    assert response.status_code == 302
    assert not Centre.select().where(Centre.code == "NOUVEAU").exists()


# --- commissions: members, address, signature ------------------------------------------------

def test_a_gestionnaire_sets_members_president_and_address(world, gestionnaire):
    commission = world["m1"].commission
    alix, _ = create_user("alix@example.org", "commission", scope=commission.code,
                          password=STRONG)
    # Offered: membres of the centre's commissions and membres of none yet; not those
    # of another centre (their names and addresses are not the gestionnaire's).
    ailleurs, _ = create_user("ailleurs@example.org", "commission", scope="COM-LLCE",
                              password=STRONG)
    noe, _ = create_user("noe@example.org", "commission", scope=commission.code,
                         password=STRONG)
    CommissionMembre.delete().where(CommissionMembre.user == noe.id).execute()
    url = f"/admin/commission/edit/?id={commission.id}"
    page = page_text(gestionnaire, url)
    assert form_values(page)["membres"] == [str(alix.id)]
    assert "noe@example.org" in page and "ailleurs@example.org" not in page
    response = edit(gestionnaire, url, {"membres": [str(alix.id), str(ailleurs.id)]})
    assert field_error(response.get_data(as_text=True), "membres")
    assert form_values(page)["adresse_ligne1"] == "2 rue Jean Carbonnier"
    response = edit(gestionnaire, url, {
        "membres": [str(alix.id), str(noe.id)], "presidents": [str(noe.id)],
        "signataire": "La présidente du jury", "mail_alerte": "alertes@example.org",
        "alerte_annulation": None, "adresse_ligne1": "15 rue de l'Hôtel Dieu",
        "adresse_code_postal": "86000", "adresse_ville": "Poitiers"})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    members = {(m.user_id, m.president) for m in CommissionMembre.select().where(
        CommissionMembre.commission == commission.id)}
    assert members == {(alix.id, False), (noe.id, True)}
    saved = Commission.get_by_id(commission.id)
    assert (saved.signataire, saved.mail_alerte) == ("La présidente du jury",
                                                     "alertes@example.org")
    assert not saved.alerte_annulation and saved.alerte_transmission
    assert saved.adresse.lines() == ["15 rue de l'Hôtel Dieu", "86000 Poitiers"]
    assert Adresse.select().count() == 2  # the commissions' own rows, edited in place
    details = page_text(gestionnaire, f"/admin/commission/details/?id={commission.id}")
    assert "noe@example.org" in details and "président" in details
    # A président who is not a member, and a member who is not a membre de commission.
    response = edit(gestionnaire, url, {"membres": [str(alix.id)], "presidents": [str(noe.id)]})
    assert field_error(response.get_data(as_text=True), "presidents") == \
        "Un président doit aussi être membre de la commission."
    gestion = User.get(User.role == "gestionnaire")
    response = edit(gestionnaire, url, {"membres": [str(gestion.id)]})
    assert field_error(response.get_data(as_text=True), "membres")
    assert CommissionMembre.select().where(CommissionMembre.commission == commission.id,
                                           CommissionMembre.president).count() == 1


def test_a_commission_cannot_be_created_in_another_centre(world, gestionnaire):
    page = page_text(gestionnaire, "/admin/commission/new/")
    assert options_of(page, "centre") == [str(world["dss"].id)]
    response = edit(gestionnaire, "/admin/commission/new/", {
        "code": "COM-X", "libelle": "Commission X", "centre": str(world["let"].id)})
    assert field_error(response.get_data(as_text=True), "centre") == \
        "N'est pas un choix valide."
    assert not Commission.select().where(Commission.code == "COM-X").exists()
    response = edit(gestionnaire, "/admin/commission/new/", {
        "code": "COM-X", "libelle": "Commission X", "centre": str(world["dss"].id)})
    assert response.status_code == 302
    assert Commission.get(Commission.code == "COM-X").centre_id == world["dss"].id


def test_the_signature_image_is_checked_stored_privately_and_served_in_scope(
        app, world, gestionnaire):
    commission = world["m1"].commission
    old = Commission.get_by_id(commission.id).signature_fichier
    url = f"/admin/commission/edit/?id={commission.id}"
    for fake, name in ((b"GIF89a pas une image", "signature.png"),
                       (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "signature.png"),
                       (PDF_BYTES, "signature.pdf")):
        response = edit(gestionnaire, url, {"signataire": "Changé"},
                        files={"signature_upload": (io.BytesIO(fake), name)})
        assert response.status_code == 200, name
        assert field_error(response.get_data(as_text=True), "signature_upload"), name
        assert Commission.get_by_id(commission.id).signature_fichier == old
        assert Commission.get_by_id(commission.id).signataire is None
    import os
    assert sorted(os.listdir(app.config["UPLOAD_FOLDER"])) == sorted(
        [old, PieceJustificative.get(PieceJustificative.code == "LM-M1").fichier_modele])
    other_png = _png("darkred")
    response = edit(gestionnaire, url, files={
        "signature_upload": (io.BytesIO(other_png), "signature.png")})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    stored = Commission.get_by_id(commission.id).signature_fichier
    assert stored != old and stored.endswith(".png")
    with open(stored_path(stored), "rb") as handle:
        assert handle.read() == other_png
    assert not os.path.exists(stored_path(old))  # the replaced image is gone
    assert "static" not in app.config["UPLOAD_FOLDER"]
    download = gestionnaire.get(f"/admin/commission/{commission.id}/signature")
    assert download.status_code == 200 and download.data == other_png
    assert download.mimetype == "image/png"
    details = page_text(gestionnaire, f"/admin/commission/details/?id={commission.id}")
    assert f'src="/admin/commission/{commission.id}/signature"' in details
    # Removing it.
    response = edit(gestionnaire, url, {"signature_supprimer": "y"})
    assert response.status_code == 302
    assert Commission.get_by_id(commission.id).signature_fichier is None
    assert not os.path.exists(stored_path(stored))
    assert gestionnaire.get(f"/admin/commission/{commission.id}/signature").status_code == 404


def test_the_signature_is_downloadable_only_in_scope(app, world, client):
    commission = world["m1"].commission
    url = f"/admin/commission/{commission.id}/signature"
    console_login(client, role="gestionnaire", scope="LET")
    assert client.get(url).status_code == 404
    other = app.test_client()
    console_login(other, role="commission", scope=commission.code)
    assert other.get(url).data == PNG_BYTES


def _png(colour):
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


# --- pièces justificatives and questions ----------------------------------------------------

def test_the_fichier_modele_is_uploaded_and_downloaded(app, world, gestionnaire, make_compte):
    piece = world["spare"][("piecejustificative", 1)]
    url = f"/admin/piecejustificative/edit/?id={piece.id}"
    response = edit(gestionnaire, url, {"conditionnelle": "y", "ordre": "3"}, files={
        "fichier_modele_upload": (io.BytesIO(PDF_BYTES), "../Modèle CV.pdf")})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    saved = PieceJustificative.get_by_id(piece.id)
    assert saved.fichier_modele and saved.fichier_modele_nom == "Modèle CV.pdf"
    assert saved.conditionnelle and saved.ordre == 3
    download = gestionnaire.get(f"/admin/piecejustificative/{piece.id}/modele")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert "attachment" in download.headers["Content-Disposition"]
    # The candidates download it from their side.
    candidate = app.test_client()
    compte, _ = make_compte(email="cand@example.org")
    sign_in(candidate, compte)
    assert candidate.get(f"/candidatures/modele/{piece.id}").data == PDF_BYTES
    # A file that is not a PDF, a JPEG or a PNG is refused next to the field.
    response = edit(gestionnaire, url, files={
        "fichier_modele_upload": (io.BytesIO(b"<html>modele</html>"), "modele.pdf")})
    assert "Ce type de fichier n'est pas accepté" in field_error(
        response.get_data(as_text=True), "fichier_modele_upload")
    response = edit(gestionnaire, url, {"fichier_modele_supprimer": "y"})
    assert response.status_code == 302
    assert PieceJustificative.get_by_id(piece.id).fichier_modele is None
    assert gestionnaire.get(f"/admin/piecejustificative/{piece.id}/modele").status_code == 404


def test_a_gestionnaire_creates_pieces_of_their_centre_only(world, gestionnaire):
    new = "/admin/piecejustificative/new/"
    page = page_text(gestionnaire, new)
    assert set(options_of(page, "centre")) == {"__None", str(world["dss"].id)}
    assert str(world["llce"].id) not in options_of(page, "formation")
    cases = (({"centre": "__None", "formation": "__None"}, "centre",
              "les éléments communs à toutes les formations sont réservés aux administrateurs"),
             ({"formation": str(world["llce"].id)}, "formation", "N'est pas un choix valide."),
             ({"centre": str(world["let"].id)}, "centre", "N'est pas un choix valide."),
             ({"centre": str(world["dss"].id), "formation": str(world["m1"].id)}, "formation",
              "Choisissez un centre ou une formation, pas les deux."))
    for changes, field, message in cases:
        response = edit(gestionnaire, new, {"code": "RIB", "libelle": "RIB", **changes})
        assert message in field_error(response.get_data(as_text=True), field), changes
        assert not PieceJustificative.select().where(PieceJustificative.code == "RIB").exists()
    response = edit(gestionnaire, new, {"code": "RIB", "libelle": "RIB", "partagee": "y",
                                        "formation": str(world["m1"].id),
                                        "type_traitement": "AC"})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    rib = PieceJustificative.get(PieceJustificative.code == "RIB")
    assert (rib.formation_id, rib.centre_id, rib.partagee, rib.type_traitement) == (
        world["m1"].id, None, True, "AC")
    # Moving an existing piece of theirs to another centre is refused the same way.
    piece = world["rows"]["piecejustificative"]
    response = edit(gestionnaire, f"/admin/piecejustificative/edit/?id={piece.id}", {
        "formation": str(world["llce"].id)})
    assert response.status_code == 200
    assert PieceJustificative.get_by_id(piece.id).formation_id == world["m1"].id


def test_an_administrator_creates_common_pieces_and_questions(app, world, client):
    console_login(client)
    csrf_on(app)
    response = edit(client, "/admin/piecejustificative/new/", {
        "code": "BAC", "libelle": "Relevé de notes du bac", "type_traitement": ""})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    bac = PieceJustificative.get(PieceJustificative.code == "BAC")
    assert (bac.centre_id, bac.formation_id, bac.type_traitement) == (None, None, None)
    response = edit(client, "/admin/question/new/", {
        "code": "Q-ALT", "libelle": "Rythme souhaité ?", "type": "C", "choix": ""})
    assert field_error(response.get_data(as_text=True), "choix") == \
        "Indiquez les choix possibles, un par ligne."
    response = edit(client, "/admin/question/new/", {
        "code": "Q-ALT", "libelle": "Rythme souhaité ?", "type": "C",
        "choix": "Alternance\nInitiale"})
    assert response.status_code == 302
    assert Question.get(Question.code == "Q-ALT").options() == ["Alternance", "Initiale"]
    response = edit(client, "/admin/question/new/", {"code": "Q-Z", "libelle": "Z", "type": "Z"})
    assert field_error(response.get_data(as_text=True), "type") == "N'est pas un choix valide."


def test_a_gestionnaire_edits_the_questions_of_their_formations(world, gestionnaire):
    question = world["rows"]["question"]
    response = edit(gestionnaire, f"/admin/question/edit/?id={question.id}", {
        "libelle": "En alternance ?", "obligatoire": None, "actif": None})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    saved = Question.get_by_id(question.id)
    assert (saved.libelle, saved.obligatoire, saved.actif) == ("En alternance ?", False, False)


# --- tags, motivations, types de décision, statuts ------------------------------------------

def test_tags_of_a_centre(world, gestionnaire):
    new = "/admin/tag/new/"
    assert options_of(page_text(gestionnaire, new), "centre") == [str(world["dss"].id)]
    response = edit(gestionnaire, new, {"libelle": "À relancer", "couleur": "#aa0000",
                                        "centre": str(world["let"].id)})
    assert field_error(response.get_data(as_text=True), "centre")
    response = edit(gestionnaire, new, {"libelle": "À relancer", "couleur": "rouge"})
    assert field_error(response.get_data(as_text=True), "couleur") == \
        "Choisissez une couleur (#rrvvbb)."
    assert not Tag.select().where(Tag.libelle == "À relancer").exists()
    response = edit(gestionnaire, new, {"libelle": "À relancer", "couleur": "#aa0000"})
    assert response.status_code == 302
    assert Tag.get(Tag.libelle == "À relancer").centre_id == world["dss"].id


def test_an_administrator_edits_types_de_decision_and_motivations(app, world, client):
    console_login(client)
    csrf_on(app)
    new = "/admin/typedecision/new/"
    assert options_of(page_text(client, new), "type_avis") == ["FA", "DE", "LC", "LA", "PR"]
    response = edit(client, new, {"code": "LC1", "libelle": "Liste complémentaire",
                                  "type_avis": "XX"})
    assert field_error(response.get_data(as_text=True), "type_avis") == \
        "N'est pas un choix valide."
    response = edit(client, new, {"code": "LC1", "libelle": "Liste complémentaire",
                                  "type_avis": "LC"})
    assert response.status_code == 302
    assert TypeDecision.get(TypeDecision.code == "LC1").type_avis == "LC"
    assert "Liste complémentaire" in page_text(client, "/admin/typedecision/")
    response = edit(client, "/admin/motivationavis/new/", {
        "code": "NIV", "libelle": "Niveau insuffisant", "centre": str(world["let"].id)})
    assert response.status_code == 302
    assert MotivationAvis.get(MotivationAvis.code == "NIV").centre_id == world["let"].id


def test_which_statuts_commissions_see(app, world, client):
    membre, _ = create_user("membre@example.org", "commission", scope="COM-M1AES",
                            password=STRONG)
    assert permissions.scope_of(membre).statuts == ("RE", "CO", "IN")
    console_login(client)
    csrf_on(app)
    page = page_text(client, "/admin/statutscommission/")
    assert "Jamais" in page and 'name="AT"' not in page
    response = client.post("/admin/statutscommission/", data={
        "csrf_token": token_of(page), "RE": "y", "IN": "y", "AT": "y"})
    assert response.status_code == 302
    assert permissions.scope_of(membre).statuts == ("RE", "IN")
    page = page_text(client, "/admin/statutscommission/")
    assert form_values(page, "console-statuts") == {"csrf_token": token_of(page), "RE": "y",
                                                    "IN": "y"}
    # Without a valid token nothing changes, and the page says why.
    response = client.post("/admin/statutscommission/", data={"RE": "y", "CO": "y", "IN": "y"})
    assert "Votre session a expiré" in flashes(response.get_data(as_text=True))
    assert permissions.scope_of(membre).statuts == ("RE", "IN")


# --- deletes refused when candidate data uses the row ------------------------------------------

def _candidature(formation, make_compte):
    compte, _ = make_compte(email="used@example.org")
    candidat = Candidat.create(compte=compte, nom_patronymique="DURAND", prenom="Alix")
    return Candidature.create(candidat=candidat, formation=formation)


def test_deletes_are_refused_when_used(app, world, client, make_compte):
    console_login(client)
    csrf_on(app)
    token = a_token(client)
    candidature = _candidature(world["m1"], make_compte)
    rows = world["rows"]
    CandidatureTag.create(candidature=candidature, tag=rows["tag"])
    Avis.create(candidature=candidature, type_avis="DE", motivation=rows["motivationavis"],
                type_decision=world["spare"][("typedecision", 1)])
    ReponseQuestion.create(candidature=candidature, question=rows["question"], reponse="Oui")
    Formation.update(type_decision_fav=rows["typedecision"]).where(
        Formation.id == world["llce"].id).execute()
    cases = {
        "tag": (rows["tag"], "1 candidature portant ce tag"),
        "motivationavis": (rows["motivationavis"], "1 avis"),
        "typedecision": (world["spare"][("typedecision", 1)], "1 avis"),
        "question": (rows["question"], "1 réponse de candidat"),
    }
    for endpoint, (row, usage) in cases.items():
        for data in ({"id": row.id}, {"action": "delete", "rowid": [row.id]}):
            path = f"/admin/{endpoint}/{'delete' if 'id' in data else 'action'}/"
            response = client.post(path, data={**data, "csrf_token": token},
                                   follow_redirects=True)
            message = flashes(response.get_data(as_text=True))
            assert "des candidatures l'utilisent" in message and usage in message, (path,
                                                                                   message)
            assert "Désactivez-le" in message
            assert _exists(row), path
    # A type de décision a formation names: the formation is named, not its candidatures.
    response = client.post("/admin/typedecision/delete/", data={
        "id": rows["typedecision"].id, "csrf_token": token}, follow_redirects=True)
    assert "encore utilisé par 1 formation" in flashes(response.get_data(as_text=True))
    assert _exists(rows["typedecision"])
    assert CandidatureTag.select().count() == 1 and Avis.select().count() == 1


def test_a_campaign_ending_before_it_starts_is_refused(app, world, client):
    console_login(client)
    csrf_on(app)
    campagne = world["rows"]["campagne"]
    response = edit(client, f"/admin/campagne/edit/?id={campagne.id}", {
        "date_fin": "2029-12-31"})
    assert field_error(response.get_data(as_text=True), "date_fin") == \
        "La fin de la campagne doit être postérieure ou égale à son début."
    assert Campagne.get_by_id(campagne.id).date_fin == datetime.date(2030, 12, 31)


@pytest.mark.parametrize("role, scope", [("admin", None), ("gestionnaire", "DSS")])
def test_every_set_up_list_sorts_searches_and_filters(app, world, client, role, scope):
    console_login(client, role=role, scope=scope)
    admin = app.extensions["admin"][0]
    from views.admin.setup_base import SetupView
    for view in admin._views:
        if not isinstance(view, SetupView) or role not in view.roles:
            continue
        base = f"/admin/{view.endpoint}/"
        for index in range(len(view._list_columns)):
            for desc in ("0", "1"):
                assert client.get(f"{base}?sort={index}&desc={desc}").status_code == 200, (
                    view.endpoint, index)
        assert client.get(f"{base}?search=M1").status_code == 200, view.endpoint
        if view._filters:
            assert client.get(f"{base}?flt0_0=1").status_code == 200, view.endpoint
