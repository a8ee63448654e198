"""Scheduled jobs: `flask --app app jobs run [NAME]`, run by cron (SPEC §4.10,
ecandidat-domain §3.9).

Each job is safe to run twice at the same moment:

- a lock row per job (`job_run`, model JobRun) taken by a conditional UPDATE
  (… WHERE running_since IS NULL OR older than STALE_DELAY) in its own
  transaction: a second run started while the first runs does nothing and says
  so; a lock left by a run that died is taken over after STALE_DELAY (4 h, as
  eCandidat's BATCH_NETTOYAGE interrupts batches running longer);
- idempotent by construction besides: each candidature is handled in its own
  transaction by the workflow (ecandidat.workflow.decision), which checks
  everything again under the row locks; a WorkflowError there means that someone
  (a candidate, a gestionnaire, another run) already did it: counted as
  "déjà traitée", never as an error.

A job reports what it did (French counts), kept in `job_run.last_report`; an
unexpected failure (the whole job, or one item: the others still go) is kept in
`job_run.last_error` and makes the command exit non-zero."""
import dataclasses
import datetime
import logging
import os
import re
import stat
import time

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import IntegrityError, JOIN, fn

from ecandidat import audit, clock, dossiers
from ecandidat.accounts import VALIDATION_DELAY
from ecandidat.db import database, write_transaction
from ecandidat.models import (Adresse, Avis, Campagne, Candidat, CandidatBac,
                              CandidatBacSpecialite, Candidature, CandidatureTag, Commission,
                              CompteCandidat, CursusExterne, CursusInterne, ExperiencePro,
                              JobRun, OutboxMail, PieceCandidat, PieceJustificative,
                              ReponseQuestion, Stage)
from ecandidat.workflow import WorkflowError, decision
from ecandidat.workflow.core import delete_files_after_commit, lock_candidat, locked

log = logging.getLogger(__name__)

STALE_DELAY = datetime.timedelta(hours=4)
FILE_MIN_AGE = datetime.timedelta(days=1)
BATCH_SIZE = 100
# A dossiers run starts no new render after this long (seconds).
DOSSIERS_RUN_SECONDS = 20 * 60
# What storage.save_upload writes: a random name, and its temporary twin while writing.
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png)(\.part)?$")


