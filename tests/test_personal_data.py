"""The candidate's data in their hands (issue 10 §4): Télécharger mes données (a ZIP
written as it is sent: a JSON document and the uploaded files, theirs only) and Supprimer
mon compte (refused once a candidature was transmitted; everything that hangs off the
account deleted, files after the commit, audited, confirmed by mail)."""
import datetime
import io
import json
import os
import time
import zipfile

import pytest
from PIL import Image

from conftest import outbox, sign_in
from ecandidat import accounts, personal_data, storage, workflow
from ecandidat.models import (AbonnementCalendrier, Adresse, AuditLog, Avis, BacSpecialite,
                              Candidat, CandidatBac, CandidatBacSpecialite, Candidature,
                              CandidatureTag, CompteCandidat, CursusExterne, CursusInterne,
                              ExperiencePro, OutboxMail, PieceCandidat, Stage, Tag)
from ecandidat.security import hash_token
from factories import PDF_BYTES, PNG_BYTES, complete_candidat, open_formation, pieces, question

PASSWORD = "un mot de passe solide"


def _png(colour):
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


def build_account(make_compte, email, nom, formation, asked, secret, colour):
    """A candidate holding a row in every table that hangs off an account: the file
    (bac and spécialité, cursus interne and externe, stage, expérience), a draft
    candidature with its own and shared pieces (files), an answer and a tag, a cancelled
    candidature, a calendar subscription, mails. `secret` marks their own texts."""
    compte, _password = make_compte(email=email, nom=nom, password=PASSWORD)
    candidat = complete_candidat(compte)
    candidat.telephone = f"06 {secret[:8]}"
    candidat.save()
    bac = CandidatBac.get(CandidatBac.candidat == candidat.id)
    specialite = (BacSpecialite.get_or_none(BacSpecialite.code == "MATHS")
                  or BacSpecialite.create(code="MATHS", libelle="Mathématiques"))
    CandidatBacSpecialite.create(bac=bac, specialite=specialite)
    CursusInterne.create(candidat=candidat, annee=2023, libelle=f"L3 {secret}")
    CursusExterne.create(candidat=candidat, annee=2022, libelle=f"BTS {secret}", obtenu="O")
    Stage.create(candidat=candidat, annee=2021, duree="2 mois", employeur=f"Mairie {secret}")
    ExperiencePro.create(candidat=candidat, annee=2020, intitule=f"Vendeur {secret}",
                         duree="1 an", employeur="Boutique")
    actor = workflow.Actor.candidat(candidat)
    candidature = workflow.candidater(actor, candidat, formation)
    workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, f"lettre-{secret}.pdf")
    workflow.deposer_piece(actor, candidature, asked["identite"], _png(colour),
                           f"identite-{secret}.png")
    workflow.repondre(actor, candidature, question_for(formation), f"réponse {secret}")
    tag = Tag.get_or_none(Tag.libelle == "Boursier") or Tag.create(libelle="Boursier")
    CandidatureTag.create(candidature=candidature, tag=tag)
    Candidature.update(bloc_notes=f"NOTE INTERNE {secret}").where(
        Candidature.id == candidature.id).execute()
    other_formation = open_formation(code=f"X{secret[:6]}")
    cancelled = workflow.candidater(actor, candidat, other_formation)
    workflow.annuler(actor, cancelled)
    AbonnementCalendrier.create(compte=compte, token_hash=hash_token(f"jeton-{secret}"))
    return compte, candidat, candidature


_questions = {}


def question_for(formation):
    if formation.id not in _questions:
        _questions[formation.id] = question(formation, kind="S")
    return _questions[formation.id]


@pytest.fixture
def world(app, make_compte):
    _questions.clear()
    formation = open_formation()
    asked = pieces(formation)
    mine = build_account(make_compte, "camille@example.org", "MARTIN", formation, asked,
                         "CAMILLESECRET", "red")
    theirs = build_account(make_compte, "dominique@example.org", "DURAND", formation, asked,
                           "DOMINIQUESECRET", "blue")
    return mine, theirs, formation, asked


def stored_names(candidat):
    return {row.fichier for row in PieceCandidat.select().where(
        PieceCandidat.candidat == candidat.id) if row.fichier}


def read_zip(chunks):
    return zipfile.ZipFile(io.BytesIO(b"".join(chunks)))


# --- Télécharger mes données ----------------------------------------------------------------

def publish(candidature, type_avis="FA", valide=True, commentaire=None, **fields):
    return Avis.create(candidature=candidature, type_avis=type_avis, valide=valide,
                       valide_le=datetime.datetime.now(datetime.timezone.utc) if valide else None,
                       commentaire=commentaire, **fields)


