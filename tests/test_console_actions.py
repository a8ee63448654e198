"""The console's actions on candidatures through their HTTP routes, CSRF on (the
token read from the page, as a browser sends it): each action changes the
database, writes its audit row and queues its mails; bad input is refused next to
its field with nothing changed; a selection blocked by one row lists it and
changes nothing; read-only users, membres on gestionnaire-only actions, ids out
of scope and tampered selections are refused on the server. SQLite and PostgreSQL."""
import datetime
import html
import re

import pytest
from argon2 import PasswordHasher

from conftest import outbox
from ecandidat import clock, security
from ecandidat.models import (AuditLog, Avis, Candidature, CandidatureTag, CommissionMembre,
                              MotivationAvis, PieceCandidat, Tag, User)
from ecandidat.users import create_user
from test_console import STRONG, flashes
from test_console_candidatures import (LIST, candidate, details, numero, pieces_of,  # noqa: F401
                                       transmitted, world)

DSS, M1AES, LLCE = "DSS", "COM-M1AES", "COM-LLCE"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Cheap argon2 parameters: these tests create many accounts and sign in often."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))


@pytest.fixture
def csrf(app):
    """CSRF checks on, as in production (each login below happens before)."""
    def on():
        app.config["WTF_CSRF_ENABLED"] = True
    return on


def login(app, client, role, scope=None, email=None, lecture_seule=False, president=False):
    """Sign `client` in as a new console user, then turn the CSRF checks on."""
    app.config["WTF_CSRF_ENABLED"] = False
    email = email or f"{role}-{scope}@example.org".lower()
    user, _ = create_user(email, role, scope=scope, password=STRONG)
    User.update(lecture_seule=lecture_seule).where(User.id == user.id).execute()
    if president:
        CommissionMembre.update(president=True).where(CommissionMembre.user == user.id).execute()
    response = client.post("/admin/login", data={"email": email, "password": STRONG})
    assert response.status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    return user


def action_url(slug, *candidatures, url=None):
    ids = ",".join(str(c.id) if hasattr(c, "id") else str(c) for c in candidatures)
    return f"/admin/candidature/actions/{slug}/?ids={ids}" + (f"&url={url}" if url else "")


def token(page, name="csrf_token"):
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', page) or re.search(
        rf'value="([^"]+)"[^>]*name="{re.escape(name)}"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


def submit(client, slug, candidatures, data, url=None):
    """GET the action page, then POST its form with `data` and the page's token and
    selection (as the browser would)."""
    page = client.get(action_url(slug, *candidatures, url=url))
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    form = {"csrf_token": token(text), "ids": token(text, "ids"), **data}
    if 'name="avis" type="hidden"' in text or 'type="hidden" name="avis"' in text:
        form.setdefault("avis", token(text, "avis"))  # the avis the page showed
    return client.post(action_url(slug, *candidatures, url=url), data=form)


def followed(client, response):
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def field_error(page, field):
    """The error shown next to a field of an action page (its "-error" element)."""
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def audit(action, record_id=None):
    query = AuditLog.select().where(AuditLog.action == action)
    if record_id is not None:
        query = query.where(AuditLog.record_id == record_id)
    return list(query)


def snapshot():
    """What an action may change: candidatures, avis, tags, pieces, audit, mails."""
    return ([c.__data__ for c in Candidature.select().order_by(Candidature.id)],
            Avis.select().count(), CandidatureTag.select().count(),
            [(p.statut, p.commentaire) for p in PieceCandidat.select().order_by(PieceCandidat.id)],
            AuditLog.select().count(), len(outbox()))


@pytest.fixture
def second(world, make_compte):
    """A second transmitted candidature to the same formation (a selection of two)."""
    return transmitted(candidate(make_compte, "deux@example.org", nom="ROUX", prenom="Jo"),
                       world["formation"])


# --- Each action on one candidature or a selection: DB, audit, mails --------------------------

