"""What a candidate provides for a candidature: pieces (files or "non concerné")
and answers to the complementary questions.

Shared pieces (PieceJustificative.partagee) are answered once per candidate, in
a row with no candidature, for all their candidatures. A transmitted candidature
must keep exactly the files it was sent with, though the candidate may still
replace a shared piece for their open candidatures (a renewed identity card, say).
So, rather than freezing the shared piece for every candidature once one is
transmitted, transmission gives the candidature its own row for each shared piece,
a copy of the shared row referring to the same stored file (`freeze_shared_pieces`).
That copy is what the candidature shows, what its dossier PDF merges and what the
commission rates. Editing the shared piece from another candidature changes only
the shared row; editing it from this candidature once it is editable again
(statut IN) drops the copy, so that it follows the shared row until its next
transmission. A stored file is removed only when no row refers to it any more."""
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from ecandidat import clock, storage
from ecandidat.audit import record, snapshot
from ecandidat.models import PieceCandidat, ReponseQuestion
from ecandidat.text import CONTROL_CHARACTER_MESSAGE, has_control_characters
from ecandidat.workflow.core import WorkflowError, delete_files_after_commit, delete_unreferenced
from ecandidat.workflow.engine import run
from ecandidat.workflow.queries import piece_rows, question_rows
from ecandidat.workflow.rules import check

PIECE_FIELDS = ("statut", "nom_original")
COPIED_FIELDS = ("statut", "fichier", "nom_original", "type_mime", "taille", "commentaire",
                 "updated_at", "statut_par")
# A conditional write that found the row changed (the locks make it a safety net).
_CONFLICT = _l("Cette pièce vient d'être modifiée par ailleurs : rechargez la page et "
               "recommencez.")


def _asked(candidature, piece):
    if piece.id not in {asked.id for asked, _row in piece_rows(candidature)}:
        raise WorkflowError(_l("Cette pièce n'est pas demandée pour cette candidature."))


def deposer_piece(actor, candidature, piece, data, original_name, today=None):
    """Store an uploaded file for a piece (statut TR), replacing any earlier one.

    The file is written before the transaction (no lock is held while writing
    it) and removed if the row does not commit; the replaced file is removed
    after the commit, and only if no row refers to it."""
    check("deposer_piece", actor, candidature, today)  # refuse before writing a file
    _asked(candidature, piece)
    try:
        name, mime, size = storage.save_upload(data)
    except storage.UploadError as error:
        raise WorkflowError(error.message) from None
    values = dict(fichier=name, nom_original=storage.safe_download_name(original_name),
                  type_mime=mime, taille=size, statut="TR",
                  # a new file: the commission's earlier decision and comment no longer apply
                  commentaire=None, statut_par=None)
    try:
        return _write_piece("deposer_piece", actor, candidature, piece, values, today)
    except BaseException:
        delete_unreferenced([name])  # unless the row did commit
        raise


def declarer_non_concerne(actor, candidature, piece, today=None):
    """"Non concerné par cette pièce" for a conditional piece (statut NC)."""
    if not piece.conditionnelle:
        raise WorkflowError(_l("Cette pièce est obligatoire."))
    values = dict(fichier=None, nom_original=None, type_mime=None, taille=None, statut="NC",
                  commentaire=None, statut_par=None)
    return _write_piece("non_concerne", actor, candidature, piece, values, today)


def supprimer_piece(actor, candidature, piece, today=None):
    """Remove the file (or the "non concerné" answer): the piece is back to AT."""
    _write_piece("supprimer_piece", actor, candidature, piece, None, today)


def _write_piece(action, actor, candidature, piece, values, today):
    return run(action, actor, candidature, today=today,
               write=lambda locked: _answer(action, actor, locked, piece, values))


