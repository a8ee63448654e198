"""`flask demo` builds the guide's offer, open today, candidates with candidatures
in several states for the console accounts, and can run twice."""
import os
import re

import pytest

from ecandidat import clock, permissions, workflow
from ecandidat.demo import (CANDIDATS, FORMATIONS, PIECES, VOLUME_DOMAIN, VolumeExists,
                            create_demo, create_volume)
from ecandidat.models import (ALL_MODELS, AuditLog, Avis, Campagne, Candidat, Candidature,
                              Centre, Commission, CompteCandidat, Formation, MotivationAvis,
                              OutboxMail, PieceCandidat, PieceJustificative, Question,
                              StatutDossierParam, Tag, TypeDecision, User)
from ecandidat.profile import completeness
from ecandidat.security import check_password
from factories import PDF_BYTES


def test_demo_creates_the_guide_offer_open_today(app):
    report = create_demo()
    today = clock.today()
    assert Campagne.active() is not None
    assert {c.libelle for c in Centre.select()} >= {
        "UFR Droit et Sciences Sociales Poitiers Campus", "UFR Médecine-Pharmacie",
        "UFR Sciences Humaines et Arts"}
    aes = Formation.get(Formation.libelle == "M1 Administration Economique et Sociale")
    assert aes.mots_cles == "AES" and aes.type_diplome.libelle == "MASTER"
    assert aes.commission.centre.code == "DSS"
    ortho = Formation.get(Formation.code == "ORTHO")
    assert ortho.type_diplome.libelle == "Non diplômant" and not ortho.demat
    assert Formation.select().where(Formation.commission.in_(
        Commission.select().join(Centre).where(Centre.code == "SHA"))).count() >= 2
    assert all(f.is_open(today) and f.date_errors() == {} for f in Formation.select())
    assert report.formations == Formation.select().count()
    handicap = PieceJustificative.get(
        PieceJustificative.libelle == "Demande d'aménagement au titre du handicap")
    assert handicap.conditionnelle
    autres = PieceJustificative.select().where(
        PieceJustificative.libelle.startswith("Autre document jugé utile par le candidat"))
    assert len(autres) == 3 and all(p.conditionnelle and not p.partagee for p in autres)
    assert all(c.adresse and c.adresse.adresse1 for c in Commission.select())
    roles = {role: (email, password) for email, role, password in report.accounts}
    assert set(roles) == {"admin", "gestionnaire", "commission"}
    for email, password in roles.values():
        assert len(password) >= 12
        assert check_password(User.get(User.email == email).password_hash, password)


def snapshot_of_everything(app):
    rows = {m.__name__: sorted(map(str, m.select().dicts())) for m in ALL_MODELS}
    folder = app.config["UPLOAD_FOLDER"]
    files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    return rows, files


def test_demo_is_idempotent(app):
    first = create_demo()
    assert first.candidats == len(CANDIDATS) and first.candidats_password
    before = snapshot_of_everything(app)
    second = create_demo()
    assert snapshot_of_everything(app) == before
    assert all(password is None for _, _, password in second.accounts)
    assert second.candidats == 0 and second.candidats_password is None


def demo_candidature(email):
    return (Candidature.select().join(Candidat).join(CompteCandidat)
            .where(CompteCandidat.email == email).get())


def last_avis(candidature):
    return Avis.select().where(Avis.candidature == candidature.id).order_by(Avis.id.desc()).first()


