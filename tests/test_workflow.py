"""The candidate's actions on a candidature, state by state (SPEC §4.3–4.6).

Allowed actions write one audit row and exactly the expected mails; refused
ones change nothing, files included; the rules table says which is which."""
import datetime
import io
import os

import pytest
from playhouse.migrate import SchemaMigrator
from pypdf import PdfReader

from conftest import outbox, schema_diff
from ecandidat import clock, db, storage, workflow
from ecandidat.models import (AuditLog, Avis, Candidature, OutboxMail, PieceCandidat,
                              PieceJustificative, Question, ReponseQuestion, User)
from ecandidat.pdf import dossier_pdf
from ecandidat.workflow import rules
from factories import PDF_BYTES, PNG_BYTES, complete_candidat, open_formation, pieces, question

TODAY = clock.today()


@pytest.fixture
def setup(app, make_compte):
    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    formation = open_formation()
    asked = pieces(formation)
    q = question(formation)
    return candidat, formation, asked, q


def me(candidat):
    return workflow.Actor.candidat(candidat)


def apply(candidat, formation):
    return workflow.candidater(me(candidat), candidat, formation)


def ready_candidature(candidat, formation, asked, q):
    """A candidature with every piece provided and the question answered."""
    candidature = apply(candidat, formation)
    actor = me(candidat)
    workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, "lettre.pdf")
    workflow.deposer_piece(actor, candidature, asked["identite"], PNG_BYTES, "id.png")
    workflow.declarer_non_concerne(actor, candidature, asked["handicap"])
    workflow.repondre(actor, candidature, q, "oui")
    return candidature


def put_in_state(candidature, state):
    """Move a candidature to a state directly, as the console would have."""
    if state in ("RE", "CO", "IN"):
        Candidature.update(statut=state).where(Candidature.id == candidature.id).execute()
    elif state == "AT+avis":
        Avis.create(candidature=candidature, type_avis="LA")
    elif state == "RE+favorable":
        Candidature.update(statut="RE").where(Candidature.id == candidature.id).execute()
        Avis.create(candidature=candidature, type_avis="FA", valide=True, valide_le=clock.now())
    elif state == "annulee":
        Candidature.update(date_annulation=clock.now()).where(
            Candidature.id == candidature.id).execute()
    elif state == "retour passé":
        Candidature.update(date_retour_manuelle=TODAY - datetime.timedelta(days=1)).where(
            Candidature.id == candidature.id).execute()
    return Candidature.get_by_id(candidature.id)


def world(upload_folder):
    """Everything an action could touch."""
    return {
        "candidatures": list(Candidature.select().order_by(Candidature.id).dicts()),
        "pieces": list(PieceCandidat.select().order_by(PieceCandidat.id).dicts()),
        "reponses": list(ReponseQuestion.select().order_by(ReponseQuestion.id).dicts()),
        "audit": AuditLog.select().count(), "outbox": OutboxMail.select().count(),
        "files": sorted(os.listdir(upload_folder)),
    }


ACTIONS = {
    "deposer_piece": lambda a, c, asked, q: workflow.deposer_piece(a, c, asked["lettre"],
                                                                   PNG_BYTES, "l.png"),
    "non_concerne": lambda a, c, asked, q: workflow.declarer_non_concerne(a, c,
                                                                          asked["handicap"]),
    "supprimer_piece": lambda a, c, asked, q: workflow.supprimer_piece(a, c, asked["lettre"]),
    "repondre": lambda a, c, asked, q: workflow.repondre(a, c, q, "non"),
    "transmettre": lambda a, c, asked, q: workflow.transmettre(a, c),
    "annuler": lambda a, c, asked, q: workflow.annuler(a, c),
    "confirmer": lambda a, c, asked, q: workflow.decision.confirmer(a, c),
    "desister": lambda a, c, asked, q: workflow.decision.desister(a, c),
}

EXPECTED_MAILS = {
    "transmettre": ["STATUT_RE", "COMMISSION_ALERT_TRANSMISSION"],
    "annuler": ["CANDIDATURE_ANNULATION", "COMMISSION_ALERT_ANNULATION"],
    "confirmer": ["CANDIDATURE_CONFIRM"],
    "desister": ["CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT"],
}