# --- Reports ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    """What a run did: counts by French label (in the order they were first met), and
    the unexpected errors met on the way."""
    counts: dict = dataclasses.field(default_factory=dict)
    errors: list = dataclasses.field(default_factory=list)

    def count(self, label, n=1):
        self.counts[label] = self.counts.get(label, 0) + n

    def error(self, message):
        self.errors.append(message)

    def text(self):
        parts = [f"{label} : {n}" for label, n in self.counts.items()]
        if self.errors:
            parts.append(_("erreurs : %(n)s", n=len(self.errors)))
        return ", ".join(parts) or _("rien à faire")


@dataclasses.dataclass
class Outcome:
    """The end of `run_job`: the report, or `busy_since` when another run held the lock."""
    name: str
    report: Report = None
    error: str = None
    busy_since: datetime.datetime = None

    @property
    def failed(self):
        return self.error is not None

    def text(self):
        if self.busy_since is not None:
            return _("%(job)s : déjà en cours depuis le %(since)s, rien n'a été fait.",
                     job=self.name, since=format_instant(self.busy_since))
        text = f"{self.name} : {self.report.text()}"
        if self.error:
            text += "\n" + _("%(job)s : ÉCHEC — %(error)s", job=self.name, error=self.error)
        return text


def format_instant(instant):
    return clock.local(instant).strftime("%d/%m/%Y à %H:%M:%S")


def _over(progress, items, label):
    """The items, in a progress bar when `progress` (cli._progressbar) is given."""
    from ecandidat.referential.loader import progress_over
    return progress_over(progress, items, len(items), label)


def _each(report, items, action, done, progress, label):
    """`action(item)` on each item, each in its own transaction (the workflow's):
    a WorkflowError is "already done", anything else an error of this item only."""
    with _over(progress, items, label) as bar:
        for item in bar:
            try:
                result = action(item)
            except WorkflowError:
                report.count(_("déjà traitées par ailleurs"))
            except Exception as error:  # noqa: BLE001 — one item must not stop the others
                log.exception("Tâche %s : candidature %s en erreur", label, item.id)
                report.error(_("candidature %(id)s : %(error)s", id=item.id, error=error))
            else:
                report.count(done)
                yield item, result


# --- The lock --------------------------------------------------------------------------------

class JobBusy(Exception):
    def __init__(self, since):
        super().__init__(since)
        self.since = since


def acquire(name, now=None):
    """Take the job's lock; returns the instant it was taken (the run's token), or
    raises JobBusy with the instant the running one started."""
    now = now or clock.now()
    if JobRun.get_or_none(JobRun.name == name) is None:
        try:
            with database.atomic():
                JobRun.create(name=name)
        except IntegrityError:
            pass  # created at the same instant by another run: the UPDATE below decides
    with write_transaction():
        taken = (JobRun.update(running_since=now, started_at=now)
                 .where(JobRun.name == name,
                        JobRun.running_since.is_null()
                        | (JobRun.running_since < now - STALE_DELAY))
                 .execute())
        if taken != 1:
            raise JobBusy(JobRun.get(JobRun.name == name).running_since)
    return now


def release(name, token, report_text, error):
    """Free the lock taken at `token` and keep the run's report. A lock taken over
    meanwhile (this run outlived STALE_DELAY) belongs to the other run: left alone."""
    with write_transaction():
        released = (JobRun.update(running_since=None, finished_at=clock.now(),
                                  runs=JobRun.runs + 1, last_report=report_text,
                                  last_error=error)
                    .where(JobRun.name == name, JobRun.running_since == token)
                    .execute())
    if released != 1:
        log.warning("Tâche %s : le verrou a été repris par une autre exécution (plus de %s) ; "
                    "rapport non enregistré : %s", name, STALE_DELAY, report_text)


def run_job(name, today=None, progress=None):
    """Run one job under its lock; returns an Outcome (never raises for the job's
    own failures: they are in Outcome.error and job_run.last_error)."""
    job = JOBS[name]
    try:
        token = acquire(name)
    except JobBusy as busy:
        return Outcome(name, busy_since=busy.since)
    report, error = Report(), None
    try:
        job.function(report, today or clock.today(), progress)
        if report.errors:
            error = "\n".join(report.errors)[:4000]
    except Exception as failure:  # noqa: BLE001 — recorded, and the command exits non-zero
        log.exception("Tâche %s en échec", name)
        error = f"{type(failure).__name__}: {failure}"[:4000]
    finally:
        try:
            release(name, token, report.text(), error)
        except Exception:  # noqa: BLE001 — the stale delay frees it in the end
            log.exception("Tâche %s : verrou non libéré", name)
    return Outcome(name, report=report, error=error)


def status():
    """[(Job, JobRun or None)] for `jobs list`, in run order."""
    rows = {row.name: row for row in JobRun.select()}
    return [(job, rows.get(job.name)) for job in JOBS.values()]


# --- The jobs --------------------------------------------------------------------------------

def desistement_auto(report, today, progress):
    """Favourable avis not answered by the deadline: désisté (CANDIDATURE_DESIST_AUTO,
    commission alert), then the liste complémentaire moves."""
    due = decision.due_desistements(today)
    report.count(_("désistements automatiques"), 0)
    for _c, promoted in _each(report, due, lambda c: decision.desister_auto(c, today),
                              _("désistements automatiques"), progress,
                              _("Désistements")):
        if promoted is not None:
            report.count(_("promotions depuis la liste complémentaire"))


def relance_favorable(report, today, progress):
    _remind(report, decision.due_relances_favorables(today),
            lambda c: decision.relancer_favorable(c, today), progress)


def relance_transmission(report, today, progress):
    _remind(report, decision.due_relances_transmission(today),
            lambda c: decision.relancer_transmission(c, today), progress)


def _remind(report, due, send, progress):
    report.count(_("relances envoyées"), 0)
    for _item in _each(report, due, send, _("relances envoyées"), progress, _("Relances")):
        pass


def _purgeable_accounts(now):
    """Unvalidated accounts created more than VALIDATION_DELAY ago, whose last
    validation link has expired, holding no candidate file (hence no candidature)."""
    return ((~CompteCandidat.valide)
            & (CompteCandidat.created_at < now - VALIDATION_DELAY)
            & (CompteCandidat.validation_expires_at.is_null()
               | (CompteCandidat.validation_expires_at < now))
            & ~fn.EXISTS(Candidat.select(Candidat.id)
                         .where(Candidat.compte == CompteCandidat.id)))


def comptes(report, today, progress):
    """Unvalidated candidate accounts past their validation delay, deleted (each by a
    conditional DELETE: one validated meanwhile stays)."""
    now = clock.now()
    ids = [row.id for row in CompteCandidat.select(CompteCandidat.id)
           .where(_purgeable_accounts(now)).order_by(CompteCandidat.id)]
    report.count(_("comptes non validés supprimés"), 0)
    with _over(progress, ids, _("Comptes")) as bar:
        for compte_id in bar:
            with write_transaction():
                compte = CompteCandidat.get_or_none(CompteCandidat.id == compte_id)
                deleted = compte is not None and (
                    CompteCandidat.delete()
                    .where(CompteCandidat.id == compte_id, _purgeable_accounts(now))
                    .execute()) == 1
                if deleted:
                    audit.record("job:comptes", "supprimer_compte", compte,
                                 {"numero_dossier": compte.numero_dossier,
                                  "created_at": compte.created_at}, None)
            if deleted:
                report.count(_("comptes non validés supprimés"))
            else:
                report.count(_("déjà traités par ailleurs"))


def mails(report, today, progress):
    """The outbox's due mails, sent until none is due (as `mail send`)."""
    from ecandidat.mail import send_pending
    sent = failed = 0
    for _round in range(10_000):  # each round sends or reschedules what it takes
        round_sent, round_failed = send_pending(limit=200)
        sent, failed = sent + round_sent, failed + round_failed
        if not round_sent + round_failed:
            break
    report.count(_("mails envoyés"), sent)
    report.count(_("en échec (réessayés plus tard)"), failed)
    if not current_app.config.get("MAIL_SERVER"):
        waiting = OutboxMail.select().where(OutboxMail.sent_at.is_null()).count()
        report.count(_("gardés dans la boîte d'envoi (MAIL_SERVER absent)"), waiting)
    if failed:
        report.error(_("%(n)s mail(s) en échec : serveur SMTP injoignable ou refusant "
                       "l'envoi (voir la boîte d'envoi)", n=failed))


