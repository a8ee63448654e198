"""The candidate's data in their hands (GDPR, SPEC §8).

- `export` and `zip_chunks`: "Télécharger mes données" (art. 15 and 20), everything the
  application keeps about a candidate that they may see — account, file, candidatures,
  the avis published to them, the mails sent to them — as a JSON document, with their
  uploaded files, in a ZIP written as it is sent (memory does not grow with the files).
- `delete_account`: "Supprimer mon compte" (art. 17), for an account none of whose
  candidatures ever reached a commission. The check and the deletion happen in one
  write transaction, under the row locks every workflow action takes, so a transmission
  at the same moment either comes first (and the deletion is refused) or finds nothing
  left (and is refused). Every row that hangs off the account, found by walking the
  models' foreign keys, goes with it; the files once the deletion is committed.

What a candidate sees is what their pages show: validated avis only (the commission's
comment when the commission shows it), no bloc-notes, tags, dossier statuses' authors,
nor anything about the staff."""
import dataclasses
import datetime
import functools
import io
import json
import logging
import operator
import os
import zipfile

from flask import g
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import ForeignKeyField, JOIN, SqliteDatabase, sort_models

from ecandidat import audit, clock, codes, storage
from ecandidat.db import database, retrying, write_transaction
from ecandidat.i18n import language_of
from ecandidat.mail import queue_mail
from ecandidat.models import (ALL_MODELS, AbonnementCalendrier, Adresse, AuditLog, Avis,
                              Candidat, CandidatBac, CandidatBacSpecialite, Candidature,
                              Centre, Commission, CompteCandidat, CursusExterne,
                              CursusInterne, ExperiencePro, Formation, MotivationAvis,
                              OutboxMail, PieceCandidat, PieceJustificative, Question,
                              ReponseQuestion, Stage)
from ecandidat.security import check_password
from ecandidat.workflow.core import delete_files_after_commit, locked
from ecandidat.workflow.queries import date_confirmation, date_retour, rang_shown

log = logging.getLogger(__name__)

FORMAT = "ecandidat-donnees-personnelles"
FORMAT_VERSION = 1
JSON_NAME = "donnees.json"
README_NAME = "LISEZMOI.txt"
FILES_FOLDER = "fichiers"
CHUNK_SIZE = 64 * 1024
ACTION_DELETE = "supprimer_compte"

# Each section of the JSON document, as LISEZMOI.txt and the document's "description"
# explain it. Dates are ISO 8601 (AAAA-MM-JJ); instants carry the institution's offset.
SECTIONS = (
    ("compte", _l("Votre compte : numéro de dossier (identifiant), nom, prénom, adresse "
                  "mail, compte validé ou non, langue, date de création, l'abonnement au "
                  "calendrier s'il est actif (son adresse secrète n'est pas conservée), et "
                  "l'identité de l'établissement à laquelle il est lié, s'il l'est.")),
    ("dossier", _l("Votre dossier, rubrique par rubrique : informations_personnelles, "
                   "adresse, baccalaureat (avec ses spécialités), cursus_interne (rempli "
                   "par l'université), cursus_externe, stages, experiences_pro. Un champ "
                   "qui désigne une donnée de référence (pays, commune, série…) donne son "
                   "code et son libellé.")),
    ("pieces_partagees", _l("Les pièces déposées une fois pour toutes vos candidatures "
                            "(pièce, statut, nom du fichier déposé, type, taille en octets, "
                            "commentaire du gestionnaire, date, chemin du fichier dans "
                            "cette archive).")),
    ("candidatures", _l("Vos candidatures, annulées comprises : formation, commission, "
                        "centre, statut du dossier, type de traitement, dates (création, "
                        "transmission, réception, complet, incomplet, annulation), date "
                        "limite de retour, confirmation ou désistement, pièces propres à la "
                        "candidature, réponses aux formulaires complémentaires, et les avis "
                        "qui vous ont été publiés (avec le commentaire de la commission "
                        "lorsqu'elle le rend visible).")),
    ("mails", _l("Les mails que l'application vous a envoyés ou va vous envoyer : sujet, "
                 "texte, date de création, date d'envoi (vide s'il n'est pas encore "
                 "parti).")),
    ("fichiers", _l("Le dossier « fichiers » de cette archive contient les fichiers que "
                    "vous avez déposés ; chaque pièce indique le sien (clé « fichier »). "
                    "« fichier_absent » signale un fichier qui n'a pas pu être lu (remplacé "
                    "pendant le téléchargement, par exemple).")),
)