CONTENT = {"deposer_piece", "non_concerne", "supprimer_piece", "repondre"}
ALLOWED = {
    "AT": CONTENT | {"transmettre", "annuler"},
    "AT+avis": CONTENT | {"transmettre"},
    "IN": CONTENT | {"transmettre"},
    "RE": set(),
    "RE+favorable": {"confirmer", "desister"},
    "CO": set(),
    "annulee": set(),
    "retour passé": {"annuler"},  # an untransmitted file may still be withdrawn
}


def test_every_candidate_action_of_the_rules_table_is_in_the_state_table():
    assert set(ACTIONS) == set(rules.actions(workflow.CANDIDAT))


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_state_action_table(app, setup, state, action):
    candidat, formation, asked, q = setup
    candidature = put_in_state(ready_candidature(candidat, formation, asked, q), state)
    if action == "non_concerne":  # start from an uploaded file so that NC changes something
        PieceCandidat.update(statut="TR").where(PieceCandidat.piece == asked["handicap"]).execute()
    before = world(app.config["UPLOAD_FOLDER"])
    # What the pages read (the buttons) agrees with what the action does.
    assert workflow.may(action, me(candidat), candidature) == (action in ALLOWED[state])
    if action in ALLOWED[state]:
        ACTIONS[action](me(candidat), candidature, asked, q)
        assert AuditLog.select().count() == before["audit"] + 1
        assert AuditLog.select().order_by(AuditLog.id.desc()).get().actor == \
            f"candidat:{candidat.compte.numero_dossier}"
        new_mails = [m.code for m in outbox()][before["outbox"]:]
        assert new_mails == EXPECTED_MAILS.get(action, [])
    else:
        with pytest.raises(workflow.WorkflowError):
            ACTIONS[action](me(candidat), candidature, asked, q)
        assert world(app.config["UPLOAD_FOLDER"]) == before