def test_demo_candidatures_are_in_several_states(app):
    create_demo()
    by_email = {email: demo_candidature(email) for email, *_ in CANDIDATS}
    states = {row[0]: row[6] for row in CANDIDATS}
    for email, candidature in by_email.items():
        assert completeness(candidature.candidat).missing == [], email
        assert candidature.candidat.compte.valide
        assert candidature.campagne_id == Campagne.active().id
        assert AuditLog.select().where(AuditLog.table == "candidature",
                                       AuditLog.record_id == candidature.id).exists(), email
    statut = {states[e]: c.statut for e, c in by_email.items()}
    assert statut["brouillon"] == "AT" and statut["transmise"] == "RE"
    assert statut["complet"] == "CO" and statut["incomplet"] == "IN"
    incomplet = next(c for e, c in by_email.items() if states[e] == "incomplet")
    refused = PieceCandidat.get(PieceCandidat.candidature == incomplet.id,
                                PieceCandidat.statut == "RE")
    assert "signée" in refused.commentaire
    avis = {states[e]: last_avis(c) for e, c in by_email.items()}
    assert avis["brouillon"] is None and avis["transmise"] is None
    assert (avis["avis_saisi"].type_avis, avis["avis_saisi"].valide) == ("FA", False)
    assert (avis["favorable"].type_avis, avis["favorable"].valide) == ("FA", True)
    assert (avis["liste_complementaire"].type_avis, avis["liste_complementaire"].rang,
            avis["liste_complementaire"].valide) == ("LC", 1, True)
    assert avis["defavorable"].type_avis == "DE" and avis["defavorable"].motivation_id
    assert (avis["acces_direct"].type_avis, avis["acces_direct"].valide) == ("FA", True)
    assert avis["favorable"].type_decision.libelle == "Favorable"
    # The decision settings.
    assert {t.libelle for t in TypeDecision.select()} == {
        "Favorable", "Défavorable", "Liste complémentaire", "Liste d'attente", "Présélection",
        "Favorable (liste complémentaire)"}
    for formation in Formation.select():
        assert formation.type_decision_fav.libelle == "Favorable"
        assert formation.type_decision_fav_lc.libelle == "Favorable (liste complémentaire)"
    assert MotivationAvis.select().count() >= 3 and Tag.select().count() == 2
    assert {(p.code, p.visible_commission) for p in StatutDossierParam.select()} == {
        ("AT", False), ("RE", True), ("CO", True), ("IN", True)}
    # The mails of real use, queued and not sent.
    codes = {m.code for m in OutboxMail.select()}
    assert {"CANDIDATURE", "STATUT_RE", "STATUT_CO", "STATUT_IN", "AVIS_FAVORABLE",
            "AVIS_LISTE_COMP", "AVIS_DEFAVORABLE", "TYPE_TRAIT_AD"} <= codes
    assert not OutboxMail.select().where(OutboxMail.sent_at.is_null(False)).exists()


def test_each_demo_console_account_has_work(app, client):
    report = create_demo()
    names = {row[0]: row[2] for row in CANDIDATS}
    formations = {row[0]: row[5] for row in CANDIDATS}
    drafts = {row[0] for row in CANDIDATS if row[6] == "brouillon"}
    expected = {
        "admin": set(names),
        "gestionnaire": {e for e in names if formations[e] in ("M1AES", "M2DM")},
        "commission": {e for e in names if formations[e] == "M1AES" and e not in drafts},
    }
    for email, role, password in report.accounts:
        user = User.get(User.email == email)
        seen = {c.candidat.compte.email for c in permissions.visible_candidatures(
            permissions.scope_of(user), Candidature.select())}
        assert seen == expected[role], role
        client.post("/admin/logout")
        response = client.post("/admin/login", data={"email": email, "password": password})
        assert response.status_code == 302, role
        page = client.get("/admin/candidature/").get_data(as_text=True)
        for candidate in names:
            assert (names[candidate] in page) == (candidate in expected[role]), (role, candidate)
        dashboard = client.get("/admin/tableau-de-bord/")
        assert dashboard.status_code == 200 and "M1AES" in dashboard.get_data(as_text=True)


def test_demo_command_prints_the_generated_passwords(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org / mot de passe : " in result.output
    assert f"Candidats de démonstration créés : {len(CANDIDATS)}" in result.output
    again = runner.invoke(args=["demo"])
    assert "mot de passe inchangé" in again.output
    assert "Candidats de démonstration" not in again.output


def test_demo_tells_how_to_reset_a_lost_password(runner):
    first = runner.invoke(args=["demo"])
    assert "set-password" not in first.output
    again = runner.invoke(args=["demo"])
    assert "flask --app app users set-password --email ADRESSE" in again.output
    email = "admin@example.org"
    reset = runner.invoke(args=["users", "set-password", "--email", email])
    assert reset.exit_code == 0 and f"Mot de passe de {email} : " in reset.output


def test_demo_accounts_open_the_console(app, client):
    report = create_demo()
    email, _, password = next(a for a in report.accounts if a[1] == "admin")
    response = client.post("/admin/login", data={"email": email, "password": password})
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "Administrateur" in page
    assert client.get("/admin/formation/").status_code == 200


# --- Volume: `flask demo --candidates N` ----------------------------------------------------

def volume_comptes():
    return CompteCandidat.select().where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN))