# --- Reading: plain JSON values -------------------------------------------------------------

def _value(value):
    if isinstance(value, datetime.datetime):
        return clock.local(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _instant(value):
    return _value(value) if value is not None else None


def _labelled(code_set, code):
    return {"code": code, "libelle": str(code_set.label(code))} if code else None


def _reference(row, field):
    """A foreign key to reference data: its code and its label, each distinct row read
    once per export (the same country in five cursus is one query)."""
    key = getattr(row, field.object_id_name)
    if key is None:
        return None
    labels = g.setdefault("personal_data_labels", {})
    if (field.rel_model, key) not in labels:
        target = field.rel_model.get_or_none(field.rel_field == key)
        labels[field.rel_model, key] = str(target) if target is not None else None
    label = labels[field.rel_model, key]
    return {"code": key, "libelle": label} if label is not None else {"code": key}


def _fields(row, skip=()):
    """Every column of `row` but its id and `skip`, foreign keys as code and label.
    Used for the tables of the candidate's file, all of whose columns are theirs."""
    values = {}
    for field in row._meta.sorted_fields:
        if field.name == "id" or field.name in skip:
            continue
        if isinstance(field, ForeignKeyField):
            values[field.name] = _reference(row, field)
        else:
            values[field.name] = _value(getattr(row, field.name))
    return values


def _rows(model, candidat, order):
    if candidat is None:
        return []
    return [_fields(row, skip=("candidat",))
            for row in model.select().where(model.candidat == candidat.id).order_by(*order)]


# --- Export ---------------------------------------------------------------------------------

@dataclasses.dataclass
class ExportFile:
    source: str          # absolute path of the stored file
    path: str            # inside the ZIP
    date_time: tuple     # its date in the ZIP (local time)
    entry: dict          # the piece's entry in the document (marked if the file is gone)


@dataclasses.dataclass
class Export:
    """All `zip_chunks` needs, read and translated beforehand: the ZIP is written after
    the view has returned, without the request's context nor a database connection."""
    download_name: str
    document: dict
    files: list
    readme: str
    date_time: tuple


def export(compte):
    """Everything `compte` may see of their own data, read now: the document and the
    list of their stored files (read when the ZIP is written)."""
    candidat = Candidat.get_or_none(Candidat.compte == compte.id)
    files = []
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "genere_le": _instant(clock.now()),
        "description": {key: str(text) for key, text in SECTIONS},
        "compte": _compte(compte),
        "dossier": _dossier(candidat),
    }
    pieces = _pieces(candidat, files)
    document["pieces_partagees"] = pieces.pop(None, [])
    document["candidatures"] = _candidatures(candidat, pieces)
    document["mails"] = _mails(compte)
    return Export(f"mes-donnees-ecandidat-{compte.numero_dossier}.zip", document, files,
                  readme(document), _zip_date_time(clock.now()))


def _compte(compte):
    abonnement = AbonnementCalendrier.get_or_none(AbonnementCalendrier.compte == compte.id)
    # An allow-list: a secret column added to the account later never leaks here.
    return {
        "numero_dossier": compte.numero_dossier,
        "nom": compte.nom,
        "prenom": compte.prenom,
        "email": compte.email,
        "valide": compte.valide,
        "langue": compte.langue,
        "cree_le": _instant(compte.created_at),
        "abonnement_calendrier": ({"actif": True, "cree_le": _instant(abonnement.cree_le)}
                                  if abonnement else {"actif": False}),
        # The institutional identity it is linked to (single sign-on), if any.
        "identite_etablissement": ({"emetteur": compte.sso_issuer,
                                    "identifiant": compte.sso_subject}
                                   if compte.sso_subject else None),
    }