def test_candidater_creates_AT_with_mail_and_audit(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    assert (candidature.statut, candidature.type_traitement) == ("AT", "AC")
    assert candidature.type_traitement_valide
    assert [m.code for m in outbox()] == ["CANDIDATURE"]
    assert AuditLog.get().action == "candidater"


def test_acces_direct_waits_for_validation(setup):
    candidat, *_ = setup
    formation = open_formation(code="L3", type_traitement="AD")
    candidature = apply(candidat, formation)
    assert (candidature.type_traitement, candidature.type_traitement_valide) == ("AT", False)


@pytest.mark.parametrize("case, message", [
    ("incomplete", "complétez la rubrique « Adresse »"),
    ("closed", "Les candidatures pour cette formation sont fermées"),
    ("twice", "Vous avez déjà candidaté à cette formation."),
    ("limit", "nombre maximum de 1 candidatures"),
])
def test_candidater_preconditions(setup, case, message):
    candidat, formation, asked, q = setup
    target = formation
    if case == "incomplete":
        candidat.adresse = None
        candidat.save()
    elif case == "closed":
        target = open_formation(code="OLD", date_debut_depot=TODAY - datetime.timedelta(days=40),
                                date_fin_depot=TODAY - datetime.timedelta(days=1))
    elif case == "twice":
        apply(candidat, formation)
    elif case == "limit":
        formation.commission.centre.nb_max_voeux = 1
        formation.commission.centre.save()
        apply(candidat, formation)
        target = open_formation(code="M2", centre=formation.commission.centre)
    count = Candidature.select().count()
    with pytest.raises(workflow.WorkflowError, match=message) as refused:
        apply(candidat, target)
    assert Candidature.select().count() == count
    if case == "incomplete":
        assert refused.value.link == ("profile.adresse", {})


def test_apply_again_after_cancelling(setup):
    candidat, formation, asked, q = setup
    workflow.annuler(me(candidat), apply(candidat, formation))
    assert apply(candidat, formation).statut == "AT"


def test_transmission_lists_what_is_missing(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    problems = [str(p) for p in workflow.refusals("transmettre", me(candidat), candidature)]
    assert problems == ["Pièce manquante : Lettre de motivation.",
                        "Pièce manquante : Pièce d'identité.",
                        "Pièce manquante : Demande d'aménagement au titre du handicap.",
                        "Question sans réponse : En alternance ?"]
    with pytest.raises(workflow.WorkflowError, match="Lettre de motivation"):
        workflow.transmettre(me(candidat), candidature)
    assert Candidature.get_by_id(candidature.id).statut == "AT"


def test_shared_piece_serves_every_candidature_and_survives_cancellation(app, setup):
    candidat, formation, asked, q = setup
    first = ready_candidature(candidat, formation, asked, q)
    second = apply(candidat, open_formation(code="M2"))
    rows = dict((p.code, r) for p, r in workflow.piece_rows(second))
    assert rows["ID"] is not None and rows["ID"].statut == "TR"
    assert rows["HANDI"].statut == "NC"
    own_file = dict((p.code, r) for p, r in workflow.piece_rows(first))["LM-M1AES"].fichier
    PieceCandidat.update(statut="AT").execute()  # keep "annuler" possible
    workflow.annuler(me(candidat), first)
    files = os.listdir(app.config["UPLOAD_FOLDER"])
    assert rows["ID"].fichier in files and own_file not in files


def test_replacing_a_file_removes_the_old_one(app, setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    actor = me(candidat)
    first = workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, "a.pdf").fichier
    second = workflow.deposer_piece(actor, candidature, asked["lettre"], PNG_BYTES, "b.png").fichier
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == [second]
    assert first != second and PieceCandidat.select().count() == 1


def test_a_file_that_cannot_be_removed_after_commit_never_fails_the_upload(app, setup,
                                                                           monkeypatch, caplog):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    actor = me(candidat)
    first = workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, "a.pdf")

    def refused(name):
        raise PermissionError(name)
    monkeypatch.setattr(storage, "delete_stored", refused)
    second = workflow.deposer_piece(actor, candidature, asked["lettre"], PNG_BYTES, "b.png")
    assert PieceCandidat.get().fichier == second.fichier != first.fichier
    assert "non supprimés" in caplog.text


def test_a_validated_piece_cannot_be_replaced(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    row = workflow.deposer_piece(me(candidat), candidature, asked["lettre"], PDF_BYTES, "a.pdf")
    PieceCandidat.update(statut="VA").where(PieceCandidat.id == row.id).execute()
    with pytest.raises(workflow.WorkflowError, match="validée"):
        workflow.deposer_piece(me(candidat), candidature, asked["lettre"], PNG_BYTES, "b.png")


def test_a_crash_while_saving_leaves_no_file_and_no_row(app, setup, monkeypatch):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(workflow.content, "record", crash)
    with pytest.raises(RuntimeError):
        workflow.deposer_piece(me(candidat), candidature, asked["lettre"], PDF_BYTES, "a.pdf")
    assert os.listdir(app.config["UPLOAD_FOLDER"]) == []
    assert PieceCandidat.select().count() == 0


@pytest.mark.parametrize("data, message", [
    (b"", "Le fichier est vide."),
    (b"MZ\x90\x00" + b"\x00" * 200, "Ce type de fichier n'est pas accepté"),
    (b"<html><script>alert(1)</script></html>", "Ce type de fichier n'est pas accepté"),
    (b"%PDF-1.4" + b"\x00" * (2 * 1024 * 1024), "taille maximale de 1 Mo"),
])
def test_bad_files_are_refused_and_nothing_is_written(app, setup, data, message):
    app.config["MAX_UPLOAD_MB"] = 1
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    with pytest.raises(workflow.WorkflowError, match=message):
        workflow.deposer_piece(me(candidat), candidature, asked["lettre"], data, "x.pdf")
    folder = app.config["UPLOAD_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == []
    assert PieceCandidat.select().count() == 0


def test_paper_formation_takes_no_upload(setup):
    candidat, *_ = setup
    formation = open_formation(code="ORTHO", demat=False)
    candidature = apply(candidat, formation)
    with pytest.raises(workflow.WorkflowError, match="dossier papier"):
        workflow.deposer_piece(me(candidat), candidature, pieces(formation)["lettre"],
                               PDF_BYTES, "a.pdf")
    assert "dossier papier" in str(workflow.refusals("transmettre", me(candidat), candidature)[0])


def test_answers_are_checked(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    with pytest.raises(workflow.WorkflowError, match="oui ou par non"):
        workflow.repondre(me(candidat), candidature, q, "peut-être")
    choice = question(formation, kind="C")
    with pytest.raises(workflow.WorkflowError, match="réponses proposées"):
        workflow.repondre(me(candidat), candidature, choice, "Juillet")
    assert workflow.repondre(me(candidat), candidature, choice, "Juin").statut == "TR"


# --- A transmitted candidature keeps the shared pieces it was sent with -------------------

def transmitted_and_open(candidat, formation, asked, q):
    """The first candidature transmitted, a second one (to another formation) still open."""
    first = ready_candidature(candidat, formation, asked, q)
    workflow.transmettre(me(candidat), first)
    second = apply(candidat, open_formation(code="M2"))
    return first, second


def files_of(candidature):
    return {p.code: (r.fichier, r.nom_original, r.statut) if r else None
            for p, r in workflow.piece_rows(candidature)}


def pdf_pages(data):
    """Each page's text and images: what the commission reads."""
    return [(page.extract_text(), [image.data for image in page.images])
            for page in PdfReader(io.BytesIO(data)).pages]


def test_replacing_a_shared_piece_elsewhere_leaves_the_transmitted_one_unchanged(app, setup):
    candidat, formation, asked, q = setup
    first, second = transmitted_and_open(candidat, formation, asked, q)
    sent, sent_pdf = files_of(first), pdf_pages(dossier_pdf(first))

    new_id = workflow.deposer_piece(me(candidat), second, asked["identite"], PDF_BYTES,
                                    "nouvelle-carte.pdf")
    workflow.deposer_piece(me(candidat), second, asked["handicap"], PDF_BYTES, "amenagement.pdf")

    assert files_of(first) == sent
    assert pdf_pages(dossier_pdf(first)) == sent_pdf
    assert files_of(second)["ID"] == (new_id.fichier, "nouvelle-carte.pdf", "TR")
    on_disk = set(os.listdir(app.config["UPLOAD_FOLDER"]))
    assert sent["ID"][0] in on_disk and new_id.fichier in on_disk


def answers_of(candidature):
    return {q.code: a.reponse if a else None for q, a in workflow.question_rows(candidature)}


CATALOGUE_CHANGES = {
    "piece désactivée": lambda asked, q, other: PieceJustificative.update(actif=False).where(
        PieceJustificative.id == asked["lettre"].id).execute(),
    "pièce déplacée": lambda asked, q, other: PieceJustificative.update(formation=other).where(
        PieceJustificative.id == asked["lettre"].id).execute(),
    "pièce restreinte à l'accès direct": lambda asked, q, other: PieceJustificative.update(
        type_traitement="AD").where(PieceJustificative.id == asked["identite"].id).execute(),
    "pièce ajoutée": lambda asked, q, other: PieceJustificative.create(
        code="NOUVELLE", libelle="Pièce demandée après coup", formation=asked["lettre"].formation),
    "question désactivée": lambda asked, q, other: Question.update(actif=False).where(
        Question.id == q.id).execute(),
}


@pytest.mark.parametrize("change", CATALOGUE_CHANGES)
def test_a_catalogue_change_leaves_a_transmitted_candidature_unchanged(app, setup, change):
    """What the commission received (pieces, answers, dossier PDF) is what was sent,
    whatever happens to the catalogue afterwards — deactivating is what the console
    offers instead of deleting."""
    candidat, formation, asked, q = setup
    sent = ready_candidature(candidat, formation, asked, q)
    workflow.transmettre(me(candidat), sent)
    before = files_of(sent), answers_of(sent), pdf_pages(dossier_pdf(sent))

    CATALOGUE_CHANGES[change](asked, q, open_formation(code="AUTRE"))

    sent = Candidature.get_by_id(sent.id)
    assert (files_of(sent), answers_of(sent), pdf_pages(dossier_pdf(sent))) == before


def test_a_candidature_sent_back_incomplete_is_asked_the_pieces_of_today(app, setup):
    candidat, formation, asked, q = setup
    sent = ready_candidature(candidat, formation, asked, q)
    workflow.transmettre(me(candidat), sent)
    PieceJustificative.create(code="NOUVELLE", libelle="Pièce demandée après coup",
                              formation=formation)
    incomplete = put_in_state(sent, "IN")
    assert files_of(incomplete)["NOUVELLE"] is None
    assert workflow.refusals("transmettre", me(candidat), incomplete)


def test_deleting_a_shared_piece_elsewhere_keeps_the_transmitted_file(app, setup):
    candidat, formation, asked, q = setup
    first, second = transmitted_and_open(candidat, formation, asked, q)
    sent = files_of(first)
    workflow.supprimer_piece(me(candidat), second, asked["identite"])
    assert files_of(second)["ID"] is None
    assert files_of(first) == sent
    assert sent["ID"][0] in os.listdir(app.config["UPLOAD_FOLDER"])
    with open(storage.stored_path(sent["ID"][0]), "rb") as handle:
        assert handle.read() == PNG_BYTES


def test_sent_back_incomplete_the_candidature_follows_the_shared_piece_again(app, setup):
    candidat, formation, asked, q = setup
    first, second = transmitted_and_open(candidat, formation, asked, q)
    old = files_of(first)["ID"][0]
    put_in_state(first, "IN")
    first = Candidature.get_by_id(first.id)
    workflow.deposer_piece(me(candidat), first, asked["identite"], PDF_BYTES, "carte.pdf")
    assert files_of(first)["ID"] == files_of(second)["ID"]
    assert files_of(first)["ID"][1] == "carte.pdf"
    assert old not in os.listdir(app.config["UPLOAD_FOLDER"])  # nothing refers to it now
    workflow.transmettre(me(candidat), first)
    assert PieceCandidat.get(PieceCandidat.candidature == first.id,
                             PieceCandidat.piece == asked["identite"]).nom_original == "carte.pdf"


def test_a_file_shared_with_a_transmitted_candidature_outlives_the_cancelled_one(app, setup):
    """Cancelling removes the candidature's own files, never one another row uses."""
    candidat, formation, asked, q = setup
    first, second = transmitted_and_open(candidat, formation, asked, q)
    Candidature.update(statut="AT").where(Candidature.id == first.id).execute()
    first = Candidature.get_by_id(first.id)
    kept = files_of(first)["ID"][0]
    workflow.annuler(me(candidat), first)
    assert kept in os.listdir(app.config["UPLOAD_FOLDER"])
    assert files_of(second)["ID"][0] == kept


# --- The actor -------------------------------------------------------------------------

def test_actions_are_audited_under_their_actor_and_other_actors_are_refused(setup, make_compte):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    assert AuditLog.get().actor == f"candidat:{candidat.compte.numero_dossier}"
    user = User.create(email="gestion@example.org", nom="G", prenom="G", role="admin")
    job = workflow.Actor.job("desistement")
    assert workflow.Actor.user(user).label == "user:gestion@example.org"
    intruder = complete_candidat(make_compte(email="intrus@example.org")[0])
    for actor, message in ((workflow.Actor.user(user), "pas permise"),
                           (job, "pas permise"),
                           (me(intruder), "n'est pas la vôtre")):
        assert not workflow.may("annuler", actor, candidature)
        with pytest.raises(workflow.WorkflowError, match=message):
            workflow.annuler(actor, candidature)
    with pytest.raises(workflow.WorkflowError, match="n'est pas la vôtre"):
        workflow.candidater(me(intruder), candidat, open_formation(code="M2"))
    assert Candidature.get_by_id(candidature.id).date_annulation is None


def test_the_rules_table_drives_the_effects(setup, monkeypatch):
    """A row added to the table is applied as it says: statut, dates, actor field, mails."""
    candidat, formation, asked, q = setup
    candidature = ready_candidature(candidat, formation, asked, q)
    user = workflow.Actor.user(User.create(email="g@example.org", nom="G", prenom="G",
                                           role="admin"))
    monkeypatch.setattr(rules, "RULES", {("declarer_complet", workflow.USER): rules.Rule(
        frozenset({"AT"}), "non", statut="CO", dates=("date_complet",),
        by="confirmation_par", mails=(rules.Mail("STATUT_CO"),))})
    assert workflow.refusals_by_action(user, candidature) == {"declarer_complet": []}
    workflow.engine.run("declarer_complet", user, candidature)
    saved = Candidature.get_by_id(candidature.id)
    assert (saved.statut, saved.confirmation_par) == ("CO", "user:g@example.org")
    assert saved.date_complet is not None
    assert outbox()[-1].code == "STATUT_CO"
    assert AuditLog.select().order_by(AuditLog.id.desc()).get().actor == "user:g@example.org"
    with pytest.raises(workflow.WorkflowError, match="non"):
        workflow.engine.run("declarer_complet", user, saved)


# --- Deadlines -----------------------------------------------------------------------

def test_date_retour_manual_date_wins(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    assert workflow.date_retour(candidature) == formation.date_retour
    candidature.date_retour_manuelle = TODAY + datetime.timedelta(days=90)
    assert workflow.date_retour(candidature) == TODAY + datetime.timedelta(days=90)


def test_date_confirmation_manual_then_delai_then_formation(setup):
    candidat, formation, asked, q = setup
    candidature = apply(candidat, formation)
    assert workflow.date_confirmation(candidature) is None
    formation.date_confirmation = TODAY + datetime.timedelta(days=60)
    assert workflow.date_confirmation(candidature) == TODAY + datetime.timedelta(days=60)

    formation.date_confirmation, formation.delai_confirmation = None, 8
    assert workflow.date_confirmation(candidature) is None  # no validated avis yet
    # Validated at 23:30 UTC on the 1st of June: already the 2nd in Paris.
    validated = datetime.datetime(2025, 6, 1, 23, 30, tzinfo=datetime.timezone.utc)
    Avis.create(candidature=candidature, type_avis="FA", valide=True, valide_le=validated)
    assert workflow.date_confirmation(candidature) == datetime.date(2025, 6, 10)

    candidature.date_confirmation_manuelle = datetime.date(2025, 7, 1)
    assert workflow.date_confirmation(candidature) == datetime.date(2025, 7, 1)


# --- Migration 0002 on existing data -----------------------------------------------------

def test_migration_keeps_one_answer_per_piece_and_copies_shared_pieces(app, setup):
    """Rows written before 0002: duplicates from concurrent uploads, and a transmitted
    candidature reading the shared row. The migration keeps the latest duplicate and
    gives the transmitted candidature its copy, then adds the unique indexes."""
    candidat, formation, asked, q = setup
    sent = Candidature.create(candidat=candidat, formation=formation, statut="RE")
    other = Candidature.create(candidat=candidat, formation=open_formation(code="M2"))
    database = db.database.obj
    for name in ("piece_candidat_candidature_id_piece_id", "piece_candidat_candidat_id_piece_id"):
        database.execute_sql(f'DROP INDEX "{name}"')
    try:
        def row(**fields):
            return PieceCandidat.create(candidat=candidat, statut="TR", **fields)
        row(candidature=sent, piece=asked["lettre"], fichier="old.pdf")
        kept = row(candidature=sent, piece=asked["lettre"], fichier="new.pdf")
        row(piece=asked["identite"], fichier="old-id.png")
        shared = row(piece=asked["identite"], fichier="id.png", nom_original="carte.png")
        migration = next(m for m in db.migration_runner().migrations()
                         if m.name.startswith("0002")).load()
        migration.up(SchemaMigrator.from_database(database), database)
    finally:  # the unique indexes back for the next tests, whatever happened
        for index in PieceCandidat._meta.fields_to_index():
            if index._where is not None:
                database.execute(index)  # declared with IF NOT EXISTS

    assert [r.id for r in PieceCandidat.select().where(
        PieceCandidat.piece == asked["lettre"])] == [kept.id]
    assert PieceCandidat.select().where(PieceCandidat.candidature.is_null()).count() == 1
    copy = PieceCandidat.get(PieceCandidat.candidature == sent.id,
                             PieceCandidat.piece == asked["identite"])
    assert (copy.fichier, copy.nom_original, copy.id != shared.id) == ("id.png", "carte.png", True)
    assert not PieceCandidat.select().where(PieceCandidat.candidature == other.id).exists()
    assert not schema_diff(database)