def test_the_export_holds_the_candidates_own_data_and_only_what_they_may_see(app, world):
    (compte, candidat, candidature), (other, other_candidat, _c), _f, _a = world
    publish(candidature, "LC", rang=3, rang_reel=2, commentaire="Dossier solide")
    publish(candidature, "DE", valide=False, commentaire="COMMENTAIRE NON PUBLIE")
    prepared = personal_data.export(compte)
    archive = read_zip(personal_data.zip_chunks(prepared))
    document = json.loads(archive.read(personal_data.JSON_NAME).decode("utf-8"))

    assert document["format"] == personal_data.FORMAT
    assert set(document["description"]) == {key for key, _t in personal_data.SECTIONS}
    assert document["compte"]["numero_dossier"] == compte.numero_dossier
    assert document["compte"]["email"] == "camille@example.org"
    assert document["compte"]["abonnement_calendrier"]["actif"] is True
    dossier = document["dossier"]
    assert dossier["informations_personnelles"]["telephone"] == "06 CAMILLES"
    assert dossier["informations_personnelles"]["nationalite"] == {"code": "134",
                                                                  "libelle": "Espagne"}
    assert dossier["adresse"]["ville_etrangere"] == "Madrid"
    assert dossier["baccalaureat"]["specialites"] == [{"code": "MATHS",
                                                       "libelle": "Mathématiques"}]
    assert [c["libelle"] for c in dossier["cursus_interne"]] == ["L3 CAMILLESECRET"]
    assert [c["libelle"] for c in dossier["cursus_externe"]] == ["BTS CAMILLESECRET"]
    assert [s["employeur"] for s in dossier["stages"]] == ["Mairie CAMILLESECRET"]
    assert [e["intitule"] for e in dossier["experiences_pro"]] == ["Vendeur CAMILLESECRET"]

    live, cancelled = document["candidatures"]
    assert live["statut_dossier"] == {"code": "AT", "libelle": "En attente"}
    assert cancelled["annulee_le"] is not None
    assert [r["reponse"] for r in live["reponses"]] == ["réponse CAMILLESECRET"]
    # Only the published avis, with what the candidature page shows of it.
    [avis] = live["avis"]
    assert avis["avis"] == {"code": "LC", "libelle": "Liste complémentaire"}
    assert avis["rang_liste_complementaire"] == 3 and avis["commentaire"] == "Dossier solide"
    [own_piece] = live["pieces"]
    [shared_piece] = document["pieces_partagees"]
    assert own_piece["nom_original"] == "lettre-CAMILLESECRET.pdf"
    assert archive.read(own_piece["fichier"]) == PDF_BYTES
    assert archive.read(shared_piece["fichier"]) == _png("red")
    assert {m["sujet"] for m in document["mails"]} >= {
        f"Votre candidature à {live['formation']['libelle']}"}
    assert "Vos données eCandidat" in archive.read(personal_data.README_NAME).decode("utf-8")

    # Nothing of the other candidate, nothing internal.
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for foreign in ("DOMINIQUESECRET", "dominique@example.org", other.numero_dossier,
                    "NOTE INTERNE", "COMMENTAIRE NON PUBLIE", "Boursier",
                    "password_hash", "session_token"):
        assert foreign.encode() not in everything, foreign
    assert len([n for n in archive.namelist() if n.startswith("fichiers/")]) == 2
    assert _png("blue") not in everything


def test_a_hidden_commission_comment_is_not_exported(app, world):
    (compte, _candidat, candidature), _theirs, formation, _a = world
    formation.commission.afficher_commentaire = False
    formation.commission.save()
    publish(candidature, "FA", commentaire="Entretien concluant")
    document = personal_data.export(compte).document
    assert document["candidatures"][0]["avis"][0]["commentaire"] is None


def test_the_zip_is_written_chunk_by_chunk_whatever_the_size_of_the_files(app, world):
    """A 6 MB file goes out in chunks of about CHUNK_SIZE: what is held at once does not
    grow with the files."""
    (compte, candidat, _candidature), _theirs, _f, asked = world
    big = os.urandom(6 * 1024 * 1024)
    name = storage.save_new(big, "pdf")
    PieceCandidat.update(fichier=name, taille=len(big)).where(
        PieceCandidat.candidat == candidat.id, PieceCandidat.candidature.is_null()).execute()
    chunks = list(personal_data.zip_chunks(personal_data.export(compte)))
    assert len(chunks) > 50
    assert max(len(chunk) for chunk in chunks) < 2 * personal_data.CHUNK_SIZE
    archive = read_zip(chunks)
    shared = json.loads(archive.read(personal_data.JSON_NAME))["pieces_partagees"][0]
    assert archive.read(shared["fichier"]) == big
    assert archive.testzip() is None


