"""Scheduled jobs (ecandidat.jobs, `flask --app app jobs …`): each at its deadline
boundaries with frozen time, the lock (busy, stale, created at once), runs in
parallel threads that change nothing twice, and the command line. Runs on SQLite
and PostgreSQL."""
import datetime
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import outbox
from ecandidat import clock, jobs, storage, workflow
from ecandidat.models import (Adresse, AuditLog, Avis, Campagne, Candidat, Candidature,
                              Commission, CompteCandidat, JobRun, OutboxMail, PieceCandidat,
                              PieceJustificative, User)
from ecandidat.users import create_user
from ecandidat.workflow import commission, decision
from factories import PDF_BYTES, PNG_BYTES, complete_candidat, open_formation
from test_races import race

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime.date(2026, 6, 1)
DAY = datetime.timedelta(days=1)


def at(day, hour=23, minute=15):
    """The cron's hour on that day, in the institution's zone."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def frozen(app):
    with time_machine.travel(at(T0, 12, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(frozen):
    user, _ = create_user("scol@example.org", "admin")
    return workflow.Actor.user(User.get_by_id(user.id))


def applicant(make_compte, formation, email, statut="RE", **fields):
    compte, _ = make_compte(email=email, nom=email.split("@")[0].upper())
    candidat = complete_candidat(compte)
    sent = clock.now() if statut != "AT" else None
    return Candidature.create(candidat=candidat, formation=formation, statut=statut,
                              date_transmission=sent, date_reception=sent, **fields)


def give_avis(admin, candidature, type_avis, rang=None):
    """Enter and validate an avis through the console's workflow."""
    [loaded] = commission.candidatures_for(admin, [candidature.id])
    commission.saisir_avis(admin, [loaded], type_avis, rang=rang)
    [loaded] = commission.candidatures_for(admin, [candidature.id])
    commission.valider_avis(admin, [loaded])
    return fresh(candidature)


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def codes(since=0):
    return [mail.code for mail in outbox()[since:]]


def run(name):
    outcome = jobs.run_job(name)
    assert not outcome.failed, outcome.error
    assert outcome.busy_since is None
    return outcome.report.counts


# --- desistement-auto -----------------------------------------------------------------------

DEADLINE = T0 + datetime.timedelta(days=10)


def formation_for(variant):
    fields = dict(today=T0, date_debut_depot=T0 - 30 * DAY, date_fin_depot=T0 - 5 * DAY,
                  date_retour=T0 - DAY, liste_complementaire=True, delai_confirmation_lc=4)
    if variant == "formation":
        fields["date_confirmation"] = DEADLINE
    elif variant == "delai":  # 10 days after the avis is validated (on T0)
        fields["delai_confirmation"] = 10
    else:  # "manuelle": the formation's date is later, the candidature's own date wins
        fields["date_confirmation"] = DEADLINE + 20 * DAY
    return open_formation(code=f"F{variant[:6].upper()}", **fields)


@pytest.mark.parametrize("variant", ["formation", "delai", "manuelle"])
def test_desistement_auto_at_every_boundary_then_promotes_the_liste_complementaire(
        app, make_compte, frozen, admin, variant):
    formation = formation_for(variant)
    admis = applicant(make_compte, formation, "admis@example.org")
    if variant == "manuelle":
        Candidature.update(date_confirmation_manuelle=DEADLINE).where(
            Candidature.id == admis.id).execute()
    admis = give_avis(admin, admis, "FA")
    second = give_avis(admin, applicant(make_compte, formation, "second@example.org"), "LC", 2)
    premier = give_avis(admin, applicant(make_compte, formation, "premier@example.org"),
                        "LC", 1)
    assert workflow.date_confirmation(admis) == DEADLINE
    mails = len(outbox())
    for day in (DEADLINE - DAY, DEADLINE):
        frozen.move_to(at(day))
        assert run("desistement-auto") == {"désistements automatiques": 0}
        assert fresh(admis).confirmation is None and len(outbox()) == mails
    frozen.move_to(at(DEADLINE + DAY))
    assert run("desistement-auto") == {"désistements automatiques": 1,
                                       "promotions depuis la liste complémentaire": 1}
    gone = fresh(admis)
    assert (gone.confirmation, gone.confirmation_par) == ("DESISTE", "job:desistement-auto")
    assert codes(mails) == ["CANDIDATURE_DESIST_AUTO", "COMMISSION_ALERT_DESISTEMENT",
                            "AVIS_FAVORABLE", "COMMISSION_ALERT_LISTE_PRINC"]
    to = [mail.destinataire for mail in outbox()[mails:]]
    assert to[0] == "admis@example.org" and to[2] == "premier@example.org"
    promoted = Avis.select().where(Avis.candidature == premier.id).order_by(Avis.id.desc()).get()
    assert (promoted.type_avis, promoted.valide) == ("FA", True)
    # Its own deadline (the formation's LC délai from today), the next one moved up.
    assert fresh(premier).date_confirmation_manuelle == DEADLINE + 5 * DAY
    assert decision.lc_queue(formation.id)[0].candidature_id == second.id
    assert decision.lc_queue(formation.id)[0].rang_reel == 1
    # The next night: nothing left to do, nothing sent twice.
    mails = len(outbox())
    frozen.move_to(at(DEADLINE + 2 * DAY))
    assert run("desistement-auto") == {"désistements automatiques": 0}
    assert len(outbox()) == mails


