"""`flask --app app invariants`: the states the application must never reach, looked
for in the database and the upload folder (issue 11, point 7).

Each check is a set-based query (a join, a self-join, an anti-join: never a query
per row) that returns only what is wrong, so a clean database of 100,000
candidatures is read by a handful of queries; the one walk over every row — the
file names, to stat each — goes by keyset pages of PAGE_SIZE rows, so memory stays
flat whatever the volume.

- A transmitted candidature with a missing piece. Transmitted: not cancelled,
  dématérialisée, sent by the candidate (date_transmission) and with the commission
  (statut RE or CO; IN gives the file back to the candidate, who may then remove a
  piece). Asked: what `workflow.queries.pieces_asked` asks of its formation (scope,
  actif, type de traitement). Missing: its own row (the one the commission reads,
  `workflow.queries.piece_rows`; a shared piece is copied to it at transmission)
  is absent, or holds no file and is not "Non concerné" — as `rules.nothing_missing`
  refuses the transmission. A row without a file kept for a piece no longer asked
  is reported too. A piece added to the catalogue after the transmission
  (`PieceJustificative.cree_le`) is not: the candidate never had it to give, and the
  commission puts the dossier back to Incomplet if it needs it.
- Two live (not cancelled) candidatures of one candidate to one formation.
- A rang réel given twice on one liste complémentaire: the list of a formation and a
  campaign is, as `workflow.decision.lc_queue` reads it, the live candidatures whose
  last avis is a validated LC with a rang. The rang saisi may be shared (eCandidat
  orders ties by avis id, and a selection of candidatures gets one rang); the rang
  réel, each one's place in the queue that the workflow writes under the formation's
  lock, may not.
- A file referenced (`jobs.STORED_FILE_COLUMNS`) but absent from UPLOAD_FOLDER.
- A file in UPLOAD_FOLDER (a name `storage.save_upload` makes) that no row refers
  to. A file is written before the row that refers to it commits, so a file younger
  than the grace period (DEFAULT_GRACE, 15 minutes: an upload's write-then-commit
  lasts seconds) is left out. The `fichiers` job removes an orphan only after a day;
  an orphan reported here younger than that is one the job will remove.

Files are compared with the rows twice, to let a write in progress pass: a name
found absent is reported only if a row still refers to it once the folder has
been read, an orphan only if the file is still there once the rows have been
read (a replaced file is removed just after its row's commit)."""
import dataclasses
import datetime
import os
import stat

from flask import current_app
from flask_babel import gettext as _
from peewee import JOIN, fn

from ecandidat import clock
from ecandidat.db import database
from ecandidat.jobs import STORED_FILE_COLUMNS, STORED_NAME
from ecandidat.models import (Avis, Candidature, Commission, Formation, PieceCandidat,
                              PieceJustificative)
from ecandidat.workflow.queries import WITH_COMMISSION

DEFAULT_GRACE = datetime.timedelta(minutes=15)
PAGE_SIZE = 5000
CHUNK = 500  # names per IN (…) list


@dataclasses.dataclass(frozen=True)
class Violation:
    """One impossible state: what kind, the rows concerned ({table: (ids…)}), in French."""
    kind: str
    ids: dict
    message: str

    def text(self):
        return f"[{self.kind}] {self.message}"


def find_violations(folder=None, grace=DEFAULT_GRACE, now=None):
    """Every impossible state found, check after check (a generator)."""
    folder = folder or current_app.config["UPLOAD_FOLDER"]
    now = now or clock.now()
    yield from missing_pieces()
    yield from duplicate_candidatures()
    yield from duplicate_rangs()
    yield from absent_files(folder)
    yield from orphan_files(folder, now - grace)


# --- Candidatures ---------------------------------------------------------------------------

def _transmitted():
    return (Candidature.date_annulation.is_null() & Candidature.date_transmission.is_null(False)
            & Candidature.statut.in_(sorted(WITH_COMMISSION)) & Formation.demat)


def _asked():
    """The join condition of `pieces_asked`: the pieces asked of the formation joined."""
    return (PieceJustificative.actif
            & ((PieceJustificative.centre.is_null() & PieceJustificative.formation.is_null())
               | (PieceJustificative.centre == Commission.centre)
               | (PieceJustificative.formation == Formation.id))
            & (PieceJustificative.type_traitement.is_null()
               | (PieceJustificative.type_traitement == Formation.type_traitement)))