# Every column that holds the name of a file in UPLOAD_FOLDER (storage.save_upload,
# storage.save_new).
STORED_FILE_COLUMNS = ((PieceCandidat, "fichier"), (PieceJustificative, "fichier_modele"),
                       (Commission, "signature_fichier"), (Candidature, "dossier_pdf"))


def _referenced(names):
    """The names among `names` that a row refers to."""
    used = set()
    for start in range(0, len(names), 500):
        chunk = names[start:start + 500]
        for model, column in STORED_FILE_COLUMNS:
            field = getattr(model, column)
            used.update(getattr(row, column)
                        for row in model.select(field).where(field.in_(chunk)))
    # A generated attachment is kept by path: compare by file name.
    used.update(os.path.basename(row.piece_jointe) for row in
                OutboxMail.select(OutboxMail.piece_jointe)
                .where(OutboxMail.piece_jointe.is_null(False)))
    return used


def fichiers(report, today, progress):
    """Stored files no row refers to, older than FILE_MIN_AGE, removed. Only names
    storage makes are considered (a random hex name, or its .part while written);
    a file just written whose row is not committed yet is younger than a day."""
    folder = current_app.config["UPLOAD_FOLDER"]
    report.count(_("fichiers orphelins supprimés"), 0)
    if not os.path.isdir(folder):
        return
    oldest = (clock.now() - FILE_MIN_AGE).timestamp()
    old = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not STORED_NAME.match(entry.name):
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < oldest:
                old.append(entry.name)
    old.sort()
    kept = _referenced([name for name in old if not name.endswith(".part")])
    orphans = [name for name in old if name not in kept]
    with _over(progress, orphans, _("Fichiers")) as bar:
        for name in bar:
            try:
                os.remove(os.path.join(folder, name))
            except FileNotFoundError:
                report.count(_("déjà traités par ailleurs"))
            except OSError as error:
                report.error(_("fichier %(name)s : %(error)s", name=name, error=error))
            else:
                report.count(_("fichiers orphelins supprimés"))