def test_a_file_gone_before_it_is_read_is_marked_in_the_document(app, world):
    (compte, candidat, _candidature), _theirs, _f, _a = world
    prepared = personal_data.export(compte)
    gone = prepared.files[0]
    os.remove(gone.source)
    archive = read_zip(personal_data.zip_chunks(prepared))
    document = json.loads(archive.read(personal_data.JSON_NAME))
    entries = document["pieces_partagees"] + document["candidatures"][0]["pieces"]
    marked = [e for e in entries if e.get("fichier_absent")]
    assert len(marked) == 1 and marked[0]["fichier"] is None
    assert gone.path not in archive.namelist()


def test_the_download_is_a_streamed_zip_of_the_signed_in_candidate_only(app, client, world):
    (compte, _candidat, _candidature), (other, _oc, _ocand), _f, _a = world
    sign_in(client, compte)
    response = client.get("/mon-compte/mes-donnees.zip", buffered=False)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.is_streamed
    assert response.headers["Cache-Control"] == "no-store"
    assert (f'filename="mes-donnees-ecandidat-{compte.numero_dossier}.zip"'
            in response.headers["Content-Disposition"])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.response)))
    response.close()
    document = json.loads(archive.read(personal_data.JSON_NAME))
    assert document["compte"]["numero_dossier"] == compte.numero_dossier
    assert other.numero_dossier.encode() not in archive.read(personal_data.JSON_NAME)


def test_the_download_refuses_anonymous_visitors(client, world):
    response = client.get("/mon-compte/mes-donnees.zip")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert response.mimetype != "application/zip"


def test_mon_compte_offers_the_download_and_the_deletion(candidate_client):
    page = candidate_client.get("/mon-compte/").get_data(as_text=True)
    assert "Télécharger mes données" in page and "/mon-compte/mes-donnees.zip" in page
    assert "Supprimer mon compte" in page and "/mon-compte/supprimer" in page


# --- Supprimer mon compte: the domain -----------------------------------------------------

def owned_counts(compte_id):
    return {model.__name__: len(ids) for model, ids in
            personal_data.owned_rows(compte_id).items()}


def test_every_table_that_hangs_off_the_account_is_emptied(app, runner, world):
    """The deletion walks the foreign keys; this test makes sure it met each such table
    with rows: a table added later that refers to the account (or to a row of it) must
    get a row in build_account, so that its deletion is proven here."""
    (compte, candidat, candidature), (other, other_candidat, _oc), _f, _a = world
    before = owned_counts(compte.id)
    keeping = {model.__name__ for model in personal_data.KEEPING_MODELS}
    empty = sorted(name for name, count in before.items() if not count and name not in keeping)
    assert not empty, (f"tables reaching the account without rows in this test: {empty} — "
                       "add rows of them to build_account")
    assert {model.__name__ for model, _k in personal_data.owned_models()} >= {
        "CompteCandidat", "Candidat", "CandidatBac", "CandidatBacSpecialite", "CursusInterne",
        "CursusExterne", "Stage", "ExperiencePro", "Candidature", "PieceCandidat",
        "ReponseQuestion", "CandidatureTag", "AbonnementCalendrier"}
    theirs_before = owned_counts(other.id)
    files, other_files = stored_names(candidat), stored_names(other_candidat)
    audited = AuditLog.select().where(AuditLog.actor == f"candidat:{compte.numero_dossier}")
    theirs_audited = AuditLog.select().where(AuditLog.actor == f"candidat:{other.numero_dossier}")
    assert audited.count() and theirs_audited.count()
    theirs_audit_before = theirs_audited.count()
    assert AuditLog.select().where(AuditLog.after.contains("CAMILLESECRET")).exists()
    adresse_id = candidat.adresse_id
    mails_to_me = OutboxMail.select().where(OutboxMail.destinataire == compte.email).count()
    assert mails_to_me and files

    personal_data.delete_account(compte)

    after = owned_counts(compte.id)
    assert after == {"CompteCandidat": 1, **{name: 0 for name in before if
                                             name != "CompteCandidat"}}
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is None
    assert Adresse.get_or_none(Adresse.id == adresse_id) is None
    assert owned_counts(other.id) == theirs_before
    folder = app.config["UPLOAD_FOLDER"]
    assert not files & set(os.listdir(folder))
    assert other_files <= set(os.listdir(folder))
    # The mails to them are gone but the confirmation.
    assert [m.code for m in OutboxMail.select().where(
        OutboxMail.destinataire == compte.email)] == ["CPT_MIN_SUPPRESSION"]
    [mail] = outbox("CPT_MIN_SUPPRESSION")
    assert compte.numero_dossier in mail.corps_texte
    # The audit keeps the n° dossier, nothing else of them (the rows about what they typed
    # go: answers, file names); the other candidate's trail stays.
    [row] = AuditLog.select().where(AuditLog.actor == f"candidat:{compte.numero_dossier}")
    assert row.action == personal_data.ACTION_DELETE
    assert not AuditLog.select().where(AuditLog.before.contains("CAMILLESECRET")
                                       | AuditLog.after.contains("CAMILLESECRET")).exists()
    assert theirs_audited.count() == theirs_audit_before
    assert (row.table, row.record_id, row.actor) == ("compte_candidat", compte.id,
                                                     f"candidat:{compte.numero_dossier}")
    assert json.loads(row.before) == {"numero_dossier": compte.numero_dossier}
    assert row.after is None
    with pytest.raises(accounts.AccountError):
        accounts.authenticate(compte.email, PASSWORD)
    # No impossible state left: no file without its row, no row without its file.
    checked = runner.invoke(args=["invariants", "--grace", "0"])
    assert checked.exit_code == 0, checked.output