def _no_file():
    return PieceCandidat.fichier.is_null() | (PieceCandidat.fichier == "")


def missing_pieces():
    unanswered = (Candidature.select(Candidature.id, PieceJustificative.id,
                                     PieceJustificative.libelle)
                  .join(Formation).join(Commission)
                  .join(PieceJustificative, on=_asked())
                  .join(PieceCandidat, JOIN.LEFT_OUTER,
                        on=((PieceCandidat.candidature == Candidature.id)
                            & (PieceCandidat.piece == PieceJustificative.id)))
                  .where(_transmitted() & PieceCandidat.id.is_null()
                         & (PieceJustificative.cree_le.is_null()
                            | (PieceJustificative.cree_le <= Candidature.date_transmission)))
                  .order_by(Candidature.id, PieceJustificative.id))
    for candidature_id, piece_id, libelle in unanswered.tuples().iterator():
        yield Violation("piece-manquante", {"candidature": (candidature_id,),
                                            "piece_justificative": (piece_id,)},
                        _("candidature %(c)s transmise sans la pièce demandée « %(piece)s » "
                          "(pièce %(p)s) : aucune réponse à son nom.",
                          c=candidature_id, piece=libelle, p=piece_id))
    empty = (PieceCandidat.select(PieceCandidat.candidature, PieceCandidat.id,
                                  PieceCandidat.statut, PieceJustificative.libelle)
             .join(PieceJustificative).switch(PieceCandidat)
             .join(Candidature).join(Formation)
             .where(_transmitted() & _no_file() & (PieceCandidat.statut != "NC"))
             .order_by(PieceCandidat.candidature, PieceCandidat.id))
    for candidature_id, row_id, statut, libelle in empty.tuples().iterator():
        yield Violation("piece-manquante", {"candidature": (candidature_id,),
                                            "piece_candidat": (row_id,)},
                        _("candidature %(c)s transmise sans fichier pour la pièce « %(piece)s » "
                          "(réponse %(r)s, statut %(s)s, ni fichier ni « Non concerné »).",
                          c=candidature_id, piece=libelle, r=row_id, s=statut))


def duplicate_candidatures():
    other = Candidature.alias()
    pairs = (Candidature.select(Candidature.id, other.id, Candidature.candidat,
                                Candidature.formation)
             .join(other, on=((other.candidat == Candidature.candidat)
                              & (other.formation == Candidature.formation)
                              & (other.id > Candidature.id)))
             .where(Candidature.date_annulation.is_null(), other.date_annulation.is_null())
             .order_by(Candidature.id, other.id))
    for first, second, candidat_id, formation_id in pairs.tuples().iterator():
        yield Violation("candidature-en-double", {"candidature": (first, second)},
                        _("candidatures %(a)s et %(b)s : deux candidatures en cours du candidat "
                          "%(candidat)s à la formation %(formation)s.", a=first, b=second,
                          candidat=candidat_id, formation=formation_id))


def _on_the_list(avis, candidature):
    """The avis heads its live candidature's place on a liste complémentaire."""
    newer = Avis.alias()
    return ((avis.type_avis == "LC") & avis.valide & avis.rang.is_null(False)
            & candidature.date_annulation.is_null()
            & ~fn.EXISTS(newer.select(newer.id).where((newer.candidature == avis.candidature)
                                                      & (newer.id > avis.id))))