def test_an_answered_or_unvalidated_favourable_avis_is_never_desisted(
        app, make_compte, frozen, admin):
    formation = formation_for("formation")
    confirmed = give_avis(admin, applicant(make_compte, formation, "oui@example.org"), "FA")
    decision.confirmer(admin, fresh(confirmed))
    pending = applicant(make_compte, formation, "attente@example.org")
    [loaded] = commission.candidatures_for(admin, [pending.id])
    commission.saisir_avis(admin, [loaded], "FA")  # entered, not validated
    mails = len(outbox())
    frozen.move_to(at(DEADLINE + DAY))
    assert run("desistement-auto") == {"désistements automatiques": 0}
    assert fresh(confirmed).confirmation == "CONFIRME" and fresh(pending).confirmation is None
    assert len(outbox()) == mails


# --- relance-favorable, relance-transmission --------------------------------------------------

def test_relance_favorable_once_within_the_days_before_the_deadline(
        app, make_compte, frozen, admin):
    app.config["RELANCE_FAVORABLE_DAYS"] = 2
    formation = formation_for("formation")
    waiting = give_avis(admin, applicant(make_compte, formation, "attend@example.org"), "FA")
    confirmed = give_avis(admin, applicant(make_compte, formation, "oui@example.org"), "FA")
    decision.confirmer(admin, fresh(confirmed))
    desisted = give_avis(admin, applicant(make_compte, formation, "non@example.org"), "FA")
    decision.desister(admin, fresh(desisted))
    mails = len(outbox())
    frozen.move_to(at(DEADLINE - 3 * DAY))
    assert run("relance-favorable") == {"relances envoyées": 0}
    assert len(outbox()) == mails
    frozen.move_to(at(DEADLINE - 2 * DAY))
    assert run("relance-favorable") == {"relances envoyées": 1}
    [mail] = outbox()[mails:]
    assert (mail.code, mail.destinataire) == ("CANDIDATURE_RELANCE_FAVO", "attend@example.org")
    assert fresh(waiting).relance_envoyee
    frozen.move_to(at(DEADLINE - DAY))
    assert run("relance-favorable") == {"relances envoyées": 0}
    assert len(outbox()) == mails + 1