def _answer(action, actor, candidature, piece, values):
    """Inside the locked transaction: write `values` (None: delete) as the answer
    of `candidature` to `piece`, one audit row, and schedule the removal of the
    files this makes unused."""
    _asked(candidature, piece)
    own = PieceCandidat.get_or_none(PieceCandidat.candidature == candidature.id,
                                    PieceCandidat.piece == piece.id)
    shared = PieceCandidat.get_or_none(PieceCandidat.candidat == candidature.candidat_id,
                                       PieceCandidat.candidature.is_null(),
                                       PieceCandidat.piece == piece.id)
    shown = own or (shared if piece.partagee else None)
    if shown is not None and shown.statut == "VA":
        raise WorkflowError(_l("Cette pièce a été validée par la commission : elle ne peut plus "
                               "être modifiée."))
    if values is None and shown is None:
        raise WorkflowError(_l("Aucun fichier à supprimer pour cette pièce."))
    before = snapshot(shown, PIECE_FIELDS) if shown else None
    unused = []
    if piece.partagee and own is not None:
        # The copy kept since the last transmission: from now on this candidature
        # follows the shared row again.
        _delete(own)
        unused.append(own.fichier)
    target = shared if piece.partagee else own
    if values is None:
        if target is not None:
            _delete(target)
            unused.append(target.fichier)
        record(actor.label, action, shown, before, None)
        delete_files_after_commit(unused)
        return None
    if target is None:
        target = _create(candidature, piece, values)
    else:
        unused.append(target.fichier)
        _update(target, values)
    record(actor.label, action, target, before, snapshot(target, PIECE_FIELDS))
    delete_files_after_commit(unused)
    return target


def _unchanged(row):
    """The row's id, and its file and statut as read: a conditional write."""
    fichier = PieceCandidat.fichier
    return ((PieceCandidat.id == row.id) & (PieceCandidat.statut == row.statut)
            & (fichier.is_null() if row.fichier is None else fichier == row.fichier))


def _delete(row):
    if PieceCandidat.delete().where(_unchanged(row)).execute() != 1:
        raise WorkflowError(_CONFLICT)


def _update(row, values):
    values = dict(values, updated_at=clock.now())
    query = PieceCandidat.update({getattr(PieceCandidat, k): v for k, v in values.items()})
    if query.where(_unchanged(row)).execute() != 1:
        raise WorkflowError(_CONFLICT)
    for field, value in values.items():
        setattr(row, field, value)


def _create(candidature, piece, values):
    try:
        return PieceCandidat.create(
            candidat=candidature.candidat_id, piece=piece, updated_at=clock.now(),
            candidature=None if piece.partagee else candidature.id, **values)
    except IntegrityError:
        # The partial unique indexes keep one answer per piece; the transaction
        # is rolled back (the caller removes the new file).
        raise WorkflowError(_CONFLICT) from None


def freeze_shared_pieces(candidature, only=None):
    """At transmission (inside its transaction, the candidate locked): give the
    candidature its own copy of each shared row it uses, so that it keeps what it
    was sent with (see the module's docstring). The copy refers to the same file.
    `only`: the id of the one piece to copy (a commission's decision on it)."""
    for piece, row in piece_rows(candidature):
        if only is not None and str(piece.id) != str(only):
            continue
        if piece.partagee and row is not None and row.candidature_id is None:
            PieceCandidat.create(candidat=row.candidat_id, candidature=candidature.id,
                                 piece=piece.id,
                                 **{field: getattr(row, field) for field in COPIED_FIELDS})


# --- questions -----------------------------------------------------------------

def repondre(actor, candidature, question, reponse, today=None):
    """Save an answer to a complementary question at once (statut TR)."""
    if question.id not in {q.id for q, _ in question_rows(candidature)}:
        raise WorkflowError(_l("Cette question n'est pas posée pour cette candidature."))
    reponse = (reponse or "").strip()
    if has_control_characters(reponse):
        raise WorkflowError(CONTROL_CHARACTER_MESSAGE)
    if question.type == "B" and reponse not in ("oui", "non", ""):
        raise WorkflowError(_l("Répondez par oui ou par non."))
    if question.type == "C" and reponse and reponse not in question.options():
        raise WorkflowError(_l("Choisissez une des réponses proposées."))
    if len(reponse) > 5000:
        raise WorkflowError(_l("La réponse ne doit pas dépasser 5000 caractères."))

    def write(locked):
        answer, _ = ReponseQuestion.get_or_create(candidature=locked.id, question=question.id)
        before = snapshot(answer, ("reponse", "statut"))
        answer.reponse = reponse or None
        answer.statut = "TR" if reponse else "AT"
        answer.updated_at = clock.now()
        answer.save()
        record(actor.label, "repondre", answer, before, snapshot(answer, ("reponse", "statut")))
        return answer
    return run("repondre", actor, candidature, write=write, today=today)
