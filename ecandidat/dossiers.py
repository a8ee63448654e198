"""The dossier PDF of a transmitted candidature: built once, out of the request, stored
privately and served from the stored file (issue 11).

Building a dossier merges every uploaded piece: with 20 scans, about a second and a
few hundred MB in the process that renders. Once a candidature is with the commission
(statut RE or CO, workflow.queries.WITH_COMMISSION) the `dossiers` job (`flask --app app
jobs run dossiers`, from cron every few minutes) builds its dossier and stores it as
an upload is stored (storage.save_new: a random name, written whole then renamed),
referred to by Candidature.dossier_pdf with the fingerprint of what it shows
(Candidature.dossier_empreinte). The reference is written in a transaction that locks
the candidature and checks that the fingerprint is still the one rendered.

Two guards keep a stored dossier from being stale:
- the workflow actions that change what a dossier shows (rules.Rule.changes_dossier:
  statut du dossier, a piece's statut, type de traitement, date de retour, a new
  transmission after « Incomplet ») and the candidate's profile edits drop the
  reference in their own transaction (`invalidate`), and the file once committed;
  the job builds the dossier again;
- the fingerprint (`empreinte`: a hash of the dossier's own pages as HTML, of the
  stored files it merges and of the budgets) is computed again before a stored file
  is served: what changed without the workflow (a formation or commission renamed in
  the console, a referential reload, a new template) gets the dossier rebuilt.

A transmitted dossier asked for before it is stored (or once stale) is built at once
and stored. Every render of a process (the job's, a request's, a draft's) takes one of
DOSSIER_RENDER_SLOTS (default 1): a process never holds more renders than that in
memory; a request that finds no free slot within DOSSIER_RENDER_WAIT seconds, or
whose render fails, gets NotReady (« en cours de préparation », never an error page).

The stored dossier is in the institution's language (LANGUAGES[0]): it is the document
the commission has, and only one is stored. A reader of another language (a candidate
reading English) gets the transmitted dossier rendered on demand in theirs, never
stored (`document(…, language=)`): a language switch can never serve a stored file in
the other language, and the commission's copy stays the one the fingerprint checks.
The draft of an open candidature is rendered on demand, in the reader's language,
within the budgets of ecandidat.pdf (DOSSIER_MAX_PAGES, MAX_UPLOAD_PIXELS,
MAX_UPLOAD_PAGES)."""
import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import threading

from flask import current_app, render_template
from flask_babel import force_locale

from ecandidat import storage
from ecandidat.db import database, write_transaction
from ecandidat.models import Candidature, Formation

log = logging.getLogger(__name__)

BUDGETS = ("DOSSIER_MAX_PAGES", "MAX_UPLOAD_PIXELS", "MAX_UPLOAD_PAGES")


class NotReady(Exception):
    """The dossier cannot be given now: no render slot free in time, or its render failed."""


# --- Render slots -----------------------------------------------------------------------------

_slots = {}
_slots_guard = threading.Lock()


def _slot():
    count = max(1, current_app.config["DOSSIER_RENDER_SLOTS"])
    with _slots_guard:
        return _slots.setdefault(count, threading.BoundedSemaphore(count))


@contextlib.contextmanager
def render_slot(wait=None):
    """Hold one of the process's render slots; `wait` seconds at most (None: as long as
    it takes, for the job), else NotReady."""
    slot = _slot()
    if not slot.acquire(timeout=wait):
        raise NotReady("aucun emplacement de rendu libre")
    try:
        yield
    finally:
        slot.release()


# --- What a stored dossier is -----------------------------------------------------------------

def is_transmitted(candidature):
    """With the commission, as sent: its dossier is stored rather than rendered on demand."""
    from ecandidat.workflow.queries import WITH_COMMISSION
    return candidature.statut in WITH_COMMISSION and candidature.date_annulation is None


def stored_language():
    return current_app.config["LANGUAGES"][0]