def _dossier(candidat):
    if candidat is None:
        return None
    bac = CandidatBac.get_or_none(CandidatBac.candidat == candidat.id)
    baccalaureat = None
    if bac is not None:
        baccalaureat = _fields(bac, skip=("candidat",))
        baccalaureat["specialites"] = [
            _reference(row, CandidatBacSpecialite.specialite)
            for row in CandidatBacSpecialite.select()
            .where(CandidatBacSpecialite.bac == bac.id).order_by(CandidatBacSpecialite.id)]
    adresse = (Adresse.get_or_none(Adresse.id == candidat.adresse_id)
               if candidat.adresse_id else None)
    return {
        "informations_personnelles": _fields(candidat, skip=("compte", "adresse")),
        "adresse": _fields(adresse) if adresse else None,
        "baccalaureat": baccalaureat,
        "cursus_interne": _rows(CursusInterne, candidat, (CursusInterne.annee, CursusInterne.id)),
        "cursus_externe": _rows(CursusExterne, candidat, (CursusExterne.annee, CursusExterne.id)),
        "stages": _rows(Stage, candidat, (Stage.annee, Stage.id)),
        "experiences_pro": _rows(ExperiencePro, candidat, (ExperiencePro.annee,
                                                           ExperiencePro.id)),
    }


def _pieces(candidat, files):
    """{candidature id (None: shared pieces): [piece entries]}, and each stored file
    appended to `files`."""
    by_candidature = {}
    if candidat is None:
        return by_candidature
    rows = (PieceCandidat.select(PieceCandidat, PieceJustificative)
            .join(PieceJustificative)
            .where(PieceCandidat.candidat == candidat.id)
            .order_by(PieceJustificative.ordre, PieceJustificative.id, PieceCandidat.id))
    for row in rows:
        entry = {
            "piece": row.piece.libelle,
            "statut": _labelled(codes.STATUT_PIECE, row.statut),
            "nom_original": row.nom_original,
            "type_mime": row.type_mime,
            "taille": row.taille,
            "commentaire": row.commentaire,
            "modifiee_le": _instant(row.updated_at),
            "fichier": None,
        }
        if row.fichier:
            name = storage.safe_download_name(row.nom_original, fallback=row.fichier)
            entry["fichier"] = f"{FILES_FOLDER}/{row.id}-{name}"
            try:
                source = storage.stored_path(row.fichier)
            except storage.UploadError:  # not a stored name: nothing to read
                source = None
            files.append(ExportFile(source, entry["fichier"], _zip_date_time(row.updated_at),
                                    entry))
        by_candidature.setdefault(row.candidature_id, []).append(entry)
    return by_candidature


def _candidatures(candidat, pieces):
    if candidat is None:
        return []
    candidatures = list(
        Candidature.select(Candidature, Formation, Commission, Centre)
        .join(Formation).join(Commission).join(Centre)
        .where(Candidature.candidat == candidat.id).order_by(Candidature.id))
    ids = [c.id for c in candidatures]
    published = {}
    for avis in (Avis.select(Avis, MotivationAvis)
                 .join(MotivationAvis, JOIN.LEFT_OUTER)
                 .where(Avis.candidature.in_(ids), Avis.valide).order_by(Avis.id)):
        published.setdefault(avis.candidature_id, []).append(avis)
    answers = {}
    for answer in (ReponseQuestion.select(ReponseQuestion, Question).join(Question)
                   .where(ReponseQuestion.candidature.in_(ids))
                   .order_by(Question.ordre, Question.id)):
        answers.setdefault(answer.candidature_id, []).append({
            "question": answer.question.libelle,
            "reponse": answer.reponse,
            "statut": answer.statut,
            "modifiee_le": _instant(answer.updated_at),
        })
    return [_candidature(c, published.get(c.id, []), answers.get(c.id, []),
                         pieces.get(c.id, [])) for c in candidatures]