def test_relance_transmission_once_before_the_date_de_retour_of_an_untransmitted_one(
        app, make_compte, frozen):
    app.config["RELANCE_TRANSMISSION_DAYS"] = 3
    retour = T0 + 20 * DAY
    formation = open_formation(code="RT", today=T0, date_retour=retour)
    draft = applicant(make_compte, formation, "brouillon@example.org", statut="AT")
    extended = applicant(make_compte, formation, "prolonge@example.org", statut="AT",
                         date_retour_manuelle=retour + 5 * DAY)
    applicant(make_compte, formation, "transmis@example.org", statut="RE")
    cancelled = applicant(make_compte, formation, "annule@example.org", statut="AT")
    Candidature.update(date_annulation=clock.now()).where(
        Candidature.id == cancelled.id).execute()
    mails = len(outbox())
    frozen.move_to(at(retour - 4 * DAY))
    assert run("relance-transmission") == {"relances envoyées": 0}
    frozen.move_to(at(retour - 3 * DAY))
    assert run("relance-transmission") == {"relances envoyées": 1}
    frozen.move_to(at(retour - 2 * DAY))
    assert run("relance-transmission") == {"relances envoyées": 0}
    assert [(m.code, m.destinataire) for m in outbox()[mails:]] == [
        ("CANDIDATURE_RELANCE_TRANSMISSION", "brouillon@example.org")]
    assert fresh(draft).relance_transmission_envoyee
    # The extended one is reminded against its own date.
    frozen.move_to(at(retour + 2 * DAY))
    assert run("relance-transmission") == {"relances envoyées": 1}
    assert outbox()[-1].destinataire == "prolonge@example.org"
    assert fresh(extended).relance_transmission_envoyee


# --- comptes -------------------------------------------------------------------------------------

def test_comptes_deletes_only_unvalidated_accounts_past_their_delay(app, make_compte, frozen):
    now = clock.now()

    def account(email, valide=False, age=6, expires_in=-1, with_file=False):
        compte, _ = make_compte(email=email, valide=valide)
        CompteCandidat.update(created_at=now - age * DAY,
                              validation_expires_at=now + expires_in * DAY).where(
            CompteCandidat.id == compte.id).execute()
        if with_file:
            Candidat.create(compte=compte, nom_patronymique="X", prenom="Y")
        return compte

    old = account("vieux@example.org")
    kept = [account("jeune@example.org", age=2, expires_in=3),
            account("relance@example.org", age=10, expires_in=2),  # asked for a new link
            account("valide@example.org", valide=True, age=30),
            account("dossier@example.org", age=30, with_file=True)]  # changed its e-mail
    assert run("comptes") == {"comptes non validés supprimés": 1}
    assert CompteCandidat.get_or_none(CompteCandidat.id == old.id) is None
    assert all(CompteCandidat.get_or_none(CompteCandidat.id == c.id) for c in kept)
    [row] = AuditLog.select().where(AuditLog.action == "supprimer_compte")
    assert (row.actor, row.record_id) == ("job:comptes", old.id)
    assert old.numero_dossier in row.before and "vieux@" not in row.before
    assert run("comptes") == {"comptes non validés supprimés": 0}


# --- mails ---------------------------------------------------------------------------------------

def test_mails_sends_everything_due_in_batches(app, smtp_server, monkeypatch):
    from ecandidat.db import database
    from ecandidat.mail import queue_mail, send_pending
    with database.atomic():
        for i in range(5):
            queue_mail("STATUT_RE", f"c{i}@example.org",
                       {"nom": "A", "prenom": "B", "formation": "M1"})
    monkeypatch.setattr("ecandidat.mail.send_pending",
                        lambda limit=200, **kw: send_pending(limit=2, **kw))
    assert run("mails") == {"mails envoyés": 5, "en échec (réessayés plus tard)": 0}
    assert len(smtp_server.messages) == 5
    assert run("mails") == {"mails envoyés": 0, "en échec (réessayés plus tard)": 0}


def test_mails_failing_are_reported_and_the_job_fails(app, smtp_server):
    from conftest import free_port
    from ecandidat.db import database
    from ecandidat.mail import flask_mail, queue_mail
    with database.atomic():
        queue_mail("STATUT_RE", "c@example.org", {"nom": "A", "prenom": "B", "formation": "M1"})
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    flask_mail.init_app(app)
    outcome = jobs.run_job("mails")
    assert outcome.failed and "1 mail(s) en échec" in outcome.error
    assert outcome.report.counts["en échec (réessayés plus tard)"] == 1
    assert JobRun.get_by_id("mails").last_error == outcome.error


# --- fichiers ------------------------------------------------------------------------------------