# --- Dossiers -------------------------------------------------------------------------------

def dossiers_pdf(report, today, progress):
    """The dossier PDF of each transmitted candidature that has none stored (or whose
    stored one a change dropped), built and stored one at a time (ecandidat.dossiers):
    run every few minutes, it keeps the renders out of the requests. A run stops
    starting new renders after DOSSIERS_RUN_SECONDS (the first run after an upgrade
    finds every transmitted candidature to build): the next run goes on, long before
    the lock would be thought stale (STALE_DELAY)."""
    ids = dossiers.to_build()
    report.count(_("dossiers construits"), 0)
    deadline = time.monotonic() + DOSSIERS_RUN_SECONDS
    with _over(progress, ids, _("Dossiers")) as bar:
        for done, candidature_id in enumerate(bar):
            if done and time.monotonic() > deadline:
                report.count(_("dossiers laissés au prochain passage"), len(ids) - done)
                break
            try:
                name = dossiers.build(candidature_id)
            except Exception as error:  # noqa: BLE001 — one dossier must not stop the others
                log.exception("Tâche dossiers : candidature %s en erreur", candidature_id)
                report.error(_("candidature %(id)s : %(error)s", id=candidature_id,
                               error=error))
            else:
                report.count(_("dossiers construits") if name else
                             _("plus à construire (modifiées entre-temps)"))


# --- Archivage ------------------------------------------------------------------------------

ACTOR_ARCHIVAGE = "job:archivage"


def archivage(report, today, progress):
    """A campaign past its end is archived (no longer in service). A campaign archived
    more than ARCHIVE_RETENTION_DAYS ago is destroyed: its candidatures with their
    pieces and files, then the accounts that hold no candidature any more, batch by
    batch, each batch in its own transaction; the campaign's detruite_le is set
    last, so a run stopped midway is finished by the next one."""
    now = clock.now()
    report.count(_("campagnes archivées"), 0)
    for campagne in (Campagne.select().where(Campagne.date_fin < today,
                                             Campagne.archivee_le.is_null())
                     .order_by(Campagne.date_fin, Campagne.id)):
        with write_transaction():
            archived = (Campagne.update(archivee_le=now, en_service=False)
                        .where(Campagne.id == campagne.id, Campagne.archivee_le.is_null())
                        .execute()) == 1
            if archived:
                audit.record(ACTOR_ARCHIVAGE, "archiver", campagne,
                             {"archivee_le": None, "en_service": campagne.en_service},
                             {"archivee_le": now, "en_service": False})
        if archived:
            report.count(_("campagnes archivées"))
    retention = datetime.timedelta(days=current_app.config["ARCHIVE_RETENTION_DAYS"])
    report.count(_("campagnes détruites"), 0)
    for campagne in (Campagne.select().where(Campagne.archivee_le < now - retention,
                                             Campagne.detruite_le.is_null())
                     .order_by(Campagne.archivee_le, Campagne.id)):
        _destroy(campagne, report, progress)


