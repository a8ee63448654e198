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
from ecandidat import clock, permissions
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
    """The error text shown right after the input `name` (its invalid-feedback)."""
    match = re.search(rf'name="{name}"[^>]*>\s*<div class="invalid-feedback">(.*?)</div>',
                      page, re.S)
    return _unescape(re.sub(r"<[^>]+>|\s+", " ", match.group(1))).strip() if match else ""


def edit(client, url, changes=(), files=None):
    """Open a console form, change some values and send it with its CSRF token."""
    page = page_text(client, url)
    data = form_values(page)
    data.update(dict(changes))
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
    membre = permissions.Scope(role="commission", commissions=frozenset({world["m1"].commission_id}))
    assert {t.libelle for t in permissions.visible_setup_rows(membre, Tag.select(), Tag)} == set()
    assert not permissions.visible_to_administrators(gestionnaire, Campagne.select(),
                                                     Campagne).exists()