def empreinte(candidature):
    """The fingerprint of what the dossier of `candidature` shows now: its own pages (the
    HTML they are rendered from), the stored files it merges, and the budgets."""
    from ecandidat.pdf import dossier_context
    with force_locale(stored_language()):
        context = dossier_context(candidature)
        html = render_template("pdf/dossier.html", **context)
    digest = hashlib.sha256(html.encode("utf-8"))
    for piece, fourni in context["pieces"]:
        if fourni is not None and fourni.fichier:
            digest.update(f"\0{piece.id}:{fourni.fichier}:{fourni.type_mime}".encode("utf-8"))
    for key in BUDGETS:
        digest.update(f"\0{key}={current_app.config[key]}".encode("utf-8"))
    return digest.hexdigest()


def _stored_and_current(candidature, expected):
    if not candidature.dossier_pdf or candidature.dossier_empreinte != expected:
        return False
    try:
        return os.path.isfile(storage.stored_path(candidature.dossier_pdf))
    except storage.UploadError:
        return False


def render(candidature):
    """The dossier as stored: the institution's language (the caller holds a slot)."""
    from ecandidat.pdf import dossier_pdf
    with force_locale(stored_language()):
        return dossier_pdf(candidature)


def _load(candidature_id):
    return (Candidature.select(Candidature, Formation).join(Formation)
            .where(Candidature.id == candidature_id).first())


# --- Building -------------------------------------------------------------------------------

def build(candidature_id, wait=None):
    """Build and store the dossier of a transmitted candidature, unless the stored one is
    current. Returns the stored file's name, or None when the candidature is not
    transmitted (any more) or changed while its dossier was rendered (the rendered
    file is removed then; the next run or request builds it again).

    No half state: the file is complete under its name before the reference is
    written; a failure before the reference commits removes it (a crash leaves at
    most an unreferenced file, which the `fichiers` job removes after a day)."""
    with render_slot(wait):
        # Read once the slot is ours: a run that held it may just have stored this one.
        candidature = _load(candidature_id)
        if candidature is None or not is_transmitted(candidature):
            return None
        expected = empreinte(candidature)
        if _stored_and_current(candidature, expected):
            return candidature.dossier_pdf
        name = storage.save_new(render(candidature), "pdf")
        try:
            kept = _keep(candidature, name, expected)
        except BaseException:
            storage.delete_stored(name)
            raise
        if kept != name:
            storage.delete_stored(name)
        return kept


def _keep(candidature, name, expected):
    """Refer to the file `name`, rendered for the fingerprint `expected`, if the
    candidature still shows that; else the current stored name (another run built
    it meanwhile) or None."""
    from ecandidat.workflow.core import lock_candidature
    with write_transaction():
        lock_candidature(candidature)  # the candidate, then the candidature: the workflow's order
        if not is_transmitted(candidature) or empreinte(candidature) != expected:
            return None
        if _stored_and_current(candidature, expected):
            return candidature.dossier_pdf
        old = candidature.dossier_pdf
        previous = (Candidature.dossier_pdf.is_null() if old is None
                    else Candidature.dossier_pdf == old)
        written = (Candidature.update(dossier_pdf=name, dossier_empreinte=expected)
                   .where(Candidature.id == candidature.id, previous).execute())
        if written != 1:
            return None
        delete_after_commit([old])
        return name


def to_build(limit=None):
    """Ids of the transmitted candidatures whose dossier is not stored, oldest first."""
    from ecandidat.workflow.queries import WITH_COMMISSION
    query = (Candidature.select(Candidature.id)
             .where(Candidature.statut.in_(sorted(WITH_COMMISSION)),
                    Candidature.date_annulation.is_null(), Candidature.dossier_pdf.is_null())
             .order_by(Candidature.id))
    if limit:
        query = query.limit(limit)
    return [row.id for row in query]


# --- Invalidation (inside the transaction of the change) ----------------------------------------