def _candidature(candidature, avis_rows, answers, pieces):
    formation = candidature.formation
    commission = formation.commission
    last = avis_rows[-1] if avis_rows else None
    deadline = date_confirmation(candidature, last) if last else None
    return {
        "id": candidature.id,
        "formation": {"code": formation.code, "libelle": formation.libelle},
        "commission": commission.libelle,
        "centre": commission.centre.libelle,
        "statut_dossier": _labelled(codes.STATUT_DOSSIER, candidature.statut),
        # As the candidature page shows it: "En attente" until it is validated.
        "type_traitement": _labelled(codes.TYPE_TRAITEMENT,
                                     candidature.type_traitement
                                     if candidature.type_traitement_valide else "AT"),
        "creee_le": _instant(candidature.created_at),
        "transmise_le": _instant(candidature.date_transmission),
        "receptionnee_le": _instant(candidature.date_reception),
        "complete_le": _instant(candidature.date_complet),
        "incomplete_le": _instant(candidature.date_incomplet),
        "annulee_le": _instant(candidature.date_annulation),
        "date_limite_retour": _value(date_retour(candidature)),
        "date_limite_confirmation": _value(deadline) if deadline else None,
        "confirmation": _labelled(codes.CONFIRMATION, candidature.confirmation),
        "confirmation_le": _instant(candidature.date_confirmation),
        "motif_desistement": candidature.motif_desistement,
        "pieces": pieces,
        "reponses": answers,
        "avis": [_avis(avis, commission) for avis in avis_rows],
    }


def _avis(avis, commission):
    """A published avis as the candidature page shows it."""
    return {
        "avis": _labelled(codes.TYPE_AVIS, avis.type_avis),
        "publie_le": _instant(avis.valide_le),
        "motif": avis.motivation.libelle if avis.motivation_id else None,
        "rang_liste_complementaire": rang_shown(avis),
        "commentaire": avis.commentaire if commission.afficher_commentaire else None,
        "preselection_date": _value(avis.preselection_date) if avis.preselection_date else None,
        "preselection_heure": avis.preselection_heure,
        "preselection_lieu": avis.preselection_lieu,
    }


def _mails_to(compte):
    """The outbox's mails to the account's address since it was created (an account
    created earlier with the same address, deleted since, was someone else's)."""
    return ((OutboxMail.destinataire == compte.email)
            & (OutboxMail.created_at >= compte.created_at))


def _mails(compte):
    return [{"sujet": mail.sujet, "texte": mail.corps_texte,
             "cree_le": _instant(mail.created_at), "envoye_le": _instant(mail.sent_at)}
            for mail in OutboxMail.select().where(_mails_to(compte)).order_by(OutboxMail.id)]


def readme(document):
    lines = [_("Vos données eCandidat"), "",
             _("Archive créée le %(date)s pour le dossier n° %(numero)s.",
               date=document["genere_le"], numero=document["compte"]["numero_dossier"]),
             _("Le fichier %(json)s (JSON, UTF-8) contient vos données ; ses sections :",
               json=JSON_NAME), ""]
    for key, text in SECTIONS:
        lines += [f"- {key} : {text}", ""]
    return "\n".join(lines)


# --- The ZIP, written as it is sent -----------------------------------------------------------

class _Sink(io.RawIOBase):
    """What zipfile writes, kept until the next chunk is handed out. Not seekable: zipfile
    then writes each entry's sizes after its data, and never goes back."""

    def __init__(self):
        super().__init__()
        self._buffer = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self._buffer += data
        return len(data)

    def pending(self):
        return len(self._buffer)

    def take(self):
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def _zip_date_time(instant):
    stamp = clock.local(instant or clock.now())
    return (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
            stamp.second)


