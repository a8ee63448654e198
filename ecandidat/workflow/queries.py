"""What a candidature is asked and has provided, its published avis, its deadlines."""
import datetime

from flask import current_app
from peewee import JOIN, fn

from ecandidat import clock
from ecandidat.db import PreparedSelect
from ecandidat.models import (Avis, Candidature, Formation, PieceCandidat, PieceJustificative,
                              Question, ReponseQuestion)


def _scope_filter(model, formation):
    """Items asked of every formation, of the formation's centre, or of the formation."""
    centre_id = formation.commission.centre_id
    return (model.actif
            & ((model.centre.is_null() & model.formation.is_null())
               | (model.centre == centre_id) | (model.formation == formation.id)))


def pieces_asked(formation):
    """The active pièces justificatives of a formation, in display order."""
    query = PieceJustificative.select().where(
        _scope_filter(PieceJustificative, formation)
        & (PieceJustificative.type_traitement.is_null()
           | (PieceJustificative.type_traitement == formation.type_traitement)))
    return list(query.order_by(PieceJustificative.ordre, PieceJustificative.id))


def questions_asked(formation):
    query = Question.select().where(_scope_filter(Question, formation))
    return list(query.order_by(Question.ordre, Question.id))


# Statuts du dossier in which a candidature is with the commission, as sent (IN gives it
# back to the candidate).
WITH_COMMISSION = frozenset({"RE", "CO"})


def is_with_commission(candidature):
    return candidature.statut in WITH_COMMISSION


def piece_rows(candidature):
    """[(PieceJustificative, PieceCandidat or None)] for a candidature, in order.

    A piece is answered by the candidature's own row. A shared piece (partagee)
    is answered once per candidate (candidature NULL) for all their candidatures,
    unless the candidature has its own row for it: the copy made when it was
    transmitted (see `content.freeze_shared_pieces`), which then wins.

    Once with the commission, a dematerialised candidature shows exactly what it
    was sent with — its own rows — whatever the catalogue has become since (a
    piece deactivated, moved to another formation, added): what a commission
    received never changes. Before, the pieces are those asked today."""
    provided = (PieceCandidat.select(PieceCandidat, PieceJustificative)
                .join(PieceJustificative)
                .where((PieceCandidat.candidature == candidature.id)
                       | ((PieceCandidat.candidat == candidature.candidat_id)
                          & PieceCandidat.candidature.is_null())))
    own, shared = {}, {}
    for row in provided:
        (shared if row.candidature_id is None else own)[row.piece_id] = row
    if is_with_commission(candidature) and candidature.formation.demat:
        return [(row.piece, row) for row in _in_display_order_rows(own.values())]
    pieces = pieces_asked(candidature.formation)
    return [(piece, own.get(piece.id) or (shared.get(piece.id) if piece.partagee else None))
            for piece in pieces]


def _in_display_order_rows(rows):
    return sorted(rows, key=lambda row: (row.piece.ordre, row.piece.id))


def question_rows(candidature):
    """[(Question, ReponseQuestion or None)] for a candidature, in order.

    Once with the commission, the questions it was sent with: those answered,
    whatever the catalogue has become since; before, those asked today."""
    answers = {a.question_id: a for a in
               ReponseQuestion.select(ReponseQuestion, Question).join(Question)
               .where(ReponseQuestion.candidature == candidature.id)}
    if is_with_commission(candidature):
        return [(answer.question, answer) for answer in
                sorted(answers.values(), key=lambda a: (a.question.ordre, a.question.id))]
    return [(q, answers.get(q.id)) for q in questions_asked(candidature.formation)]


def last_avis_by_candidature(candidature_ids, published_only=False):
    """{candidature id: its last avis} in one query; only validated ones when
    `published_only` (candidates see no other)."""
    latest = {}
    if candidature_ids:
        query = Avis.select().where(Avis.candidature.in_(list(candidature_ids)))
        if published_only:
            query = query.where(Avis.valide)
        for avis in query.order_by(Avis.id):
            latest[avis.candidature_id] = avis
    return latest


def last_avis(candidature):
    """The candidature's last avis (validated or not), or None."""
    return (Avis.select().where(Avis.candidature == candidature.id)
            .order_by(Avis.id.desc()).first())