def _batches(query_ids):
    """Ids by BATCH_SIZE, read again each time (the previous batch is deleted)."""
    while True:
        ids = query_ids()
        if not ids:
            return
        yield ids


def _destroy(campagne, report, progress):
    in_campaign = (Candidature.select(Candidature.id)
                   .where(Candidature.campagne == campagne.id).order_by(Candidature.id))
    total = in_campaign.count()
    steps = list(range((total + BATCH_SIZE - 1) // BATCH_SIZE))
    label = _("Destruction %(campagne)s", campagne=campagne.code)

    def destroy_batch(ids):
        candidatures, comptes_ = _delete_candidatures(ids)
        report.count(_("candidatures détruites"), candidatures)
        report.count(_("comptes candidats détruits"), comptes_)
    report.count(_("candidatures détruites"), 0)
    report.count(_("comptes candidats détruits"), 0)
    with _over(progress, steps, label) as bar:
        for _step in bar:
            ids = [row.id for row in in_campaign.limit(BATCH_SIZE)]
            if ids:
                destroy_batch(ids)
    # What a concurrent write added meanwhile (none expected: the campaign is archived).
    for ids in _batches(lambda: [row.id for row in in_campaign.limit(BATCH_SIZE)]):
        destroy_batch(ids)
    # Accounts that existed by the end of the campaign and never held a candidature.
    last_day = datetime.datetime.combine(campagne.date_fin + datetime.timedelta(days=1),
                                         datetime.time(), tzinfo=clock.zone())
    tried = set()
    for ids in _batches(lambda: [row.id for row in _empty_accounts(last_day, tried)]):
        tried.update(ids)
        report.count(_("comptes candidats détruits"), _delete_accounts(ids))
    with write_transaction():
        destroyed = (Campagne.update(detruite_le=clock.now())
                     .where(Campagne.id == campagne.id, Campagne.detruite_le.is_null())
                     .execute()) == 1
        if destroyed:
            audit.record(ACTOR_ARCHIVAGE, "detruire", campagne, {"detruite_le": None},
                         {"detruite_le": clock.now()})
    if destroyed:
        report.count(_("campagnes détruites"))


def _delete_candidatures(ids):
    """One transaction: the candidatures, their avis, answers, tags and own pieces
    (their files once committed, unless still referred to); then the accounts of
    their candidates that hold no candidature any more. The candidates are locked
    first (the workflow's lock order). Returns (candidatures, accounts) deleted."""
    with write_transaction():
        candidat_ids = sorted({row.candidat_id for row in Candidature.select(
            Candidature.candidat).where(Candidature.id.in_(ids))})
        list(locked(Candidat.select(Candidat.id).where(Candidat.id.in_(candidat_ids))
                    .order_by(Candidat.id)))
        names = [row.fichier for row in PieceCandidat.select(PieceCandidat.fichier)
                 .where(PieceCandidat.candidature.in_(ids), PieceCandidat.fichier.is_null(False))]
        names += [row.dossier_pdf for row in Candidature.select(Candidature.dossier_pdf)
                  .where(Candidature.id.in_(ids), Candidature.dossier_pdf.is_null(False))]
        for model in (CandidatureTag, ReponseQuestion, Avis, PieceCandidat):
            model.delete().where(model.candidature.in_(ids)).execute()
        rows = list(Candidature.select(Candidature.id, Candidature.formation,
                                       Candidature.campagne, Candidature.statut)
                    .where(Candidature.id.in_(ids)))
        Candidature.delete().where(Candidature.id.in_(ids)).execute()
        for row in rows:
            audit.record(ACTOR_ARCHIVAGE, "detruire", row,
                         {"formation": row.formation_id, "campagne": row.campagne_id,
                          "statut": row.statut}, None)
        comptes_ = [row.compte_id for row in Candidat.select(Candidat.compte)
                    .where(Candidat.id.in_(candidat_ids))]
        deleted = _delete_accounts(comptes_)
        delete_files_after_commit(names)
    return len(rows), deleted


def _empty_accounts(last_day, skip):
    """Accounts created before `last_day` that hold no candidature at all (a
    destroyed campaign keeps none)."""
    query = (CompteCandidat.select(CompteCandidat.id)
             .join(Candidat, JOIN.LEFT_OUTER, on=(Candidat.compte == CompteCandidat.id))
             .where(CompteCandidat.created_at < last_day,
                    Candidat.id.is_null()
                    | ~fn.EXISTS(Candidature.select(Candidature.id)
                                 .where(Candidature.candidat == Candidat.id))))
    if skip:
        query = query.where(CompteCandidat.id.not_in(list(skip)))
    return list(query.order_by(CompteCandidat.id).limit(BATCH_SIZE))


def _delete_accounts(ids):
    """In one transaction (or the caller's): each account (its candidate file, shared
    pieces and their files) that still holds no candidature, checked under its
    candidate's lock (a candidature created meanwhile keeps it). Returns how many."""
    deleted = 0
    with write_transaction():
        names = []
        for compte in CompteCandidat.select().where(CompteCandidat.id.in_(ids)):
            candidat = Candidat.get_or_none(Candidat.compte == compte.id)
            if candidat is not None:
                lock_candidat(candidat)
                if Candidature.select().where(Candidature.candidat == candidat.id).exists():
                    continue
                names += _delete_candidat(candidat)
            CompteCandidat.delete().where(CompteCandidat.id == compte.id).execute()
            audit.record(ACTOR_ARCHIVAGE, "detruire", compte,
                         {"numero_dossier": compte.numero_dossier,
                          "created_at": compte.created_at}, None)
            deleted += 1
        delete_files_after_commit(names)
    return deleted


def _delete_candidat(candidat):
    """Delete a candidate file with everything it holds; returns its pieces' file names."""
    names = [row.fichier for row in PieceCandidat.select(PieceCandidat.fichier)
             .where(PieceCandidat.candidat == candidat.id, PieceCandidat.fichier.is_null(False))]
    PieceCandidat.delete().where(PieceCandidat.candidat == candidat.id).execute()
    bacs = CandidatBac.select(CandidatBac.id).where(CandidatBac.candidat == candidat.id)
    CandidatBacSpecialite.delete().where(CandidatBacSpecialite.bac.in_(bacs)).execute()
    for model in (CandidatBac, CursusInterne, CursusExterne, Stage, ExperiencePro):
        model.delete().where(model.candidat == candidat.id).execute()
    Candidat.delete().where(Candidat.id == candidat.id).execute()
    if candidat.adresse_id:
        Adresse.delete().where(Adresse.id == candidat.adresse_id).execute()
    return names


# --- The table of jobs ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    label: str
    function: object


# In the order `jobs run` takes them: accounts first, the deadlines (a promotion's
# mail and reminder go the same night), campaigns, the dossiers of what is left, files,
# then the mails all queued.
JOBS = {job.name: job for job in (
    Job("comptes", _l("Comptes non validés après 5 jours supprimés"), comptes),
    Job("desistement-auto", _l("Désistement automatique après la date limite de "
                               "confirmation, puis liste complémentaire"), desistement_auto),
    Job("relance-favorable", _l("Relance avant la date limite de confirmation"),
        relance_favorable),
    Job("relance-transmission", _l("Relance des candidatures non transmises avant la date "
                                   "limite de retour"), relance_transmission),
    Job("archivage", _l("Archivage des campagnes terminées, destruction après la durée de "
                        "conservation"), archivage),
    Job("dossiers", _l("Dossiers PDF des candidatures transmises, construits et "
                       "enregistrés"), dossiers_pdf),
    Job("fichiers", _l("Fichiers déposés qu'aucune ligne ne référence, supprimés après un "
                       "jour"), fichiers),
    Job("mails", _l("Envoi des mails en attente (et nouvelles tentatives)"), mails),
)}
NAMES = tuple(JOBS)