def test_an_account_with_nothing_but_itself_is_deleted(app, make_compte):
    compte, _ = make_compte()
    personal_data.delete_account(compte)
    assert not CompteCandidat.select().exists()


def transmit(candidat, candidature, asked):
    actor = workflow.Actor.candidat(candidat)
    workflow.declarer_non_concerne(actor, candidature, asked["handicap"])
    workflow.transmettre(actor, candidature)


@pytest.mark.parametrize("how", ["transmise", "statut_console", "avis", "transmise_annulee"])
def test_a_transmitted_candidature_keeps_the_account(app, world, how):
    (compte, candidat, candidature), _theirs, formation, asked = world
    if how in ("transmise", "transmise_annulee"):
        transmit(candidat, candidature, asked)
        if how == "transmise_annulee":  # back to En attente by the console, then cancelled
            Candidature.update(statut="AT", date_annulation=datetime.datetime.now(
                datetime.timezone.utc)).where(Candidature.id == candidature.id).execute()
    elif how == "statut_console":
        Candidature.update(statut="RE").where(Candidature.id == candidature.id).execute()
    else:
        publish(candidature, "DE", valide=False)
    before = owned_counts(compte.id)
    files = stored_names(candidat)
    with pytest.raises(personal_data.DeletionRefused) as refused:
        personal_data.delete_account(compte)
    assert "transmise" in str(refused.value.message)
    assert [c.mail for c in refused.value.contacts] == [formation.commission.mail]
    assert owned_counts(compte.id) == before
    assert files <= set(os.listdir(app.config["UPLOAD_FOLDER"]))
    assert not AuditLog.select().where(AuditLog.action == personal_data.ACTION_DELETE).exists()
    assert not outbox("CPT_MIN_SUPPRESSION")


def test_the_confirmation_is_the_password_or_else_the_word(app, make_compte):
    compte, password = make_compte()
    assert personal_data.check_confirmation(compte, password) is None
    assert personal_data.check_confirmation(compte, "SUPPRIMER") is not None
    assert personal_data.check_confirmation(compte, "") is not None
    compte.password_hash = None  # an account made by the institution's login
    assert personal_data.check_confirmation(compte, " supprimer ") is None
    assert personal_data.check_confirmation(compte, "oui") is not None


# --- Supprimer mon compte: the pages ------------------------------------------------------