def _zip_info(path, date_time):
    info = zipfile.ZipInfo(path, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def zip_chunks(prepared):
    """The ZIP of an `export`, chunk by chunk: each stored file copied CHUNK_SIZE bytes at
    a time (at most about one chunk is held), then the JSON document and LISEZMOI.txt —
    last, so that a file that could not be read is marked in the document. Needs no
    context: it runs while the response is sent."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in prepared.files:
            try:
                source = open(item.source, "rb")
            except (OSError, TypeError):  # gone (replaced meanwhile), or no path at all
                log.warning("Export des données : fichier %s illisible", item.source)
                item.entry["fichier"] = None
                item.entry["fichier_absent"] = True
                continue
            with source:
                big = os.fstat(source.fileno()).st_size > zipfile.ZIP64_LIMIT
                with archive.open(_zip_info(item.path, item.date_time), "w",
                                  force_zip64=big) as target:
                    while chunk := source.read(CHUNK_SIZE):
                        target.write(chunk)
                        if sink.pending() >= CHUNK_SIZE:
                            yield sink.take()
            yield sink.take()
        text = json.dumps(prepared.document, ensure_ascii=False, indent=2)
        archive.writestr(_zip_info(JSON_NAME, prepared.date_time), text.encode("utf-8"))
        archive.writestr(_zip_info(README_NAME, prepared.date_time),
                         prepared.readme.encode("utf-8"))
    yield sink.take()


# --- Deletion ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Contact:
    libelle: str
    mail: str


class DeletionRefused(ValueError):
    """The account may not be deleted; `message` is French, `contacts` the commissions
    (name, mail) to write to about the candidatures that keep it."""

    def __init__(self, message, contacts=()):
        super().__init__(str(message))
        self.message = message
        self.contacts = list(contacts)


REFUSED_TRANSMITTED = _l(
    "Votre compte ne peut pas être supprimé : au moins une de vos candidatures a été "
    "transmise (ou a reçu un avis), et l'établissement doit la conserver. Pour demander "
    "l'effacement de vos données, écrivez à la commission de cette candidature.")
GONE = _l("Ce compte n'existe plus.")
BAD_PASSWORD = _l("Mot de passe incorrect.")
BAD_WORD = _l("Recopiez le mot demandé pour confirmer la suppression.")


def confirmation_word():
    return _("SUPPRIMER")


def check_confirmation(compte, typed):
    """The French reason the typed confirmation is refused, or None. An account with a
    password confirms with it (a session left open is not enough to delete an account);
    one without (institutional login) retypes the word."""
    if compte.password_hash:
        return None if check_password(compte.password_hash, typed or "") else BAD_PASSWORD
    word = confirmation_word()
    return None if (typed or "").strip().casefold() == word.casefold() else BAD_WORD


def _kept_candidatures(candidat_id):
    """The candidatures that keep the account: ever transmitted (a statut other than En
    attente, whoever set it, or a transmission date, cancelled ones included), or given
    an avis."""
    return (Candidature.select(Candidature, Formation, Commission)
            .join(Formation).join(Commission)
            .where(Candidature.candidat == candidat_id,
                   Candidature.date_transmission.is_null(False)
                   | (Candidature.statut != "AT")
                   | Candidature.id.in_(Avis.select(Avis.candidature)
                                        .where(Avis.candidature == Candidature.id)))
            .order_by(Candidature.id))


def deletion_refusal(compte):
    """DeletionRefused if the account may not be deleted now, else None (read without
    locks, for the confirmation page; `delete_account` checks again under them)."""
    candidat = Candidat.get_or_none(Candidat.compte == compte.id)
    if candidat is None:
        return None
    kept = list(_kept_candidatures(candidat.id))
    if not kept:
        return None
    contacts, seen = [], set()
    for candidature in kept:
        commission = candidature.formation.commission
        mail = commission.mail or commission.centre.mail_contact
        if commission.id not in seen:
            seen.add(commission.id)
            contacts.append(Contact(commission.libelle, mail or ""))
    return DeletionRefused(REFUSED_TRANSMITTED, contacts)


# Tables reached from the account whose rows keep it (see _kept_candidatures): the
# deletion never meets a row of them.
KEEPING_MODELS = (Avis,)


@functools.cache
def owned_models():
    """[(model, [its foreign keys to the models before it])], parents first: the account,
    then every model whose rows hang off it, found by walking the foreign keys of
    ALL_MODELS — a table added later that refers to the account, the candidate or one
    of their rows is deleted with them without being named here."""
    owned = {CompteCandidat: []}
    grew = True
    while grew:
        grew = False
        for model in ALL_MODELS:
            keys = [field for field in model._meta.refs
                    if field.rel_model in owned and field.rel_model is not model]
            if keys and len(keys) != len(owned.get(model, ())):
                owned[model] = keys
                grew = True
    return [(model, owned[model]) for model in sort_models(list(owned))]


def _chunks(values, size=500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def owned_rows(compte_id):
    """{model: [primary keys]} of every row hanging off the account, read in the caller's
    transaction."""
    ids = {}
    for model, keys in owned_models():
        if model is CompteCandidat:
            ids[model] = [compte_id]
            continue
        conditions = [key.in_(ids[key.rel_model]) for key in keys if ids[key.rel_model]]
        primary = model._meta.primary_key
        ids[model] = ([getattr(row, primary.name) for row in
                       model.select(primary).where(functools.reduce(operator.or_, conditions))]
                      if conditions else [])
    return ids


def _stored_files(rows):
    from ecandidat.jobs import STORED_FILE_COLUMNS  # jobs → workflow: imported late
    names = []
    for model, column in STORED_FILE_COLUMNS:
        if rows.get(model):
            field = getattr(model, column)
            primary = model._meta.primary_key
            for chunk in _chunks(rows[model]):
                names += [getattr(row, column) for row in model.select(field)
                          .where(primary.in_(chunk), field.is_null(False))]
    return names


def _forget_audit(rows):
    """The audit rows about the deleted rows hold what the candidate typed (answers,
    file names, profile values): they go too. None of these rows ever reached a
    commission; the deletion's own audit row is written after."""
    for model, ids in rows.items():
        for chunk in _chunks(ids):
            AuditLog.delete().where(AuditLog.table == model._meta.table_name,
                                    AuditLog.record_id.in_(chunk)).execute()


def _lock_account(compte_id):
    """The account's row, locked against every other write — FOR UPDATE, not the
    workflow's FOR NO KEY UPDATE: a row inserted meanwhile that refers to it would
    otherwise slip in before the DELETE."""
    query = CompteCandidat.select().where(CompteCandidat.id == compte_id)
    if not isinstance(database.obj, SqliteDatabase):
        query = query.for_update()
    return query.first()


def delete_account(compte):
    """Delete the account and everything that hangs off it, or DeletionRefused.

    One write transaction: the account locked, then the candidate (the workflow's lock:
    a transmission, an upload, a new candidature wait for it or it waits for them), the
    check made on what is committed then, every owned row deleted children first, the
    candidate's address, the mails to them and the audit rows about what is deleted; an
    audit row kept with the n° dossier only; the confirmation mail queued (it never
    blocks the deletion). The stored files are
    removed once committed: a crash before leaves only orphan files, which
    `flask invariants` reports and the `fichiers` job removes."""
    def attempt():
        with write_transaction():
            row = _lock_account(compte.id)
            if row is None:
                raise DeletionRefused(GONE)
            candidat = locked(Candidat.select(Candidat.id, Candidat.adresse)
                              .where(Candidat.compte == row.id)).first()
            if candidat is not None and _kept_candidatures(candidat.id).exists():
                raise deletion_refusal(row) or DeletionRefused(REFUSED_TRANSMITTED)
            rows = owned_rows(row.id)
            names = _stored_files(rows)
            for model, _keys in reversed(owned_models()):
                primary = model._meta.primary_key
                for chunk in _chunks(rows[model]):
                    model.delete().where(primary.in_(chunk)).execute()
            if candidat is not None and candidat.adresse_id:
                Adresse.delete().where(Adresse.id == candidat.adresse_id).execute()
            OutboxMail.delete().where(_mails_to(row)).execute()
            _forget_audit(rows)
            audit.record(f"candidat:{row.numero_dossier}", ACTION_DELETE, row,
                         {"numero_dossier": row.numero_dossier}, None)
            _queue_confirmation(row)
            delete_files_after_commit(names)
        return row
    return retrying(attempt)


def _queue_confirmation(compte):
    """CPT_MIN_SUPPRESSION in a savepoint: a mail that cannot be queued is logged, and
    the deletion goes on."""
    try:
        with database.atomic():
            queue_mail("CPT_MIN_SUPPRESSION", compte.email,
                       dict(nom=compte.nom, prenom=compte.prenom,
                            numero_dossier=compte.numero_dossier),
                       langue=language_of(compte))
    except Exception:  # noqa: BLE001 — the mail is secondary, the deletion is not
        log.exception("Mail de confirmation de suppression du compte %s non créé",
                      compte.numero_dossier)