def test_statut_from_ouvrir_with_its_date_audit_and_mail(app, world, client):
    sent = world["sent"]
    login(app, client, "commission", M1AES)
    page = client.get(details(sent)).get_data(as_text=True)
    link = html.unescape(re.search(r'href="([^"]*/actions/statut/[^"]*)"', page).group(1))
    form_page = client.get(link).get_data(as_text=True)
    # The selection is shown; the date defaults to today.
    for text in (numero(sent), "DURAND Alix", "Formation M1AES", "Réceptionné"):
        assert text in form_page, text
    assert f'value="{clock.today().isoformat()}"' in form_page
    yesterday = clock.today() - datetime.timedelta(days=1)
    response = client.post(link, data={"csrf_token": token(form_page), "ids": str(sent.id),
                                       "statut": "IN", "date": yesterday.isoformat()})
    assert response.headers["Location"].endswith(details(sent))
    assert "Statut du dossier enregistré pour 1 candidature." in flashes(
        followed(client, response))
    saved = fresh(sent)
    assert saved.statut == "IN" and clock.local(saved.date_incomplet).date() == yesterday
    [row] = audit("statut_IN", sent.id)
    assert row.actor == "user:commission-com-m1aes@example.org"
    assert outbox()[-1].code == "STATUT_IN" and outbox()[-1].destinataire == "sent@example.org"
    # The audit timeline names it in French.
    page = client.get(details(sent)).get_data(as_text=True)
    assert "Statut du dossier : Incomplet" in page and "Réceptionné → Incomplet" in page


ACTIONS = {
    # slug: (form data, check(candidatures) after the action, mail codes queued per row)
    "type-traitement": ({"type_traitement": "AD"},
                        lambda c: (c.type_traitement, c.type_traitement_valide) == ("AD", False),
                        []),
    "valider-type-traitement": ({}, lambda c: c.type_traitement_valide, ["TYPE_TRAIT_ATT"]),
    "statut": ({"statut": "CO"}, lambda c: c.statut == "CO" and c.date_complet, ["STATUT_CO"]),
    "avis": ({"type_avis": "LA", "commentaire": "À revoir"},
             lambda c: Avis.get(Avis.candidature == c.id).type_avis == "LA", []),
    "valider-avis": ({}, lambda c: Avis.get(Avis.candidature == c.id).valide,
                     ["AVIS_LISTE_ATT"]),
    "tags": (None, lambda c: [t.tag.libelle for t in c.tag_rows] == ["Boursier"], []),
    "date-retour": ({"date": "2031-01-15"},
                    lambda c: c.date_retour_manuelle == datetime.date(2031, 1, 15), []),
    "date-confirmation": ({"date": "2031-02-15"},
                          lambda c: c.date_confirmation_manuelle == datetime.date(2031, 2, 15),
                          []),
}
AUDITED_AS = {"type-traitement": "type_traitement_AD", "statut": "statut_CO",
              "avis": "saisir_avis", "valider-avis": "valider_avis",
              "date-retour": "date_retour", "date-confirmation": "date_confirmation",
              "tags": "tags", "valider-type-traitement": "valider_type_traitement"}


@pytest.mark.parametrize("slug", list(ACTIONS))
def test_each_action_on_a_selection_from_the_list(slug, app, world, second, client):
    sent = world["sent"]
    selection = [sent, second]
    if slug == "valider-type-traitement":
        Candidature.update(type_traitement="AT", type_traitement_valide=False).execute()
    if slug == "valider-avis":
        for candidature in selection:
            Avis.create(candidature=candidature, type_avis="LA")
    tag = Tag.create(libelle="Boursier")
    data, check, mails = ACTIONS[slug]
    data = {"tags": str(tag.id)} if data is None else data
    login(app, client, "gestionnaire", DSS)
    # From the list: "Avec la sélection" → the action's page with the selection.
    list_page = client.get(LIST).get_data(as_text=True)
    assert f'data-action="{slug.replace("-", "_")}"' in list_page
    response = client.post("/admin/candidature/action/", data={
        "csrf_token": token(list_page), "action": slug.replace("-", "_"),
        "rowid": [str(sent.id), str(second.id)], "url": LIST + "?search=Formation"})
    location = response.headers["Location"]
    assert f"/actions/{slug}/" in location and f"ids={sent.id},{second.id}" in location
    page = client.get(location).get_data(as_text=True)
    assert numero(sent) in page and numero(second) in page and "ROUX Jo" in page
    mails_before = len(outbox())
    if slug == "valider-avis":  # the avis the page showed, as the browser sends them
        data = dict(data, avis=token(page, "avis"))
    response = client.post(location, data={"csrf_token": token(page),
                                           "ids": f"{sent.id},{second.id}",
                                           "confirmer": "y", **data})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    assert response.headers["Location"] == LIST + "?search=Formation"
    assert "2 candidatures" in flashes(followed(client, response))
    for candidature in selection:
        assert check(fresh(candidature)), (slug, candidature)
        assert audit(AUDITED_AS[slug]), slug
    assert sorted(m.code for m in outbox()[mails_before:]) == sorted(mails * 2)