def test_deleting_from_the_confirmation_page_ends_the_session(app, client, world):
    (compte, candidat, _c), (other, _oc, _occ), _f, _a = world
    sign_in(client, compte)
    page = client.get("/mon-compte/supprimer").get_data(as_text=True)
    assert "la suppression est définitive" in page and 'type="password"' in page
    wrong = client.post("/mon-compte/supprimer", data={"confirmation": "pas le bon"})
    assert wrong.status_code == 200 and "Mot de passe incorrect." in wrong.get_data(as_text=True)
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is not None

    done = client.post("/mon-compte/supprimer", data={"confirmation": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/")
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is None
    assert client.get("/mon-compte/").status_code == 302  # signed out
    assert CompteCandidat.get_or_none(CompteCandidat.id == other.id) is not None
    refused = client.post("/connexion", data={"identifier": compte.email,
                                              "password": PASSWORD})
    assert "Identifiant ou mot de passe incorrect." in refused.get_data(as_text=True)


def test_the_page_explains_a_refusal_and_whom_to_write_to(app, client, world):
    (compte, candidat, candidature), _theirs, formation, asked = world
    transmit(candidat, candidature, asked)
    sign_in(client, compte)
    page = client.get("/mon-compte/supprimer").get_data(as_text=True)
    assert "ne peut pas être supprimé" in page
    assert formation.commission.mail in page and formation.commission.libelle in page
    assert 'name="confirmation"' not in page
    response = client.post("/mon-compte/supprimer", data={"confirmation": PASSWORD})
    assert response.status_code == 409
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is not None


def test_an_account_without_password_confirms_with_the_word(app, client, make_compte):
    compte, _ = make_compte()
    CompteCandidat.update(password_hash=None).where(CompteCandidat.id == compte.id).execute()
    sign_in(client, compte)
    page = client.get("/mon-compte/supprimer").get_data(as_text=True)
    assert "SUPPRIMER" in page and 'type="password"' not in page
    assert client.post("/mon-compte/supprimer", data={"confirmation": "non"}).status_code == 200
    assert client.post("/mon-compte/supprimer",
                       data={"confirmation": "supprimer"}).status_code == 302
    assert not CompteCandidat.select().exists()


def test_the_deletion_pages_refuse_anonymous_visitors(client, make_compte):
    compte, _ = make_compte()
    for response in (client.get("/mon-compte/supprimer"),
                     client.post("/mon-compte/supprimer", data={"confirmation": PASSWORD})):
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert CompteCandidat.get_or_none(CompteCandidat.id == compte.id) is not None


def test_the_confirmation_mail_reaches_the_candidate(app, client, make_compte, smtp_server):
    compte, password = make_compte()
    sign_in(client, compte)
    assert client.post("/mon-compte/supprimer",
                       data={"confirmation": password}).status_code == 302
    wait_for(lambda: smtp_server.messages)  # sent by the mail thread after the answer
    [message] = smtp_server.messages
    assert message["To"] == compte.email
    assert compte.numero_dossier in message.get_content()


def test_a_mail_server_down_does_not_block_the_deletion(app, client, make_compte):
    from conftest import free_port
    from ecandidat.mail import flask_mail
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=1,
                      MAIL_USE_TLS=False, MAIL_SUPPRESS_SEND=False)  # nobody listens there
    flask_mail.init_app(app)
    compte, password = make_compte()
    sign_in(client, compte)
    response = client.post("/mon-compte/supprimer", data={"confirmation": password})
    assert response.status_code == 302
    assert not CompteCandidat.select().exists()
    # The mail thread failed after the answer: the mail stays for `mail send` to retry.
    wait_for(lambda: outbox("CPT_MIN_SUPPRESSION")[0].attempts)
    [mail] = outbox("CPT_MIN_SUPPRESSION")
    assert mail.destinataire == compte.email and mail.sent_at is None and mail.last_error


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_the_export_reads_as_many_statements_for_ten_rows_as_for_one(app, client, world):
    from ecandidat.models import Pays
    from test_catalog import counting_queries
    (compte, candidat, _candidature), _theirs, _formation, _asked = world
    espagne = Pays.get_by_id("134")
    CursusExterne.create(candidat=candidat, annee=2019, libelle="DUT", obtenu="O",
                         pays=espagne)
    sign_in(client, compte)

    def statements():
        with counting_queries() as counter:
            response = client.get("/mon-compte/mes-donnees.zip", buffered=False)
            b"".join(response.response)
            response.close()
        return counter.count
    before = statements()
    actor = workflow.Actor.candidat(candidat)
    for n in range(3):
        formation = open_formation(code=f"PLUS{n}")
        candidature = workflow.candidater(actor, candidat, formation)
        workflow.deposer_piece(actor, candidature, pieces(formation)["lettre"], PDF_BYTES,
                               f"lettre-{n}.pdf")
        publish(candidature, "FA", commentaire=f"avis {n}")
        CursusExterne.create(candidat=candidat, annee=2010 + n, libelle=f"Cursus {n}",
                             obtenu="N", pays=espagne)
        Stage.create(candidat=candidat, annee=2010 + n, duree="1 mois", employeur=f"E{n}")
    assert before > 10 and statements() == before


def test_the_confirmation_mail_is_in_the_candidates_language(app, make_compte):
    compte, _ = make_compte()
    CompteCandidat.update(langue="en").where(CompteCandidat.id == compte.id).execute()
    personal_data.delete_account(CompteCandidat.get_by_id(compte.id))
    [mail] = outbox("CPT_MIN_SUPPRESSION")
    assert mail.sujet == "Your eCandidat account has been deleted"
    assert "has been deleted" in mail.corps_texte