def invalidate(candidature_ids):
    """Drop the stored dossiers of these candidatures, in the caller's transaction;
    their files are removed once it commits (a rollback keeps them)."""
    ids = [i for i in candidature_ids if i is not None]
    if not ids:
        return
    names = [row.dossier_pdf for row in Candidature.select(Candidature.dossier_pdf)
             .where(Candidature.id.in_(ids), Candidature.dossier_pdf.is_null(False))]
    if not names:
        return
    (Candidature.update(dossier_pdf=None, dossier_empreinte=None)
     .where(Candidature.id.in_(ids)).execute())
    delete_after_commit(names)


def invalidate_candidat(candidat_id):
    """A change to the candidate's file (address, bac, cursus…): every dossier of theirs."""
    invalidate([row.id for row in Candidature.select(Candidature.id)
                .where(Candidature.candidat == candidat_id,
                       Candidature.dossier_pdf.is_null(False))])


def delete_after_commit(names):
    names = [name for name in names if name]
    if names:
        database.after_commit(lambda: _delete(names))


def _delete(names):
    """Committed: a file that cannot be removed now is left to the `fichiers` job."""
    for name in names:
        try:
            storage.delete_stored(name)
        except Exception:  # noqa: BLE001 — the change is committed; never undo it for this
            log.exception("Dossier PDF %s non supprimé (le job fichiers le supprimera)", name)


# --- Serving ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Document:
    """A dossier to send: a stored file (`stored`, its name) or bytes (`data`, a draft)."""
    stored: str = None
    data: bytes = None


def document(candidature, language=None):
    """The dossier of `candidature` to send now: the stored file of a transmitted one
    (built now if need be), or the draft rendered on demand. NotReady when it cannot
    be given now.

    `language`: the reader's (None: the institution's). In another language than the
    stored one, a transmitted dossier is rendered on demand in it, not stored."""
    wait = current_app.config["DOSSIER_RENDER_WAIT"]
    if language is not None and language != stored_language():
        from ecandidat.pdf import dossier_pdf
        with render_slot(wait), force_locale(language):
            return Document(data=_rendered(lambda: dossier_pdf(candidature), candidature))
    if not is_transmitted(candidature):
        from ecandidat.pdf import dossier_pdf
        with render_slot(wait):
            return Document(data=_rendered(lambda: dossier_pdf(candidature), candidature))
    expected = empreinte(candidature)
    if _stored_and_current(candidature, expected):
        return Document(stored=candidature.dossier_pdf)
    # Twice at most: a change committed during the first render discards it.
    for _attempt in range(2):
        name = _rendered(lambda: build(candidature.id, wait=wait), candidature)
        if name is not None:
            return Document(stored=name)
        fresh = _load(candidature.id)
        if fresh is None:
            raise NotReady("candidature supprimée")
        if not is_transmitted(fresh):
            return document(fresh)  # sent back meanwhile: its draft, then
    raise NotReady("le dossier a changé pendant sa préparation")


def opened(candidature, language=None):
    """The dossier of `candidature` as a file object to read, positioned at its start:
    the stored file opened, or the draft's bytes. A workflow action committed between
    `document()` and the read deletes the stored file it replaces (after its commit):
    an open file stays readable, and a file already gone is asked for once more."""
    for _attempt in range(2):
        found = document(candidature, language)
        if not found.stored:
            return io.BytesIO(found.data)
        try:
            return open(storage.stored_path(found.stored), "rb")
        except FileNotFoundError:
            candidature = _load(candidature.id)
            if candidature is None:
                raise NotReady("candidature supprimée") from None
    raise NotReady("le dossier a changé pendant son envoi")


def _rendered(action, candidature):
    try:
        return action()
    except NotReady:
        raise
    except Exception as error:  # noqa: BLE001 — the reader gets a page saying so, not a 500
        log.exception("Dossier PDF de la candidature %s non construit", candidature.id)
        raise NotReady(str(error)) from error