def test_a_validated_avis_reaches_the_candidate_with_its_mail(app, world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA", commentaire="Très bon dossier")
    login(app, client, "gestionnaire", DSS)
    page = client.get(details(sent)).get_data(as_text=True)
    assert "Valider les avis" in page
    # Irreversible: the confirmation box is required even for one candidature.
    response = submit(client, "valider-avis", [sent], {})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), "confirmer") == \
        "Cochez cette case pour confirmer."
    assert not Avis.get(Avis.candidature == sent.id).valide
    response = submit(client, "valider-avis", [sent], {"confirmer": "y"})
    assert response.status_code == 302
    assert Avis.get(Avis.candidature == sent.id).valide
    mail = outbox("AVIS_FAVORABLE")[-1]
    assert mail.destinataire == "sent@example.org" and "Très bon dossier" in mail.corps_texte
    assert "Validation de l'avis" in client.get(details(sent)).get_data(as_text=True)


# --- Bad input: the French message next to its field, nothing changed --------------------------

def test_bad_input_is_refused_next_to_its_field(app, world, second, client):
    sent = world["sent"]
    login(app, client, "gestionnaire", DSS)
    before = snapshot()
    tomorrow = (clock.today() + datetime.timedelta(days=1)).isoformat()
    cases = [
        ("avis", [sent], {"type_avis": "DE"}, "motivation",
         "La motivation est obligatoire pour un avis défavorable."),
        ("avis", [sent], {"type_avis": "LC"}, "rang",
         "Le rang est obligatoire pour la liste complémentaire."),
        ("avis", [sent], {"type_avis": "LC", "rang": "deux"}, "rang",
         "Saisissez un nombre entier."),
        ("avis", [sent], {"type_avis": ""}, "type_avis", "Choisissez un type d'avis."),
        ("avis", [sent], {"type_avis": "DE", "motivation": "999999"}, "motivation",
         "Choisissez une motivation de la liste."),
        ("statut", [sent], {"statut": "CO", "date": tomorrow}, "date",
         "La date ne peut pas être postérieure à aujourd'hui."),
        ("statut", [sent], {"statut": "CO", "date": "31/02/2026"}, "date",
         "Saisissez une date valide."),
        ("statut", [sent], {"statut": "ZZ"}, "statut", "Choisissez un statut du dossier."),
        ("type-traitement", [sent], {"type_traitement": ""}, "type_traitement",
         "Choisissez un type de traitement."),
        ("tags", [sent], {"tags": "abc"}, "tags", "Choisissez des tags de la liste."),
        ("statut", [sent, second], {"statut": "CO"}, "confirmer",
         "Cochez cette case pour confirmer."),
    ]
    for slug, selection, data, field, message in cases:
        response = submit(client, slug, selection, data)
        assert response.status_code == 200, (slug, data)
        page = response.get_data(as_text=True)
        assert field_error(page, field) == message, (slug, data, field_error(page, field))
        assert numero(sent) in page  # the selection is still shown
    assert snapshot() == before


def test_a_statut_not_reachable_is_a_flash_and_changes_nothing(app, world, client):
    login(app, client, "commission", M1AES)
    before = snapshot()
    response = submit(client, "statut", [world["sent"]], {"statut": "RE"})
    assert "ne peut pas passer au statut « Réceptionné »" in flashes(
        response.get_data(as_text=True))
    assert snapshot() == before


