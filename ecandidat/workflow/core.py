"""What every workflow write stands on: who acts, refusals, write transactions with
row locks, and removing replaced files only once nothing refers to them."""
import dataclasses
import logging

from flask_babel import lazy_gettext as _l
from peewee import SqliteDatabase

from ecandidat import storage
from ecandidat.db import database
from ecandidat.models import Candidat, Candidature, PieceCandidat

log = logging.getLogger(__name__)

# Kinds of actors. The rules table (ecandidat.workflow.rules) is keyed on them.
CANDIDAT, USER, JOB = "candidat", "user", "job"


class WorkflowError(ValueError):
    """A refused action; `message` is French, `link` an optional (endpoint, kwargs) to fix it."""

    def __init__(self, message, link=None, link_label=None):
        super().__init__(str(message))
        self.message = message
        self.link = link
        self.link_label = link_label


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who performs an action: a candidate (id = Candidat.id), a console user
    (id = User.id) or a scheduled job (id = its name). `label` is what the audit
    trail and the candidature's "…_par" fields record. A console user carries
    their `scope` (ecandidat.permissions.Scope): the rules read it."""
    kind: str
    id: object
    label: str
    scope: object = dataclasses.field(default=None, compare=False)

    @classmethod
    def candidat(cls, candidat):
        return cls(CANDIDAT, candidat.id, f"candidat:{candidat.compte.numero_dossier}")

    @classmethod
    def user(cls, user, scope=None):
        from ecandidat.permissions import scope_of
        return cls(USER, user.id, f"user:{user.email}",
                   scope if scope is not None else scope_of(user))

    @classmethod
    def job(cls, name):
        return cls(JOB, name, f"job:{name}")


def locked(query):
    """`query` locking the rows it reads until the commit (PostgreSQL). FOR NO KEY
    UPDATE does not block the inserts of rows that reference the locked one. On
    SQLite the IMMEDIATE write transaction already keeps every other writer out."""
    if isinstance(database.obj, SqliteDatabase):
        return query
    return query.for_update("FOR NO KEY UPDATE")


def lock_candidature(candidature, candidat=True):
    """Inside a write transaction: lock the candidate (whose shared pieces serve all
    their candidatures), then the candidature — always in this order, so two
    transactions never wait on each other — and load the candidature's committed
    state into `candidature`. Returns it. `candidat=False` locks the candidature's
    row only (a promotion from the liste complémentaire, which touches no piece)."""
    if candidat:
        _lock_candidat_id(candidature.candidat_id)
    fresh = locked(Candidature.select().where(Candidature.id == candidature.id)).first()
    if fresh is None:
        raise WorkflowError(GONE)
    # Update the caller's instance (keeping its loaded formation) rather than
    # handing back another object that would load its relations again.
    candidature.__data__.update(fresh.__data__)
    candidature._dirty.clear()
    return candidature


def lock_candidatures(candidatures, candidat=True):
    """`lock_candidature` for several: every candidate first, then every
    candidature, each in id order (the order any other transaction takes too)."""
    if len(candidatures) == 1:
        return [lock_candidature(candidatures[0], candidat)]
    if candidat:
        candidat_ids = sorted({c.candidat_id for c in candidatures})
        list(locked(Candidat.select(Candidat.id).where(Candidat.id.in_(candidat_ids))
                    .order_by(Candidat.id)))
    fresh = {row.id: row for row in locked(
        Candidature.select().where(Candidature.id.in_([c.id for c in candidatures]))
        .order_by(Candidature.id))}
    if len(fresh) != len({c.id for c in candidatures}):
        raise WorkflowError(GONE)
    for candidature in candidatures:
        candidature.__data__.update(fresh[candidature.id].__data__)
        candidature._dirty.clear()
    return candidatures


def lock_candidat(candidat):
    """Inside a write transaction: lock the candidate's row (see `lock_candidature`)."""
    _lock_candidat_id(candidat.id)


# The candidate deleted their account (ecandidat.personal_data) while this action waited
# for its lock: a refusal like any other, not an error.
GONE = _l("Ce dossier n'existe plus : le compte a été supprimé.")


def _lock_candidat_id(candidat_id):
    if locked(Candidat.select(Candidat.id).where(Candidat.id == candidat_id)).first() is None:
        raise WorkflowError(GONE)


def delete_files_after_commit(names):
    """Once the current transaction commits, remove those stored files that no
    row refers to any more (a transmitted candidature's copy of a shared piece
    may still refer to a replaced file). A rollback keeps them all."""
    names = [name for name in names if name]
    if names:
        database.after_commit(lambda: _cleanup_after_commit(names))


def _cleanup_after_commit(names):
    """The action is committed: a file that cannot be removed now (permissions, the
    database gone) is only left behind, never turned into an error for the user."""
    try:
        delete_unreferenced(names)
    except Exception:  # noqa: BLE001 — any failure here must not undo a committed answer
        log.exception("Fichiers remplacés non supprimés (ils restent dans le dossier "
                      "d'envoi) : %s", ", ".join(names))


def delete_unreferenced(names):
    """Remove the stored files among `names` that no row refers to."""
    used = {row.fichier for row in PieceCandidat.select(PieceCandidat.fichier)
            .where(PieceCandidat.fichier.in_(names))}
    for name in names:
        if name not in used:
            storage.delete_stored(name)
