"""The stored dossier PDF of a transmitted candidature (ecandidat.dossiers, issue 11):
built once out of the request by the `dossiers` job (or at once when asked before),
served from the stored file without rendering again, dropped by the changes of what it
shows in their own transaction, never half-written, known to the `fichiers` and
`archivage` jobs; the draft of an open candidature stays on demand within its budgets.
Runs on SQLite and PostgreSQL."""
import datetime
import io
import os
import threading
import zipfile

import pytest
import time_machine
from pypdf import PdfReader

from conftest import sign_in
from ecandidat import clock, dossiers, jobs, pdf, profile, storage, workflow
from ecandidat.db import database
from ecandidat.models import Avis, Campagne, Candidature, Formation, PieceCandidat, Tag, User
from ecandidat.users import create_user
from ecandidat.workflow import commission
from factories import PDF_BYTES, complete_candidat
from test_candidatures import offer  # noqa: F401 — a fixture
from test_console import console_login, flashes
from test_console_exports import download, numero, world  # noqa: F401 — a fixture
from test_races import race
from test_uploads import huge_png, pdf_bytes, store
from test_workflow import me, ready_candidature


@pytest.fixture
def renders(monkeypatch):
    """The ids of the candidatures whose dossier PDF was rendered, in order."""
    calls = []
    real = pdf.dossier_pdf

    def counting(candidature):
        calls.append(candidature.id)
        return real(candidature)
    monkeypatch.setattr(pdf, "dossier_pdf", counting)
    return calls


@pytest.fixture
def candidate(candidate_client, offer):
    """The signed-in candidate (candidate_client.candidat) with a candidature ready to
    transmit (candidate_client.candidature)."""
    formation, asked, q = offer
    candidate_client.candidat = complete_candidat(candidate_client.compte)
    candidate_client.candidature = ready_candidature(candidate_client.candidat, formation,
                                                     asked, q)
    candidate_client.asked = asked
    return candidate_client


def transmit(client):
    workflow.transmettre(me(client.candidat), client.candidature)
    return fresh(client.candidature)


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def run(name):
    outcome = jobs.run_job(name)
    assert not outcome.failed, outcome.error
    return outcome.report.counts