def test_fichiers_removes_only_old_orphans_that_storage_made(app, make_compte, frozen):
    folder = storage.upload_folder()
    old = (clock.now() - 2 * DAY).timestamp()

    def stored(data=PDF_BYTES, age=old):
        name = storage.save_upload(data)[0]
        os.utime(os.path.join(folder, name), (age, age))
        return name

    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    formation = open_formation(today=T0)
    piece = PieceJustificative.create(code="CV", libelle="CV", formation=formation,
                                      fichier_modele=stored())
    PieceCandidat.create(candidat=candidat, piece=piece, statut="TR", fichier=stored())
    Commission.update(signature_fichier=stored(PNG_BYTES)).where(
        Commission.id == formation.commission_id).execute()
    attached = stored()
    OutboxMail.create(destinataire="a@example.org", sujet="s", corps_texte="c",
                      piece_jointe=os.path.join(folder, attached))
    referenced = set(os.listdir(folder))
    young_orphan = stored(age=(clock.now() - DAY / 2).timestamp())
    old_orphan = stored()
    crashed = old_orphan.replace(".pdf", ".png") + ".part"
    foreign = ["notes.txt", ".hidden", "ABCDEF0123456789ABCDEF0123456789.pdf"]
    for name in [crashed] + foreign:
        with open(os.path.join(folder, name), "w") as handle:
            handle.write("x")
        os.utime(os.path.join(folder, name), (old, old))
    assert run("fichiers") == {"fichiers orphelins supprimés": 2}
    assert set(os.listdir(folder)) == referenced | {young_orphan} | set(foreign)
    assert run("fichiers") == {"fichiers orphelins supprimés": 0}


# --- archivage -----------------------------------------------------------------------------------

def campaign(code, debut, fin, archivee_le=None):
    return Campagne.create(code=code, libelle=code, date_debut=debut, date_fin=fin,
                           en_service=archivee_le is None, archivee_le=archivee_le)


def with_pieces(candidature, shared_piece):
    """An own piece (file) for the candidature and the candidate's shared piece (file)."""
    own = PieceJustificative.get_or_none(PieceJustificative.code == "LM") or \
        PieceJustificative.create(code="LM", libelle="Lettre")
    names = [storage.save_upload(PDF_BYTES)[0] for _ in range(2)]
    PieceCandidat.create(candidat=candidature.candidat_id, candidature=candidature.id,
                         piece=own, statut="TR", fichier=names[0])
    PieceCandidat.get_or_create(candidat=candidature.candidat_id, piece=shared_piece,
                                candidature=None,
                                defaults={"statut": "TR", "fichier": names[1]})
    return names