def test_an_expired_token_keeps_the_input_and_changes_nothing(app, world, client):
    login(app, client, "commission", M1AES)
    before = snapshot()
    sent = world["sent"]
    response = client.post(action_url("avis", sent), data={
        "csrf_token": "expired", "ids": str(sent.id), "type_avis": "FA",
        "commentaire": "Mon texte"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Votre session a expiré" in flashes(page)
    assert "Mon texte" in page and snapshot() == before


# --- A selection blocked by one row: the list, nothing changed ---------------------------------

def test_a_bulk_avis_blocked_by_one_validated_avis_lists_it(app, world, second, client):
    sent = world["sent"]
    Avis.create(candidature=second, type_avis="FA", valide=True)
    login(app, client, "gestionnaire", DSS)
    before = snapshot()
    motif = MotivationAvis.create(code="CAP", libelle="Capacité")
    response = submit(client, "avis", [sent, second],
                      {"type_avis": "DE", "confirmer": "y", "motivation": str(motif.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 candidature(s) de la sélection ne le permettent pas" in flashes(page)
    blocked = page.split("Candidatures qui bloquent l'action")[1].split("</table>")[0]
    assert numero(second) in blocked and numero(sent) not in blocked
    assert "Un avis validé existe déjà sur cette candidature." in html.unescape(blocked)
    assert snapshot() == before


def test_a_bulk_statut_blocked_by_one_row_changes_nothing(app, world, second, client):
    Candidature.update(statut="CO").where(Candidature.id == second.id).execute()
    login(app, client, "gestionnaire", DSS)
    before = snapshot()
    response = submit(client, "statut", [world["sent"], second],
                      {"statut": "CO", "confirmer": "y"})
    page = response.get_data(as_text=True)
    blocked = page.split("Candidatures qui bloquent l'action")[1].split("</table>")[0]
    assert numero(second) in blocked and numero(world["sent"]) not in blocked
    assert snapshot() == before


# --- Refusals: read-only, role, scope, tampered selections ------------------------------------

def test_a_read_only_user_is_refused_even_posting_directly(app, world, client):
    sent = world["sent"]
    login(app, client, "commission", M1AES, lecture_seule=True)
    page = client.get(details(sent)).get_data(as_text=True)
    assert "/actions/" not in page and "Enregistrer le statut" not in page
    assert "Enregistrer le bloc-notes" not in page
    # Of the selection's actions, only the download (it changes nothing) is offered.
    offered = re.findall(r'data-action="([^"]+)"', client.get(LIST).get_data(as_text=True))
    assert offered == ["dossiers"], offered
    csrf_token = token(client.get("/admin/").get_data(as_text=True))
    before = snapshot()
    response = client.get(action_url("statut", sent))
    assert response.status_code == 302
    assert "lecture seule" in flashes(followed(client, response))
    lettre = pieces_of(world["formation"])["lettre"]
    posts = [(action_url("statut", sent), {"ids": str(sent.id), "statut": "CO"}),
             (action_url("tags", sent), {"ids": str(sent.id)}),
             (f"/admin/candidature/{sent.id}/pieces/{lettre.id}/statut",
              {f"piece-{lettre.id}-csrf_token": csrf_token, f"piece-{lettre.id}-statut": "VA"}),
             (f"/admin/candidature/{sent.id}/bloc-notes", {"bloc_notes": "Note"}),
             ("/admin/candidature/action/", {"action": "statut", "rowid": str(sent.id)})]
    for url, data in posts:
        response = client.post(url, data={"csrf_token": csrf_token, **data})
        assert response.status_code in (200, 302), url
        if response.status_code == 200:
            assert "lecture seule" in flashes(response.get_data(as_text=True)), url
    assert snapshot() == before


def test_a_membre_is_refused_the_gestionnaire_actions(app, world, client):
    sent = world["sent"]
    login(app, client, "commission", M1AES)
    page = client.get(details(sent)).get_data(as_text=True)
    list_page = client.get(LIST).get_data(as_text=True)
    csrf_token = token(list_page)
    before = snapshot()
    for slug, data in (("type-traitement", {"type_traitement": "AD"}),
                       ("valider-type-traitement", {"confirmer": "y"}),
                       ("date-retour", {"date": "2031-01-01"}),
                       ("date-confirmation", {"date": "2031-01-01"}),
                       ("valider-avis", {"confirmer": "y"})):
        assert f"/actions/{slug}/" not in page, slug
        assert f'data-action="{slug.replace("-", "_")}"' not in list_page, slug
        response = client.get(action_url(slug, sent))
        assert response.status_code == 302, slug
        assert "réservée aux gestionnaires" in flashes(followed(client, response)), slug
        response = client.post(action_url(slug, sent), data={
            "csrf_token": csrf_token, "ids": str(sent.id), **data})
        assert response.status_code == 302, slug
        # The list action itself is refused too (Flask-Admin checks is_action_allowed).
        client.post("/admin/candidature/action/", data={
            "csrf_token": csrf_token, "action": slug.replace("-", "_"), "rowid": str(sent.id)})
    assert snapshot() == before
    # What a membre may do is offered.
    for slug in ("statut", "avis", "tags"):
        assert f"/actions/{slug}/" in page and f'data-action="{slug}"' in list_page


def test_the_workflow_refuses_on_the_server_what_the_pages_do_not_offer(app, world,
                                                                         monkeypatch):
    """Without the action pages' own check, the workflow still refuses: read-only,
    a membre on a gestionnaire's action, a membre who does not preside."""
    monkeypatch.setattr("views.admin.candidatures.access_refusal", lambda *args: None)
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    before = snapshot()
    for number, (lecture_seule, slug, data, message) in enumerate((
            (True, "statut", {"statut": "CO"}, "lecture seule"),
            (False, "type-traitement", {"type_traitement": "AD"}, "réservée aux gestionnaires"),
            (False, "date-retour", {"date": "2031-01-01"}, "réservée aux gestionnaires"),
            (False, "valider-avis", {"confirmer": "y"}, "président de la commission"))):
        client = app.test_client()
        login(app, client, "commission", M1AES, email=f"m{number}@example.org",
              lecture_seule=lecture_seule)
        response = submit(client, slug, [sent], data)
        assert response.status_code == 200, slug
        assert message in flashes(response.get_data(as_text=True)), slug
    assert snapshot() == before


def test_a_president_is_offered_the_validation_of_the_avis(app, world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    login(app, client, "commission", M1AES, president=True)
    assert 'data-action="valider_avis"' in client.get(LIST).get_data(as_text=True)
    response = submit(client, "valider-avis", [sent], {"confirmer": "y"})
    assert response.status_code == 302 and Avis.get(Avis.candidature == sent.id).valide
    assert outbox("AVIS_FAVORABLE")


def test_ids_out_of_scope_or_tampered_are_refused_whole(app, world, client):
    sent, other, draft = world["sent"], world["other"], world["draft"]
    login(app, client, "commission", M1AES)
    page = client.get(action_url("statut", sent)).get_data(as_text=True)
    csrf_token = token(page)
    before = snapshot()
    for ids in (str(other.id), f"{sent.id},{other.id}", f"{sent.id},{draft.id}",
                f"{sent.id},999999", "abc", f"{sent.id} OR 1=1", "", f"{world['cancelled'].id}"):
        assert client.get(action_url("statut", ids)).status_code == 404, ids
        response = client.post(action_url("statut", sent), data={
            "csrf_token": csrf_token, "ids": ids, "statut": "CO"})
        assert response.status_code == 404, ids
        assert "DURAND" not in response.get_data(as_text=True)
    assert client.get("/admin/candidature/actions/inconnue/?ids=1").status_code == 404
    lettre = pieces_of(world["formation"])["lettre"]
    for url in (f"/admin/candidature/{other.id}/pieces/{lettre.id}/statut",
                f"/admin/candidature/{other.id}/bloc-notes"):
        assert client.post(url, data={"csrf_token": csrf_token}).status_code == 404
    # From the list: a selection with an id out of scope is refused with its reason.
    response = client.post("/admin/candidature/action/", data={
        "csrf_token": token(client.get(LIST).get_data(as_text=True)), "action": "statut",
        "rowid": [str(sent.id), str(other.id)]})
    assert response.headers["Location"].endswith(LIST)
    assert "hors de votre périmètre" in flashes(followed(client, response))
    assert snapshot() == before


# --- On "Ouvrir": pieces and bloc-notes -----------------------------------------------------

def piece_post(client, candidature, piece, page, **data):
    prefix = f"piece-{piece.id}-"
    form = {prefix + "csrf_token": token(page, prefix + "csrf_token")}
    form.update({prefix + key: value for key, value in data.items()})
    return client.post(f"/admin/candidature/{candidature.id}/pieces/{piece.id}/statut",
                       data=form)


def test_pieces_validated_and_refused_with_the_comment(app, world, client):
    sent = world["sent"]
    asked = pieces_of(world["formation"])
    login(app, client, "commission", M1AES)
    page = client.get(details(sent)).get_data(as_text=True)
    mails = len(outbox())
    response = piece_post(client, sent, asked["lettre"], page, statut="VA")
    assert "Statut de la pièce enregistré : Validée." in flashes(followed(client, response))
    before = snapshot()
    response = piece_post(client, sent, asked["identite"], page, statut="RE", commentaire=" ")
    page = response.get_data(as_text=True)
    assert field_error(page, f"piece-{asked['identite'].id}-commentaire") == \
        "Indiquez au candidat pourquoi la pièce est refusée."
    assert snapshot() == before
    response = piece_post(client, sent, asked["identite"], page, statut="RE",
                          commentaire="Illisible")
    page = followed(client, response)
    rows = {p.id: row for p, row in __import__("ecandidat").workflow.piece_rows(fresh(sent))}
    assert rows[asked["lettre"].id].statut == "VA"
    assert (rows[asked["identite"].id].statut, rows[asked["identite"].id].commentaire) == (
        "RE", "Illisible")
    assert len(outbox()) == mails  # no mail for a piece
    assert len(audit("statut_piece")) == 2
    assert "Illisible" in page and "Statut d'une pièce" in page and "Transmise → Refusée" in page
    # A piece the candidate did not provide has no form; a forged piece id is refused.
    response = piece_post(client, sent, asked["lettre"], page, statut="RE", commentaire="x")
    response = client.post(f"/admin/candidature/{sent.id}/pieces/999999/statut", data={
        "piece-999999-csrf_token": token(page, f"piece-{asked['lettre'].id}-csrf_token"),
        "piece-999999-statut": "VA"})
    assert "rien déposé" in flashes(response.get_data(as_text=True))


def test_bloc_notes_saved_from_ouvrir(app, world, client):
    sent = world["sent"]
    login(app, client, "commission", M1AES)
    page = client.get(details(sent)).get_data(as_text=True)
    response = client.post(f"/admin/candidature/{sent.id}/bloc-notes", data={
        "csrf_token": token(page), "bloc_notes": "  Appeler le candidat  "})
    assert "Bloc-notes enregistré." in flashes(followed(client, response))
    assert fresh(sent).bloc_notes == "Appeler le candidat"
    assert audit("bloc_notes", sent.id)[0].actor == "user:commission-com-m1aes@example.org"
    before = snapshot()
    response = client.post(f"/admin/candidature/{sent.id}/bloc-notes", data={
        "csrf_token": token(page), "bloc_notes": "x" * 10001})
    assert "trop long" in field_error(response.get_data(as_text=True), "bloc_notes")
    assert snapshot() == before


def test_ouvrir_shows_tags_manual_dates_and_the_sva_alert(app, world, client):
    sent = world["sent"]
    tag = Tag.create(libelle="Boursier", couleur="#aa0000")
    CandidatureTag.create(candidature=sent, tag=tag)
    long_ago = clock.now() - datetime.timedelta(days=45)
    Candidature.update(date_transmission=long_ago, date_retour_manuelle=datetime.date(2031, 1, 2)
                       ).where(Candidature.id == sent.id).execute()
    login(app, client, "gestionnaire", DSS)
    page = client.get(details(sent)).get_data(as_text=True)
    assert "Boursier" in page and "border-left-color: #aa0000" in page
    assert "02/01/2031 (date manuelle)" in page
    assert "Alerte SVA" in page and "plus de 30 jours" in page
    # The tags form offers the formation's centre tags, the current ones chosen.
    form_page = client.get(action_url("tags", sent)).get_data(as_text=True)
    assert re.search(rf'<option selected value="{tag.id}">Boursier</option>|'
                     rf'<option value="{tag.id}" selected>Boursier</option>', form_page)


def test_a_piece_put_back_en_attente_can_be_decided_again(app, world, client):
    """A provided piece the commission put back "En attente" keeps its file: the
    commission may validate it later (the workflow used to answer that nothing
    was provided)."""
    sent = world["sent"]
    lettre = pieces_of(world["formation"])["lettre"]
    login(app, client, "commission", M1AES)
    page = client.get(details(sent)).get_data(as_text=True)
    piece_post(client, sent, lettre, page, statut="AT")
    page = client.get(details(sent)).get_data(as_text=True)
    assert f"piece-{lettre.id}-statut" in page  # still offered: the file is there
    response = piece_post(client, sent, lettre, page, statut="VA")
    assert "Statut de la pièce enregistré : Validée." in flashes(followed(client, response))
    rows = {p.id: row for p, row in __import__("ecandidat").workflow.piece_rows(fresh(sent))}
    assert rows[lettre.id].statut == "VA" and rows[lettre.id].fichier


def test_a_candidature_leaving_the_membre_s_sight_sends_them_to_the_list(app, world, client):
    """Put back "En attente", a candidature is no longer a membre's: after the
    action they land on the list, not on a page that answers 404."""
    sent = world["sent"]
    login(app, client, "commission", M1AES)
    response = submit(client, "statut", [sent], {"statut": "AT"},
                      url=f"/admin/candidature/details/?id={sent.id}")
    assert response.headers["Location"].endswith(LIST)
    assert fresh(sent).statut == "AT" and outbox()[-1].code == "STATUT_AT"


def test_an_avis_entered_after_the_page_was_shown_is_not_published_unseen(app, world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    login(app, client, "gestionnaire", DSS)
    page = client.get(action_url("valider-avis", sent)).get_data(as_text=True)
    assert "Avis à valider" in page and "Favorable" in page
    shown = token(page, "avis")
    Avis.create(candidature=sent, type_avis="DE", commentaire="saisi entre-temps")
    response = client.post(action_url("valider-avis", sent), data={
        "csrf_token": token(page), "ids": token(page, "ids"), "avis": shown, "confirmer": "y"})
    assert response.status_code == 200
    assert "vérifiez-le avant de le valider" in flashes(response.get_data(as_text=True))
    assert not Avis.select().where(Avis.valide).exists() and not outbox("AVIS_DEFAVORABLE")


def test_after_a_newer_avis_refused_the_page_shows_and_validates_it(app, world, client):
    sent = world["sent"]
    Avis.create(candidature=sent, type_avis="FA")
    login(app, client, "gestionnaire", DSS)
    page = client.get(action_url("valider-avis", sent)).get_data(as_text=True)
    Avis.create(candidature=sent, type_avis="LA")
    response = client.post(action_url("valider-avis", sent), data={
        "csrf_token": token(page), "ids": token(page, "ids"), "avis": token(page, "avis"),
        "confirmer": "y"})
    page = response.get_data(as_text=True)
    assert "vérifiez-le" in flashes(page) and "Liste d'attente" in html.unescape(page)
    response = client.post(action_url("valider-avis", sent), data={
        "csrf_token": token(page), "ids": token(page, "ids"), "avis": token(page, "avis"),
        "confirmer": "y"})
    assert response.status_code == 302
    assert [a.type_avis for a in Avis.select().where(Avis.valide)] == ["LA"]