def upload_folder(app):
    folder = app.config["UPLOAD_FOLDER"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def piece_files():
    return {row.fichier for row in PieceCandidat.select() if row.fichier}


def dossier_files(app):
    """The files of the upload folder that are not uploaded pieces."""
    return upload_folder(app) - piece_files()


def pages(data):
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def stored_bytes(candidature):
    with open(storage.stored_path(fresh(candidature).dossier_pdf), "rb") as handle:
        return handle.read()


def get_dossier(client):
    return client.get(f"/candidatures/{client.candidature.id}/dossier.pdf")


def gestionnaire():
    user, _ = create_user("scol@example.org", "admin")
    return workflow.Actor.user(User.get_by_id(user.id))


def loaded(actor, candidature):
    [row] = commission.candidatures_for(actor, [candidature.id])
    return row


# --- Built once, out of the request, served from the file -------------------------------------

def test_the_job_stores_one_pdf_after_transmission_served_without_rendering(app, candidate,
                                                                             renders):
    sent = transmit(candidate)
    assert sent.dossier_pdf is None and dossier_files(app) == set()

    assert run("dossiers") == {"dossiers construits": 1}
    stored = fresh(sent)
    assert dossier_files(app) == {stored.dossier_pdf} and stored.dossier_empreinte
    text = pages(stored_bytes(sent))
    assert "Dossier de candidature — Formation M1AES" in text[0]
    assert "Réceptionné" in " ".join(text)
    # Its own pages, then the one-page PDF and the image: what the commission reads.
    assert len(text) == len(pages(pdf.dossier_summary_pdf(stored))) + 2
    assert renders == [sent.id]

    for _ in range(2):
        response = get_dossier(candidate)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.get_data() == stored_bytes(sent)
        assert response.headers["Cache-Control"] == "no-store"
        assert f"dossier-{candidate.compte.numero_dossier}-M1AES.pdf" in \
            response.headers["Content-Disposition"]
    assert renders == [sent.id]  # served twice from the file
    assert run("dossiers") == {"dossiers construits": 0}
    assert renders == [sent.id]


def test_asked_before_the_job_it_is_built_at_once_and_stored(app, candidate, renders):
    sent = transmit(candidate)
    response = get_dossier(candidate)
    assert response.status_code == 200
    assert response.get_data() == stored_bytes(sent)
    assert get_dossier(candidate).get_data() == response.get_data()
    assert run("dossiers") == {"dossiers construits": 0}
    assert renders == [sent.id]


def test_no_free_render_slot_gives_a_page_that_retries_then_the_pdf(app, candidate, renders):
    sent = transmit(candidate)
    app.config["DOSSIER_RENDER_WAIT"] = 0
    with dossiers.render_slot():  # another render of this process holds the only slot
        response = get_dossier(candidate)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "15"
    page = response.get_data(as_text=True)
    assert "Dossier en cours de préparation" in page and "Réessayer maintenant" in page
    assert renders == [] and fresh(sent).dossier_pdf is None

    response = get_dossier(candidate)
    assert response.status_code == 200 and response.get_data() == stored_bytes(sent)


def test_renders_of_one_process_wait_for_the_slots(app, candidate, monkeypatch):
    """DOSSIER_RENDER_SLOTS bounds the renders held in memory at once, whoever asks."""
    app.config["DOSSIER_RENDER_SLOTS"] = 2
    busy, most = [0], [0]
    guard = threading.Lock()
    real = pdf.dossier_pdf

    def watched(candidature):
        with guard:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            return real(candidature)
        finally:
            with guard:
                busy[0] -= 1
    monkeypatch.setattr(pdf, "dossier_pdf", watched)
    candidature_id = candidate.candidature.id

    def draft():
        with app.app_context(), database.connection_context(), dossiers.render_slot():
            return pdf.dossier_pdf(Candidature.get_by_id(candidature_id))
    threads = [threading.Thread(target=draft) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert most[0] == 2


# --- Nothing half-written; the next run retries -----------------------------------------------

def test_a_failed_render_leaves_nothing_and_the_next_run_builds_it(app, candidate, monkeypatch):
    sent = transmit(candidate)
    real = pdf.dossier_pdf

    def broken(candidature):
        raise RuntimeError("WeasyPrint a échoué")
    monkeypatch.setattr(pdf, "dossier_pdf", broken)
    outcome = jobs.run_job("dossiers")
    assert outcome.failed and "WeasyPrint a échoué" in outcome.error
    assert fresh(sent).dossier_pdf is None and dossier_files(app) == set()
    # The candidate gets a page saying so, not an error.
    response = get_dossier(candidate)
    assert response.status_code == 503 and "en cours de préparation" in response.get_data(
        as_text=True)

    monkeypatch.setattr(pdf, "dossier_pdf", real)
    assert run("dossiers") == {"dossiers construits": 1}
    assert dossier_files(app) == {fresh(sent).dossier_pdf}


def test_a_write_that_fails_midway_leaves_no_file_and_no_reference(app, candidate, monkeypatch):
    sent = transmit(candidate)

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(storage.os, "fsync", disk_full)
    assert jobs.run_job("dossiers").failed
    assert fresh(sent).dossier_pdf is None and dossier_files(app) == set()  # no .part either
    monkeypatch.undo()

    def lost_database(*args):
        raise RuntimeError("connexion perdue")
    monkeypatch.setattr(dossiers, "_keep", lost_database)
    assert jobs.run_job("dossiers").failed
    assert fresh(sent).dossier_pdf is None and dossier_files(app) == set()
    monkeypatch.undo()
    assert run("dossiers") == {"dossiers construits": 1}


def test_a_change_during_the_render_discards_it(app, candidate, monkeypatch):
    """The reference is written only if the candidature still shows what was rendered."""
    sent = transmit(candidate)
    admin = gestionnaire()
    real = dossiers.render

    def render_then_change(candidature):
        data = real(candidature)
        commission.changer_statut(admin, [loaded(admin, sent)], "CO")
        return data
    monkeypatch.setattr(dossiers, "render", render_then_change)
    assert dossiers.build(sent.id) is None
    assert fresh(sent).dossier_pdf is None and dossier_files(app) == set()
    monkeypatch.undo()
    assert dossiers.build(sent.id) == fresh(sent).dossier_pdf
    assert "Complet" in " ".join(pages(stored_bytes(sent)))


# --- Once: twice, at once ---------------------------------------------------------------------

def test_the_job_run_twice_and_at_once_builds_each_dossier_once(app, candidate, make_compte,
                                                                offer, renders):
    formation, asked, q = offer
    other, _ = make_compte(email="autre@example.org")
    other = complete_candidat(other)
    second = ready_candidature(other, formation, asked, q)
    workflow.transmettre(me(other), second)
    first = transmit(candidate)

    outcomes = race(app, lambda: jobs.run_job("dossiers"), lambda: jobs.run_job("dossiers"))
    assert sum(o.busy_since is not None for o in outcomes) == 1  # the lock row
    assert sorted(renders) == sorted([first.id, second.id])
    assert run("dossiers") == {"dossiers construits": 0}
    assert dossier_files(app) == {fresh(first).dossier_pdf, fresh(second).dossier_pdf}

    # A request and the job building the same dossier at once (the lock row does not
    # stop a request): the render slot and the conditional write keep one.
    admin = gestionnaire()
    commission.changer_statut(admin, [loaded(admin, first)], "CO")
    assert fresh(first).dossier_pdf is None
    before = len(renders)
    names = race(app, lambda: dossiers.build(first.id), lambda: dossiers.build(first.id))
    assert names[0] == names[1] == fresh(first).dossier_pdf
    assert len(renders) == before + 1
    assert dossier_files(app) == {fresh(first).dossier_pdf, fresh(second).dossier_pdf}


def test_a_run_past_its_time_leaves_the_rest_to_the_next(app, candidate, make_compte, offer,
                                                         renders, monkeypatch):
    formation, asked, q = offer
    other, _ = make_compte(email="autre@example.org")
    other = complete_candidat(other)
    workflow.transmettre(me(other), ready_candidature(other, formation, asked, q))
    transmit(candidate)
    monkeypatch.setattr(jobs, "DOSSIERS_RUN_SECONDS", 0)
    assert run("dossiers") == {"dossiers construits": 1,
                               "dossiers laissés au prochain passage": 1}
    assert run("dossiers") == {"dossiers construits": 1}
    assert len(renders) == 2 and len(dossier_files(app)) == 2


# --- Dropped when what it shows changes --------------------------------------------------------

def test_a_statut_change_drops_the_stored_file_in_its_transaction(app, candidate, renders):
    sent = transmit(candidate)
    run("dossiers")
    old = fresh(sent).dossier_pdf
    admin = gestionnaire()

    # Refused (RE → RE is not a transition): rolled back, the file stays.
    with pytest.raises(workflow.WorkflowError):
        commission.changer_statut(admin, [loaded(admin, sent)], "RE")
    assert fresh(sent).dossier_pdf == old and old in dossier_files(app)

    commission.changer_statut(admin, [loaded(admin, sent)], "CO")
    assert fresh(sent).dossier_pdf is None and old not in upload_folder(app)
    assert run("dossiers") == {"dossiers construits": 1}
    assert "Complet" in " ".join(pages(stored_bytes(sent)))

    old = fresh(sent).dossier_pdf
    commission.changer_statut_piece(admin, loaded(admin, sent), candidate.asked["lettre"].id,
                                    "VA")
    assert fresh(sent).dossier_pdf is None and old not in upload_folder(app)
    run("dossiers")
    assert "Validée" in " ".join(pages(stored_bytes(sent)))


def test_what_the_dossier_does_not_show_keeps_it(app, candidate, renders):
    sent = transmit(candidate)
    run("dossiers")
    kept = fresh(sent).dossier_pdf
    admin = gestionnaire()
    commission.saisir_avis(admin, [loaded(admin, sent)], "FA")
    commission.valider_avis(admin, [loaded(admin, sent)])
    commission.changer_tags(admin, [loaded(admin, sent)], [Tag.create(libelle="Urgent").id])
    commission.changer_bloc_notes(admin, loaded(admin, sent), "À revoir")
    workflow.decision.confirmer(me(candidate.candidat), fresh(sent))
    assert Avis.select().count() == 1 and fresh(sent).confirmation == "CONFIRME"
    assert fresh(sent).dossier_pdf == kept
    assert get_dossier(candidate).get_data() == stored_bytes(sent)
    assert renders == [sent.id]


def test_sent_back_incomplete_then_completed_and_sent_again(app, candidate, renders):
    sent = transmit(candidate)
    run("dossiers")
    first_file = fresh(sent).dossier_pdf
    admin = gestionnaire()
    commission.changer_statut(admin, [loaded(admin, sent)], "IN")
    assert fresh(sent).dossier_pdf is None and first_file not in upload_folder(app)

    # Back with the candidate: the draft, on demand, nothing stored.
    response = get_dossier(candidate)
    assert response.status_code == 200 and "Incomplet" in " ".join(pages(response.get_data()))
    assert fresh(sent).dossier_pdf is None and dossier_files(app) == set()

    workflow.deposer_piece(me(candidate.candidat), fresh(sent), candidate.asked["lettre"],
                           pdf_bytes(2), "lettre-complete.pdf")
    workflow.transmettre(me(candidate.candidat), fresh(sent))
    run("dossiers")
    text = " ".join(pages(stored_bytes(sent)))
    assert "lettre-complete.pdf" in text and "Réceptionné" in text


def test_a_profile_edit_drops_the_stored_dossiers(app, candidate):
    sent = transmit(candidate)
    run("dossiers")
    old = fresh(sent).dossier_pdf
    profile.save_stage(candidate.candidat, {
        "annee": 2024, "duree": "3 mois", "heures_semaine": 35,
        "employeur": "Mairie de Poitiers", "descriptif": "Accueil du public"})
    assert fresh(sent).dossier_pdf is None and old not in upload_folder(app)
    run("dossiers")
    assert "Mairie de Poitiers" in " ".join(pages(stored_bytes(sent)))


def test_a_change_outside_the_workflow_is_seen_by_the_fingerprint(app, candidate, renders):
    sent = transmit(candidate)
    run("dossiers")
    old = fresh(sent).dossier_pdf
    Formation.update(libelle="Master Administration économique et sociale").where(
        Formation.id == sent.formation_id).execute()
    data = get_dossier(candidate).get_data()
    assert "Master Administration économique et sociale" in pages(data)[0]
    assert data == stored_bytes(sent) and fresh(sent).dossier_pdf != old
    assert old not in upload_folder(app)
    assert len(renders) == 2
    get_dossier(candidate)
    assert len(renders) == 2


# --- The draft stays on demand within its budgets ----------------------------------------------

def test_the_draft_is_rendered_on_demand_within_its_page_and_pixel_budgets(app, candidate,
                                                                           renders):
    draft = candidate.candidature
    own_pages = len(pages(pdf.dossier_summary_pdf(fresh(draft))))
    app.config["DOSSIER_MAX_PAGES"] = own_pages + 3
    PieceCandidat.delete().execute()
    store(draft, candidate.asked["lettre"], pdf_bytes(2), "lettre.pdf", "application/pdf")
    store(draft, candidate.asked["identite"], huge_png(9000, 9000), "id.png", "image/png")
    store(draft, candidate.asked["handicap"], pdf_bytes(2), "handicap.pdf", "application/pdf")

    response = get_dossier(candidate)
    assert response.status_code == 200
    text = pages(response.get_data())
    # The letter fits (2 pages); the 81-megapixel image and the piece past the budget
    # are each a notice page.
    assert len(text) == own_pages + 2 + 2 <= app.config["DOSSIER_MAX_PAGES"] + 1
    assert "Pièce « Pièce d'identité » illisible ou introuvable" in text[-2]
    assert "illisible ou introuvable" in text[-1]
    assert fresh(draft).dossier_pdf is None and renders == [draft.id]
    get_dossier(candidate)
    assert renders == [draft.id, draft.id]  # a draft is never stored


# --- Known to the jobs that clean and destroy ---------------------------------------------------

def test_the_fichiers_job_keeps_stored_dossiers_and_removes_orphans(app, candidate):
    sent = transmit(candidate)
    run("dossiers")
    kept = fresh(sent).dossier_pdf
    orphan = storage.save_new(PDF_BYTES, "pdf")  # a run that crashed before its reference
    with time_machine.travel(clock.now() + datetime.timedelta(days=2), tick=False):
        for name in (kept, orphan):
            old = (clock.now() - datetime.timedelta(days=2)).timestamp()
            os.utime(storage.stored_path(name), (old, old))
        assert run("fichiers") == {"fichiers orphelins supprimés": 1}
    assert kept in upload_folder(app) and orphan not in upload_folder(app)


def test_the_archivage_job_destroys_the_stored_dossiers_with_their_candidatures(app, candidate):
    app.config["ARCHIVE_RETENTION_DAYS"] = 1
    today = clock.today()
    campagne = Campagne.create(code="C", libelle="C", date_debut=today - datetime.timedelta(400),
                               date_fin=today - datetime.timedelta(1), en_service=False,
                               archivee_le=clock.now() - datetime.timedelta(days=3))
    sent = transmit(candidate)
    Candidature.update(campagne=campagne).where(Candidature.id == sent.id).execute()
    run("dossiers")
    stored = fresh(sent).dossier_pdf
    counts = run("archivage")
    assert counts["candidatures détruites"] == 1
    assert stored not in upload_folder(app)
    assert dossier_files(app) == set()


# --- Access ---------------------------------------------------------------------------------

def test_another_candidate_gets_404_for_a_stored_dossier(app, candidate, make_compte):
    sent = transmit(candidate)
    run("dossiers")
    intruder, _ = make_compte(email="intrus@example.org")
    complete_candidat(intruder)
    other = app.test_client()
    sign_in(other, intruder)
    assert other.get(f"/candidatures/{sent.id}/dossier.pdf").status_code == 404
    anonymous = app.test_client().get(f"/candidatures/{sent.id}/dossier.pdf")
    assert anonymous.status_code == 302


def test_the_console_zip_holds_the_stored_file_in_scope_only(world, app, client, renders):
    run("dossiers")
    sent = fresh(world["sent"])
    assert sent.dossier_pdf and renders.count(sent.id) == 1
    console_login(client, role="gestionnaire", scope="DSS")
    response = download(client, sent.id, world["draft"].id)
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.read(f"dossier-{numero(sent)}-M1AES.pdf") == stored_bytes(sent)
    assert renders.count(sent.id) == 1 and renders.count(world["draft"].id) == 1
    # Out of scope: nothing sent, though the dossier is stored.
    response = download(client, sent.id, world["other"].id)
    assert response.status_code == 302 and response.mimetype != "application/zip"
    assert "hors de votre périmètre" in flashes(client.get("/admin/candidature/").get_data(
        as_text=True))


def test_the_console_zip_says_when_a_dossier_is_being_prepared(world, app, client):
    app.config["DOSSIER_RENDER_WAIT"] = 0
    console_login(client, role="gestionnaire", scope="DSS")
    with dossiers.render_slot():
        response = download(client, world["sent"].id)
    assert response.status_code == 302 and response.mimetype != "application/zip"
    assert "en cours de préparation" in flashes(client.get("/admin/candidature/").get_data(
        as_text=True))


@pytest.fixture
def dropped_after_lookup(app, monkeypatch):
    """dossiers.document(), then a workflow action commits and deletes the stored file
    before the reader opens it (once)."""
    original, dropped = dossiers.document, []

    def document(candidature, language=None):
        found = original(candidature, language)
        if found.stored and not dropped:
            Candidature.update(dossier_pdf=None, dossier_empreinte=None).where(
                Candidature.id == candidature.id).execute()
            os.remove(storage.stored_path(found.stored))
            dropped.append(found.stored)
        return found
    monkeypatch.setattr(dossiers, "document", document)
    return dropped


def test_a_stored_file_deleted_before_it_is_read_is_asked_for_again(app, candidate, renders,
                                                                    dropped_after_lookup):
    sent = transmit(candidate)
    run("dossiers")
    response = get_dossier(candidate)
    assert dropped_after_lookup and response.status_code == 200
    assert response.get_data() == stored_bytes(sent)
    assert pages(response.get_data())[0].startswith("Dossier de candidature")


def test_the_console_zip_survives_a_stored_file_deleted_before_it_is_read(
        world, app, client, dropped_after_lookup):
    run("dossiers")
    sent = fresh(world["sent"])
    console_login(client, role="gestionnaire", scope="DSS")
    response = download(client, sent.id)
    assert dropped_after_lookup and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.read(f"dossier-{numero(sent)}-M1AES.pdf") == stored_bytes(sent)