def test_archivage_archives_then_destroys_after_retention(app, make_compte, frozen, admin):
    app.config["ARCHIVE_RETENTION_DAYS"] = 365
    ended = campaign("C2025", T0 - 300 * DAY, T0 - DAY)
    assert Campagne.active(T0 - 2 * DAY).id == ended.id
    assert run("archivage") == {"campagnes archivées": 1, "campagnes détruites": 0}
    ended = Campagne.get_by_id(ended.id)
    assert ended.archivee_le == clock.now() and not ended.en_service
    assert Campagne.active(T0 - 2 * DAY) is None  # the console's active campaign is gone

    old = campaign("C2024", T0 - 700 * DAY, T0 - 400 * DAY, archivee_le=clock.now() - 366 * DAY)
    live = campaign("C2026", T0, T0 + 300 * DAY)
    formation = open_formation(today=T0, code="ARC")
    identite = PieceJustificative.create(code="ID", libelle="Identité", partagee=True)
    gone = applicant(make_compte, formation, "parti@example.org", campagne=old)
    gone_files = with_pieces(gone, identite)
    Avis.create(candidature=gone, type_avis="FA", valide=True, valide_le=clock.now())
    staying = applicant(make_compte, formation, "reste@example.org", campagne=old)
    staying_files = with_pieces(staying, identite)
    again = Candidature.create(candidat=staying.candidat_id, formation=open_formation(
        today=T0, code="ARC2"), campagne=live, statut="AT")
    in_ended = applicant(make_compte, formation, "recent@example.org", campagne=ended)
    gone_adresse = Candidat.get_by_id(gone.candidat_id).adresse_id
    # Accounts that never applied: one from the destroyed campaign's time, one recent.
    idle, _ = make_compte(email="inactif@example.org")
    CompteCandidat.update(created_at=at(old.date_fin - 10 * DAY)).where(
        CompteCandidat.id == idle.id).execute()
    recent, _ = make_compte(email="nouveau@example.org")
    folder = storage.upload_folder()

    assert run("archivage") == {"campagnes archivées": 0, "candidatures détruites": 2,
                                "comptes candidats détruits": 2, "campagnes détruites": 1}
    assert Campagne.get_by_id(old.id).detruite_le == clock.now()
    assert not Candidature.select().where(Candidature.campagne == old.id).exists()
    assert {c.id for c in Candidature.select()} == {again.id, in_ended.id}
    assert not Avis.select().where(Avis.candidature == gone.id).exists()
    # The account with nothing left is gone with its file, address and shared piece.
    assert CompteCandidat.get_or_none(CompteCandidat.email == "parti@example.org") is None
    assert Candidat.get_or_none(Candidat.id == gone.candidat_id) is None
    assert Adresse.get_or_none(Adresse.id == gone_adresse) is None
    on_disk = set(os.listdir(folder))
    assert not set(gone_files) & on_disk
    # The one with a candidature in a live campaign keeps its account and shared piece.
    assert CompteCandidat.get_or_none(CompteCandidat.email == "reste@example.org")
    assert CompteCandidat.get_or_none(CompteCandidat.id == idle.id) is None
    assert CompteCandidat.get_or_none(CompteCandidat.id == recent.id)
    assert staying_files[0] not in on_disk and staying_files[1] in on_disk
    assert PieceCandidat.select().where(PieceCandidat.candidat == staying.candidat_id).count() == 1
    actions = [(a.table, a.action) for a in AuditLog.select().where(
        AuditLog.actor == "job:archivage").order_by(AuditLog.id)]
    assert actions[1:] == [("candidature", "detruire")] * 2 + [
        ("compte_candidat", "detruire")] * 2 + [("campagne", "detruire")]
    assert run("archivage") == {"campagnes archivées": 0, "campagnes détruites": 0}
    assert CompteCandidat.select().count() == 3  # reste, recent (campaign C2025), nouveau


def test_archivage_stopped_midway_is_finished_by_the_next_run(app, make_compte, frozen,
                                                              monkeypatch):
    old = campaign("C2024", T0 - 700 * DAY, T0 - 400 * DAY, archivee_le=clock.now() - 400 * DAY)
    formation = open_formation(today=T0, code="ARC")
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    for i in range(5):
        applicant(make_compte, formation, f"c{i}@example.org", campagne=old)
    real = jobs._delete_candidatures
    calls = []

    def crash_on_second_batch(ids):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("coupure")
        return real(ids)
    monkeypatch.setattr(jobs, "_delete_candidatures", crash_on_second_batch)
    outcome = jobs.run_job("archivage")
    assert outcome.failed and "coupure" in outcome.error
    assert Candidature.select().count() == 3 and CompteCandidat.select().count() == 3
    assert Campagne.get_by_id(old.id).detruite_le is None
    assert JobRun.get_by_id("archivage").running_since is None  # the lock is released
    monkeypatch.setattr(jobs, "_delete_candidatures", real)
    assert run("archivage")["comptes candidats détruits"] == 3
    assert Candidature.select().count() == 0 and CompteCandidat.select().count() == 0
    assert Campagne.get_by_id(old.id).detruite_le is not None


# --- The lock, parallel runs ----------------------------------------------------------------------

def test_a_busy_job_does_nothing_and_a_stale_lock_is_taken_over(app, make_compte, frozen,
                                                                admin):
    formation = formation_for("formation")
    admis = give_avis(admin, applicant(make_compte, formation, "admis@example.org"), "FA")
    frozen.move_to(at(DEADLINE + DAY))
    JobRun.create(name="desistement-auto", running_since=clock.now() - datetime.timedelta(
        hours=3, minutes=59))
    mails = len(outbox())
    outcome = jobs.run_job("desistement-auto")
    assert outcome.busy_since is not None and not outcome.failed
    assert "déjà en cours depuis le" in outcome.text()
    assert fresh(admis).confirmation is None and len(outbox()) == mails
    JobRun.update(running_since=clock.now() - datetime.timedelta(hours=4, minutes=1)).execute()
    assert run("desistement-auto")["désistements automatiques"] == 1
    row = JobRun.get_by_id("desistement-auto")
    assert row.running_since is None and row.runs == 1 and row.last_error is None
    assert row.last_report == "désistements automatiques : 1"