def duplicate_rangs():
    avis_a, avis_b = Avis.alias(), Avis.alias()
    first, second = Candidature.alias(), Candidature.alias()
    same_campaign = ((second.campagne == first.campagne)
                     | (second.campagne.is_null() & first.campagne.is_null()))
    pairs = (avis_a.select(first.formation, first.campagne, avis_a.rang_reel, first.id,
                           second.id, avis_a.id, avis_b.id)
             .join(first, on=(avis_a.candidature == first.id))
             .join(avis_b, on=((avis_b.rang_reel == avis_a.rang_reel)
                               & (avis_b.type_avis == "LC")))
             .join(second, on=((avis_b.candidature == second.id)
                               & (second.formation == first.formation) & same_campaign
                               & (second.id > first.id)))
             .where(_on_the_list(avis_a, first) & _on_the_list(avis_b, second))
             .order_by(first.formation, first.campagne, avis_a.rang_reel, first.id, second.id))
    for formation_id, campagne_id, rang, a, b, avis_1, avis_2 in pairs.tuples().iterator():
        yield Violation("rang-en-double", {"candidature": (a, b), "avis": (avis_1, avis_2)},
                        _("candidatures %(a)s et %(b)s : le rang réel %(rang)s est donné "
                          "deux fois sur la liste complémentaire de la formation %(formation)s (campagne "
                          "%(campagne)s ; avis %(x)s et %(y)s).", a=a, b=b, rang=rang,
                          formation=formation_id, campagne=campagne_id or "—",
                          x=avis_1, y=avis_2))


# --- Files ----------------------------------------------------------------------------------

def _references():
    """(model, column, row id, name) of every stored file name, page by page."""
    for model, column in STORED_FILE_COLUMNS:
        field = getattr(model, column)
        last = 0
        while True:
            page = list(model.select(model.id, field)
                        .where(field.is_null(False), field != "", model.id > last)
                        .order_by(model.id).limit(PAGE_SIZE).tuples())
            for row_id, name in page:
                yield model, column, row_id, name
            if len(page) < PAGE_SIZE:
                break
            last = page[-1][0]


def _present(folder, name):
    if os.path.basename(name) != name or name.startswith("."):
        return False  # not a name storage makes: it cannot be served
    try:
        return stat.S_ISREG(os.stat(os.path.join(folder, name)).st_mode)
    except OSError:
        return False


def _still_referenced(model, column, rows):
    """Of [(row id, name)], those whose row still holds that name."""
    field = getattr(model, column)
    wanted = dict(rows)
    found = model.select(model.id, field).where(model.id.in_(list(wanted))).tuples()
    return [(row_id, name) for row_id, name in found if wanted.get(row_id) == name]


def absent_files(folder):
    suspects = {}
    for model, column, row_id, name in _references():
        if not _present(folder, name):
            suspects.setdefault((model, column), []).append((row_id, name))
    for (model, column), rows in suspects.items():
        for start in range(0, len(rows), CHUNK):
            for row_id, name in _still_referenced(model, column, rows[start:start + CHUNK]):
                if _present(folder, name):
                    continue  # written meanwhile
                table = model._meta.table_name
                yield Violation("fichier-absent", {table: (row_id,)},
                                _("%(table)s %(id)s : le fichier « %(name)s » (colonne "
                                  "%(column)s) est absent du dossier des fichiers déposés.",
                                  table=table, id=row_id, name=name, column=column))


def _referenced(names):
    """The names among `names` a row refers to. Plain SQL: peewee would convert each
    of the names in Python first, most of the time of this check on a large folder."""
    used = set()
    placeholders = ", ".join([database.param] * len(names))
    for model, column in STORED_FILE_COLUMNS:
        name = getattr(model, column).column_name
        cursor = database.execute_sql(
            f'SELECT "{name}" FROM "{model._meta.table_name}" WHERE "{name}" IN '
            f'({placeholders})', names)
        used.update(row[0] for row in cursor)
    return used


def _old_stored_files(folder, older_than):
    """Names storage makes, of regular files last written before `older_than`, by chunks."""
    if not os.path.isdir(folder):
        return
    limit = older_than.timestamp()
    chunk = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not STORED_NAME.match(entry.name):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # removed meanwhile
            if stat.S_ISREG(info.st_mode) and info.st_mtime < limit:
                chunk.append(entry.name)
                if len(chunk) == CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def orphan_files(folder, older_than):
    for names in _old_stored_files(folder, older_than):
        # A .part is a write in progress or one that died: no row ever refers to it.
        used = _referenced([name for name in names if not name.endswith(".part")] or [""])
        for name in sorted(names):
            if name in used or not os.path.exists(os.path.join(folder, name)):
                continue
            yield Violation("fichier-orphelin", {"fichier": (name,)},
                            _("le fichier « %(name)s » du dossier des fichiers déposés n'est "
                              "référencé par aucune ligne.", name=name))
