"""Console views: French labels, French errors with their reason, read-only users
refused on the server, and deletes that never cascade into candidatures."""
import html
import json
import re

import pytest

from ecandidat.models import (AuditLog, Avis, Campagne, Candidat, Candidature, Centre,
                              Commission, Formation, PieceCandidat, PieceJustificative, User)
from ecandidat.users import create_user
from factories import open_formation

STRONG = "une phrase de passe solide"
GENERIC_FAILURES = ("Failed to", "Impossible d'enregistrer l'enregistrement",
                    "Impossible de créer")


def console_login(client, role="admin", email=None, lecture_seule=False, scope=None):
    """Create a console user and sign the client in through the login form."""
    email = email or f"{role}@example.org"
    user, password = create_user(email, role, scope=scope, password=STRONG)
    if lecture_seule:
        User.update(lecture_seule=True).where(User.id == user.id).execute()
    response = client.post("/admin/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return user


def page_text(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def flashes(page):
    """The text of the flashed messages of a page."""
    found = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>|\s+", " ", m)) for m in found)


def candidature_for(formation, make_compte, email="camille@example.org"):
    compte, _ = make_compte(email=email)
    candidat = Candidat.create(compte=compte, nom_patronymique=compte.nom, prenom=compte.prenom)
    return Candidature.create(candidat=candidat, formation=formation)


@pytest.fixture
def admin_client(client):
    client.user = console_login(client)
    return client


# --- labels ----------------------------------------------------------------------

def console_views(app):
    from flask_admin.contrib.peewee import ModelView
    admin = app.extensions["admin"][0]
    return [view for view in admin._views if isinstance(view, ModelView)]


def test_every_console_field_has_a_french_label(app):
    for view in console_views(app):
        shown = {name for name, _ in view._list_columns} | {
            name for name, _ in view._details_columns}
        missing = {name for name in shown if name not in view.column_labels}
        form = view._create_form_class()
        for field in form:
            if field.name == "csrf_token":
                continue
            if str(field.label.text) != str(view.column_labels.get(field.name)):
                missing.add(field.name)  # Flask-Admin's generated label: a field name
        assert not missing, f"{view.endpoint}: {sorted(missing)}"


def test_console_pages_show_no_raw_field_name(app, admin_client):
    formation = open_formation()
    for view in console_views(app):
        pages = [f"/admin/{view.endpoint}/"]
        if view.allow_create:
            pages.append(f"/admin/{view.endpoint}/new/")
        first = view.model.select().first()
        if first is not None:
            pages.append(f"/admin/{view.endpoint}/details/?id={first.id}")
        for path in pages:
            html = page_text(admin_client, path)
            assert '<html lang="fr">' in html, path
            texts = re.findall(r"<(?:th|label)\b[^>]*>(.*?)</(?:th|label)>", html, re.S)
            texts = [re.sub(r"<[^>]+>|&nbsp;", " ", t).strip() for t in texts]
            assert texts, path
            assert not [t for t in texts if "_" in t], (path, texts)
    assert formation.id


# --- errors in French with their reason ----------------------------------------------

DATES_BACKWARDS = {"date_debut_depot": "2030-05-10", "date_fin_depot": "2030-05-01"}


def formation_form(formation, **changes):
    """The edit form of a formation as a browser would send it, with `changes`."""
    return {"code": formation.code, "libelle": formation.libelle,
            "type_diplome": formation.type_diplome_id, "commission": formation.commission_id,
            "type_traitement": "AC", "date_debut_depot": "2030-05-01",
            "date_fin_depot": "2030-05-10", "date_retour": "2030-06-01", **changes}


def test_an_invalid_form_says_why_in_french(app, admin_client):
    formation = open_formation()
    response = admin_client.post(f"/admin/formation/edit/?id={formation.id}",
                                 data=formation_form(formation, libelle="", **DATES_BACKWARDS))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    message = flashes(html)
    assert "Enregistrement impossible" in message and "Libellé" in message
    assert not any(failure in html for failure in GENERIC_FAILURES)
    assert Formation.get_by_id(formation.id).libelle == formation.libelle


def test_a_refused_save_shows_the_rule_next_to_the_field(app, admin_client):
    formation = open_formation()
    response = admin_client.post(f"/admin/formation/edit/?id={formation.id}",
                                 data=formation_form(formation, libelle="Nouveau",
                                                     **DATES_BACKWARDS))
    html = response.get_data(as_text=True)
    assert "La date de fin de dépôt doit être postérieure" in flashes(html)
    assert "invalid-feedback" in html or "is-invalid" in html or "has-error" in html
    assert not any(failure in html for failure in GENERIC_FAILURES)
    assert Formation.get_by_id(formation.id).libelle == formation.libelle


def test_a_taken_code_is_explained(app, admin_client):
    Centre.create(code="DSS", libelle="UFR Droit")
    response = admin_client.post("/admin/centre/new/", data={
        "code": "DSS", "libelle": "Autre", "actif": "y"})
    html = response.get_data(as_text=True)
    assert "« Code » : cette valeur est déjà utilisée" in flashes(html)
    assert Centre.select().count() == 1


def test_control_characters_are_refused_in_console_forms(app, admin_client):
    centre = Centre.create(code="DSS", libelle="UFR Droit")
    response = admin_client.post(f"/admin/centre/edit/?id={centre.id}", data={
        "code": "DSS", "libelle": "UFR\x00Droit", "actif": "y"})
    assert "caractères de contrôle" in flashes(response.get_data(as_text=True))
    assert Centre.get_by_id(centre.id).libelle == "UFR Droit"


# --- read-only users ------------------------------------------------------------------

def test_a_read_only_user_sees_but_cannot_change_anything(app, client):
    centre = Centre.create(code="DSS", libelle="UFR Droit")
    user = console_login(client, lecture_seule=True)
    assert "UFR Droit" in page_text(client, "/admin/centre/")
    assert "UFR Droit" in page_text(client, f"/admin/centre/details/?id={centre.id}")
    list_html = page_text(client, "/admin/centre/")
    assert "/admin/centre/new/" not in list_html and "delete" not in list_html
    client.post("/admin/centre/new/", data={"code": "NEW", "libelle": "Nouveau", "actif": "y"})
    client.post(f"/admin/centre/edit/?id={centre.id}",
                data={"code": "DSS", "libelle": "Changé", "actif": "y"})
    client.post("/admin/centre/delete/", data={"id": centre.id})
    client.post("/admin/centre/action/", data={"action": "delete", "rowid": [centre.id]})
    client.post(f"/admin/user/edit/?id={user.id}", data={
        "email": user.email, "nom": "x", "prenom": "y", "role": "admin", "actif": "y"})
    assert [(c.code, c.libelle) for c in Centre.select()] == [("DSS", "UFR Droit")]
    assert User.get_by_id(user.id).lecture_seule and User.get_by_id(user.id).nom != "x"
    assert AuditLog.select().count() == 0


# --- deletes -------------------------------------------------------------------------

def test_deleting_a_formation_with_candidatures_is_refused(app, admin_client, make_compte):
    formation = open_formation()
    piece = PieceJustificative.create(code="LM", libelle="Lettre", formation=formation)
    candidature = candidature_for(formation, make_compte)
    Avis.create(candidature=candidature, type_avis="FA")
    response = admin_client.post("/admin/formation/delete/", data={"id": formation.id},
                                 follow_redirects=True)
    message = flashes(response.get_data(as_text=True))
    assert "ne peut pas être supprimé" in message and "1 candidature" in message
    assert "Désactivez-le" in message and "« Actif »" in message
    assert Formation.select().count() == 1 and Candidature.select().count() == 1
    assert Avis.select().count() == 1
    assert PieceJustificative.get_by_id(piece.id).formation_id == formation.id
    assert AuditLog.select().count() == 0


def test_the_delete_action_refuses_used_rows_and_deletes_the_others(app, admin_client,
                                                                    make_compte):
    used = open_formation("USED")
    unused = open_formation("UNUSED")
    candidature_for(used, make_compte)
    response = admin_client.post("/admin/formation/action/", data={
        "action": "delete", "rowid": [used.id, unused.id]}, follow_redirects=True)
    message = flashes(response.get_data(as_text=True))
    assert "« Formation USED » ne peut pas être supprimé" in message
    assert "1 ligne supprimée" in message
    assert [f.code for f in Formation.select()] == ["USED"]
    assert Candidature.select().count() == 1
    audit = AuditLog.get()
    assert (audit.actor, audit.action, audit.table, audit.record_id) == (
        "user:admin@example.org", "console_suppression", "formation", unused.id)
    before = json.loads(audit.before)
    assert before["code"] == "UNUSED" and before["commission"] == unused.commission_id
    assert audit.after is None


@pytest.mark.parametrize("target", ["centre", "commission", "piece", "question", "campagne"])
def test_what_candidatures_reach_through_the_catalogue_is_kept(app, admin_client, make_compte,
                                                              target):
    from ecandidat.models import Question, ReponseQuestion
    formation = open_formation()
    candidature = candidature_for(formation, make_compte)
    piece = PieceJustificative.create(code="CV", libelle="CV", partagee=True)
    PieceCandidat.create(candidat=candidature.candidat, piece=piece, statut="TR")
    question = Question.create(code="Q", libelle="Alternance ?", formation=None)
    ReponseQuestion.create(candidature=candidature, question=question, reponse="Oui")
    campagne = Campagne.create(code="C", libelle="Campagne", date_debut=formation.date_debut_depot,
                               date_fin=formation.date_retour)
    row, endpoint = {
        "centre": (formation.commission.centre, "centre"),
        "commission": (formation.commission, "commission"),
        "piece": (piece, "piecejustificative"),
        "question": (question, None),
        "campagne": (campagne, "campagne"),
    }[target]
    if endpoint is None:  # no console view yet: the rule itself is checked
        from views.admin.deletion import delete_problem
        assert "des candidatures l'utilisent" in delete_problem(row)
        return
    for path, data in ((f"/admin/{endpoint}/delete/", {"id": row.id}),
                       (f"/admin/{endpoint}/action/", {"action": "delete", "rowid": [row.id]})):
        response = admin_client.post(path, data=data, follow_redirects=True)
        assert "des candidatures l'utilisent" in flashes(response.get_data(as_text=True)), path
        assert type(row).select().where(type(row).id == row.id).exists()
    assert Candidature.select().count() == PieceCandidat.select().count() == 1


def test_a_formation_with_its_own_pieces_names_them(app, admin_client):
    formation = open_formation()
    PieceJustificative.create(code="LM", libelle="Lettre", formation=formation)
    response = admin_client.post("/admin/formation/delete/", data={"id": formation.id},
                                 follow_redirects=True)
    assert "encore utilisé par 1 pièce justificative" in flashes(response.get_data(as_text=True))
    assert PieceJustificative.get().formation_id == formation.id


def test_deleting_an_unused_row_is_audited(app, admin_client):
    centre = Centre.create(code="VIDE", libelle="Centre vide")
    response = admin_client.post("/admin/centre/delete/", data={"id": centre.id},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert not Centre.select().where(Centre.id == centre.id).exists()
    audit = AuditLog.get()
    assert audit.actor == "user:admin@example.org" and audit.table == "centre"
    assert json.loads(audit.before)["libelle"] == "Centre vide"


def test_deleting_a_user_takes_its_memberships_only(app, admin_client):
    formation = open_formation()
    member, _ = create_user("membre@example.org", "commission",
                            scope=formation.commission.code)
    response = admin_client.post("/admin/user/delete/", data={"id": member.id},
                                 follow_redirects=True)
    assert response.status_code == 200
    assert not User.select().where(User.id == member.id).exists()
    assert Commission.select().count() == 1


def test_a_row_used_between_the_check_and_the_delete_is_kept(app, admin_client, make_compte,
                                                            monkeypatch):
    """The database's foreign key is the last word: a candidature written after the
    check makes the delete fail cleanly, with nothing deleted and no audit row."""
    from views.admin import deletion
    formation = open_formation()

    def check_then_race(instance):
        candidature_for(formation, make_compte)
        return None
    monkeypatch.setattr(deletion, "delete_problem", check_then_race)
    response = admin_client.post("/admin/formation/delete/", data={"id": formation.id},
                                 follow_redirects=True)
    assert "vient d'être utilisé ailleurs" in flashes(response.get_data(as_text=True))
    assert Formation.select().count() == 1 and AuditLog.select().count() == 0


def test_an_expired_csrf_token_keeps_what_was_typed_and_says_why(app, client):
    import datetime

    import time_machine

    from ecandidat import clock
    formation = open_formation()
    console_login(client)
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/admin/formation/edit/?id={formation.id}"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page_text(client, url)).group(1)
    data = formation_form(formation, csrf_token=token, libelle="Master Chimie verte")
    later = clock.now() + datetime.timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"] + 60)
    with time_machine.travel(later):
        response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Votre session a expiré" in flashes(page)
    assert 'value="Master Chimie verte"' in page
    assert Formation.get_by_id(formation.id).libelle == formation.libelle


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_console_save_without_a_valid_token_changes_nothing(app, client, token):
    formation = open_formation()
    console_login(client)
    app.config["WTF_CSRF_ENABLED"] = True
    data = formation_form(formation, libelle="Piraté")
    if token:
        data["csrf_token"] = token
    for url in (f"/admin/formation/edit/?id={formation.id}", "/admin/formation/new/"):
        response = client.post(url, data=dict(data, code="PIRATE" if "new" in url else data["code"]))
        assert response.status_code in (200, 400)
    assert Formation.get_by_id(formation.id).libelle == formation.libelle
    assert not Formation.select().where(Formation.code == "PIRATE").exists()


def test_deleting_a_user_keeps_its_secrets_out_of_the_audit_trail(app, admin_client):
    other, _ = create_user("ancien@example.org", "admin", password=STRONG)
    response = admin_client.post("/admin/user/delete/", data={"id": other.id})
    assert response.status_code == 302
    audit = AuditLog.get(AuditLog.action == "console_suppression")
    assert "ancien@example.org" in audit.before
    assert other.password_hash not in audit.before and other.session_token not in audit.before
    assert "password_hash" not in audit.before and "session_token" not in audit.before