def test_the_lock_row_created_by_four_runs_at_once_lets_one_run(app):
    results = race(app, *[lambda: jobs.acquire("comptes")] * 4)
    taken = [r for r in results if isinstance(r, datetime.datetime)]
    busy = [r for r in results if isinstance(r, jobs.JobBusy)]
    assert len(taken) == 1 and len(busy) == 3, results
    assert JobRun.get_by_id("comptes").running_since == taken[0]


def setup_due(make_compte, admin, count=3):
    formation = formation_for("formation")
    due = [give_avis(admin, applicant(make_compte, formation, f"a{i}@example.org"), "FA")
           for i in range(count)]
    lc = [give_avis(admin, applicant(make_compte, formation, f"lc{i}@example.org"), "LC", i + 1)
          for i in range(count + 1)]
    return formation, due, lc


def check_once(mails, due, lc):
    """Each due candidature désisted once, one promotion each, no mail twice."""
    sent = outbox()[mails:]
    assert [m.code for m in sent].count("CANDIDATURE_DESIST_AUTO") == len(due)
    assert sorted(m.destinataire for m in sent if m.code == "AVIS_FAVORABLE") == sorted(
        f"lc{i}@example.org" for i in range(len(due)))
    assert all(fresh(c).confirmation == "DESISTE" for c in due)
    assert AuditLog.select().where(AuditLog.action == "desister_auto").count() == len(due)
    assert len(decision.lc_queue(lc[0].formation_id)) == 1


def test_two_runs_of_the_same_job_at_once_do_everything_once(app, make_compte, frozen, admin):
    formation, due, lc = setup_due(make_compte, admin)
    frozen.move_to(at(DEADLINE + DAY))
    mails = len(outbox())
    results = race(app, lambda: jobs.run_job("desistement-auto"),
                   lambda: jobs.run_job("desistement-auto"))
    assert all(isinstance(r, jobs.Outcome) and not r.failed for r in results), results
    done = sorted(r.report.counts.get("désistements automatiques", 0) for r in results
                  if r.report is not None)
    assert done in ([3], [0, 3])  # the second was refused by the lock, or found nothing
    check_once(mails, due, lc)


def test_two_job_bodies_without_the_lock_still_do_everything_once(app, make_compte, frozen,
                                                                  admin):
    """Idempotent by construction: each candidature is checked again under its lock."""
    formation, due, lc = setup_due(make_compte, admin)
    frozen.move_to(at(DEADLINE + DAY))
    mails = len(outbox())
    reports = [jobs.Report(), jobs.Report()]
    results = race(app, *[lambda r=r: jobs.desistement_auto(r, clock.today(), None)
                          for r in reports])
    assert results == [None, None]
    assert not reports[0].errors and not reports[1].errors
    total = [r.counts.get("désistements automatiques", 0) for r in reports]
    skipped = [r.counts.get("déjà traitées par ailleurs", 0) for r in reports]
    assert sum(total) == 3 and sum(total) + sum(skipped) in range(3, 7)
    check_once(mails, due, lc)


# --- The command line ----------------------------------------------------------------------------