def test_volume_adds_candidatures_in_every_state_with_their_files_audit_and_mails(app):
    create_demo()
    report = create_volume(400)
    volume = (Candidature.select().join(Candidat).join(CompteCandidat)
              .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN)))
    assert volume.count() == report.candidatures == 400
    assert report.formations == 500
    assert Formation.select().count() == len(FORMATIONS) + 500
    assert volume_comptes().count() == report.candidats and 130 < report.candidats < 400
    assert len({c.formation_id for c in volume}) > 100
    assert {c.statut for c in volume} == {"AT", "RE", "CO", "IN"}
    assert volume.where(Candidature.date_annulation.is_null(False)).exists()
    compte = volume_comptes().first()
    assert check_password(compte.password_hash, report.password)
    # Every row that names a file finds it in the upload folder, and every file is named.
    folder = app.config["UPLOAD_FOLDER"]
    referenced = {p.fichier for p in PieceCandidat.select().where(
        PieceCandidat.fichier.is_null(False))}
    assert referenced and referenced == set(os.listdir(folder))
    assert report.fichiers == len({p.fichier for p in (
        PieceCandidat.select().join(Candidat).join(CompteCandidat)
        .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN),
               PieceCandidat.fichier.is_null(False)))})
    lettre = PieceJustificative.get(PieceJustificative.code == "LM")
    for candidature in volume.where(Candidature.statut != "AT"):
        assert completeness(candidature.candidat).missing == []
        own = {p.piece_id: p for p in candidature.pieces}
        assert own[lettre.id].fichier and len(own) == len(PIECES), candidature.id
        for action in ("candidater", "transmettre"):
            assert AuditLog.select().where(AuditLog.action == action,
                                           AuditLog.record_id == candidature.id).exists()
        assert OutboxMail.select().where(
            OutboxMail.destinataire == candidature.candidat.compte.email,
            OutboxMail.code == "STATUT_RE").exists()
    # A formation's liste complémentaire: ranks 1, 2, 3… once each.
    ranks = {}
    for avis in Avis.select().join(Candidature).where(Avis.type_avis == "LC"):
        ranks.setdefault(avis.candidature.formation_id, []).append(avis.rang)
    assert ranks and all(sorted(r) == list(range(1, len(r) + 1)) for r in ranks.values())


def test_a_volume_draft_lacks_only_its_lettre_and_the_workflow_goes_on(app):
    create_demo()
    create_volume(200)
    draft = (Candidature.select().join(Candidat).join(CompteCandidat)
             .where(CompteCandidat.email.endswith("@" + VOLUME_DOMAIN),
                    Candidature.statut == "AT", Candidature.date_annulation.is_null())
             .first())
    me = workflow.Actor.candidat(draft.candidat)
    assert [str(p) for p in workflow.refusals("transmettre", me, draft)] == [
        "Pièce manquante : Lettre de motivation."]
    lettre = PieceJustificative.get(PieceJustificative.code == "LM")
    # New rows after the bulk inserts get new ids (PostgreSQL's sequences moved on).
    row = workflow.deposer_piece(me, draft, lettre, PDF_BYTES, "lettre.pdf")
    assert row.id > max(p.id for p in PieceCandidat.select().where(PieceCandidat.id != row.id))
    workflow.transmettre(me, draft)
    assert Candidature.get_by_id(draft.id).statut == "RE"
    other = Formation.select().where(Formation.code.startswith("VOL"),
                                     Formation.id.not_in([c.formation_id for c in
                                                          draft.candidat.candidatures])).first()
    assert workflow.candidater(me, draft.candidat, other).id > draft.id


def test_volume_refuses_a_second_run_and_adds_nothing(app, runner):
    first = runner.invoke(args=["demo", "--candidates", "60"])
    assert first.exit_code == 0, first.output
    assert "Volume : 60 candidatures" in first.output
    password = re.search(r"mot de passe commun : (\S+)\s*$", first.output).group(1)
    assert check_password(volume_comptes().first().password_hash, password)
    before = snapshot_of_everything(app)
    again = runner.invoke(args=["demo", "--candidates", "60"])
    assert again.exit_code == 1
    assert "Le volume a déjà été généré dans cette base (60 candidatures)" in again.output
    assert snapshot_of_everything(app) == before
    with pytest.raises(VolumeExists):
        create_volume(10)