def has_validated_avis(candidature):
    return Avis.select().where(Avis.candidature == candidature.id, Avis.valide).exists()


def published_avis_by_candidature(candidatures):
    """{candidature id: its last validated avis} in one query."""
    return last_avis_by_candidature([c.id for c in candidatures], published_only=True)


def published_avis(candidature):
    return published_avis_by_candidature([candidature]).get(candidature.id)


# The candidate's Candidatures list, on every display: one query, prepared once
# (ecandidat.db.PreparedSelect). Newest first, each with its formation and its last
# published avis (the one the candidate sees: validated, highest id). Only the columns
# the list shows and its deadlines read (date_retour, date_confirmation): turning a
# whole candidature and formation (seventy columns) into objects was half the page.
LIST_COLUMNS = (
    Candidature.id, Candidature.formation, Candidature.statut, Candidature.confirmation,
    Candidature.date_confirmation, Candidature.date_retour_manuelle,
    Candidature.date_confirmation_manuelle,
    Formation.id, Formation.libelle, Formation.date_retour, Formation.delai_confirmation,
    Formation.date_confirmation,
    Avis.id, Avis.candidature, Avis.type_avis, Avis.valide_le)
PUBLISHED_AVIS = "published_avis"


def _candidatures_list(candidat_id):
    published = Avis.alias()
    last_published = (published.select(fn.MAX(published.id))
                      .where(published.candidature == Candidature.id, published.valide))
    return (Candidature.select(*LIST_COLUMNS)
            .join(Formation).switch(Candidature)
            .join(Avis, JOIN.LEFT_OUTER, on=(Avis.id == last_published), attr=PUBLISHED_AVIS)
            .where(Candidature.candidat == candidat_id, Candidature.date_annulation.is_null())
            .order_by(Candidature.created_at.desc(), Candidature.id.desc()))


CANDIDATURES_LIST = PreparedSelect(_candidatures_list)


def candidatures_page(candidat):
    """(the candidate's live candidatures with their formation, newest first,
    {candidature id: its last published avis}) in one prepared query: rows to show,
    holding only LIST_COLUMNS."""
    candidatures = list(CANDIDATURES_LIST.rows(candidat.id))
    latest = {candidature.id: getattr(candidature, PUBLISHED_AVIS)
              for candidature in candidatures if getattr(candidature, PUBLISHED_AVIS)}
    return candidatures, latest


def rang_shown(avis):
    """The rank on the liste complémentaire the candidate sees (LC_RANG_AFFICHAGE):
    none ("aucun"), the rang the commission entered ("saisi") or their place in the
    queue as the workflow last computed it ("reel": ecandidat.workflow.decision)."""
    if avis is None or avis.type_avis != "LC":
        return None
    mode = current_app.config.get("LC_RANG_AFFICHAGE", "saisi")
    if mode == "saisi":
        return avis.rang
    if mode == "reel":
        return avis.rang_reel
    return None


def live_candidatures(candidat):
    return Candidature.select().where(Candidature.candidat == candidat.id,
                                      Candidature.date_annulation.is_null())


def has_avis(candidature):
    return Avis.select().where(Avis.candidature == candidature.id).exists()


# --- Deadlines: computed here only (pages, PDFs, mails and checks read them) ----------

def date_retour(candidature):
    """The return deadline: a manual extension wins over the formation's date."""
    return candidature.date_retour_manuelle or candidature.formation.date_retour


def date_confirmation(candidature, avis=None):
    """The confirmation deadline, or None while it is unknown: the manual date; else,
    when the formation gives a délai, that many days after the day (in the
    institution's zone) the avis was validated — `avis` or the published one; else
    the formation's date de confirmation."""
    if candidature.date_confirmation_manuelle:
        return candidature.date_confirmation_manuelle
    formation = candidature.formation
    if formation.delai_confirmation:
        avis = avis or published_avis(candidature)
        if avis is None or avis.valide_le is None:
            return None
        return clock.local(avis.valide_le).date() + datetime.timedelta(
            days=formation.delai_confirmation)
    return formation.date_confirmation