def test_cli_run_list_busy_and_failure(app, make_compte, frozen, admin, monkeypatch):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["jobs", "list"])
    assert listing.exit_code == 0
    assert listing.output.count("jamais lancée") == len(jobs.NAMES)
    formation = formation_for("formation")
    give_avis(admin, applicant(make_compte, formation, "admis@example.org"), "FA")
    frozen.move_to(at(DEADLINE + DAY))
    result = runner.invoke(args=["jobs", "run", "desistement-auto"])
    assert result.exit_code == 0, result.output
    assert result.output == "desistement-auto : désistements automatiques : 1\n"
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "désistements automatiques : 1" in listing and "1 exécution(s)" in listing
    assert "terminée le 12/06/2026 à 23:15:00" in listing

    assert runner.invoke(args=["jobs", "run", "inconnue"]).exit_code == 2

    JobRun.insert(name="comptes", running_since=clock.now()).on_conflict_ignore().execute()
    busy = runner.invoke(args=["jobs", "run", "comptes"])
    assert busy.exit_code == 0
    assert "comptes : déjà en cours depuis le 12/06/2026 à 23:15:00" in busy.output
    assert "en cours depuis le" in runner.invoke(args=["jobs", "list"]).output

    def broken(report, today, progress):
        raise RuntimeError("base indisponible")
    monkeypatch.setitem(jobs.JOBS, "fichiers", jobs.Job("fichiers", "x", broken))
    # Every job, in order: the busy one says so, the broken one fails the command.
    everything = runner.invoke(args=["jobs", "run"])
    assert everything.exit_code == 1
    lines = everything.output.splitlines()
    assert [line.split(" : ")[0] for line in lines] == [
        "comptes", "desistement-auto", "relance-favorable", "relance-transmission",
        "archivage", "dossiers", "fichiers", "fichiers", "mails"]
    assert "fichiers : ÉCHEC — RuntimeError: base indisponible" in everything.output
    assert JobRun.get_by_id("fichiers").last_error == "RuntimeError: base indisponible"
    assert "dernière erreur : RuntimeError: base indisponible" in runner.invoke(
        args=["jobs", "list"]).output


def test_a_progress_bar_only_on_a_terminal(app, make_compte, frozen, admin, monkeypatch):
    from ecandidat import cli
    formation = formation_for("formation")
    for i in range(2):
        give_avis(admin, applicant(make_compte, formation, f"a{i}@example.org"), "FA")
    frozen.move_to(at(DEADLINE + DAY))
    bars, real = [], cli._progressbar

    def progressbar(iterable, length, label):
        bars.append((label, length))
        return real(iterable, length, label)
    monkeypatch.setattr(cli, "_progressbar", progressbar)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["jobs", "run", "relance-transmission"]).exit_code == 0
    assert bars == []  # cron, tests: plain lines
    monkeypatch.setattr(cli, "_on_terminal", lambda: True)
    result = runner.invoke(args=["jobs", "run", "desistement-auto"])
    assert result.exit_code == 0 and bars == [("Désistements", 2)]
    assert "désistements automatiques : 2" in result.output


def test_a_liste_complementaire_head_put_back_en_attente_does_not_block_the_desistement(
        app, make_compte, frozen, admin):
    formation = formation_for("formation")
    admis = give_avis(admin, applicant(make_compte, formation, "admis@example.org"), "FA")
    head = give_avis(admin, applicant(make_compte, formation, "lc@example.org"), "LC", 1)
    [loaded] = commission.candidatures_for(admin, [head.id])
    commission.changer_statut(admin, [loaded], "AT")  # "En attente", its LC avis kept
    frozen.move_to(at(DEADLINE + DAY))
    assert run("desistement-auto")["désistements automatiques"] == 1
    assert fresh(admis).confirmation == "DESISTE"


def test_every_column_naming_a_stored_file_keeps_its_file():
    """A new column holding a stored file name must be added to STORED_FILE_COLUMNS,
    or the fichiers job would remove its files."""
    from peewee import CharField

    from ecandidat.models import ALL_MODELS
    listed = {(model, column) for model, column in jobs.STORED_FILE_COLUMNS}
    found = {(model, name) for model in ALL_MODELS
             for name, field in model._meta.fields.items()
             if isinstance(field, CharField) and ("fichier" in name or "jointe" in name)
             and not name.endswith("_nom")}
    assert found - listed == {(OutboxMail, "piece_jointe")}  # a path, compared by name


def test_a_run_whose_lock_was_taken_over_leaves_the_new_lock_alone(app, frozen):
    token = jobs.acquire("fichiers")
    frozen.shift(datetime.timedelta(hours=5))
    other = jobs.acquire("fichiers")  # the first looked dead: taken over
    jobs.release("fichiers", token, "vieux rapport", None)
    row = JobRun.get_by_id("fichiers")
    assert row.running_since == other and row.last_report is None
    with pytest.raises(jobs.JobBusy):
        jobs.acquire("fichiers")
    jobs.release("fichiers", other, "rapport", None)
    row = JobRun.get_by_id("fichiers")
    assert row.running_since is None and row.last_report == "rapport" and row.runs == 1
