"""Every state change of a candidature: checks, one transaction, audit row, mails.

This is the only code that writes a candidature's statuses. Views (candidate
pages and console) call these functions and show the WorkflowError messages."""

from flask_babel import format_date, lazy_gettext as _l
from peewee import IntegrityError

from ecandidat import clock, storage
from ecandidat.audit import record, snapshot
from ecandidat.db import database
from ecandidat.mail import queue_mail
from ecandidat.models import (Avis, Candidature, Commission, Formation, PieceCandidat,
                              PieceJustificative, Question, ReponseQuestion)
from ecandidat.profile import completeness


class WorkflowError(ValueError):
    """A refused action; `message` is French, `link` an optional (endpoint, kwargs) to fix it."""

    def __init__(self, message, link=None, link_label=None):
        super().__init__(str(message))
        self.message = message
        self.link = link
        self.link_label = link_label


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


def piece_rows(candidature):
    """[(PieceJustificative, PieceCandidat or None)] for a candidature, in order.

    A shared piece (partagee) is answered once per candidate (candidature NULL)."""
    pieces = pieces_asked(candidature.formation)
    provided = PieceCandidat.select().where(
        (PieceCandidat.candidature == candidature.id)
        | ((PieceCandidat.candidat == candidature.candidat_id)
           & PieceCandidat.candidature.is_null()))
    by_piece = {}
    for row in provided:
        piece = next((p for p in pieces if p.id == row.piece_id), None)
        if piece is not None and (row.candidature_id is None) == piece.partagee:
            by_piece[row.piece_id] = row
    return [(piece, by_piece.get(piece.id)) for piece in pieces]


def question_rows(candidature):
    """[(Question, ReponseQuestion or None)] for a candidature, in order."""
    questions = questions_asked(candidature.formation)
    answers = {a.question_id: a for a in
               ReponseQuestion.select().where(ReponseQuestion.candidature == candidature.id)}
    return [(q, answers.get(q.id)) for q in questions]


# --- helpers -----------------------------------------------------------------

def published_avis_by_candidature(candidatures):
    """{candidature id: its last validated avis} in one query (candidates see no other)."""
    ids = [c.id for c in candidatures]
    latest = {}
    if ids:
        for avis in (Avis.select().where(Avis.candidature.in_(ids), Avis.valide)
                     .order_by(Avis.id)):
            latest[avis.candidature_id] = avis
    return latest


def published_avis(candidature):
    return published_avis_by_candidature([candidature]).get(candidature.id)


def candidat_actor(candidat):
    return f"candidat:{candidat.compte.numero_dossier}"


def date_retour(candidature):
    """The return deadline: a manual extension wins over the formation's date."""
    return candidature.date_retour_manuelle or candidature.formation.date_retour


def live_candidatures(candidat):
    return Candidature.select().where(Candidature.candidat == candidat.id,
                                      Candidature.date_annulation.is_null())


def has_avis(candidature):
    return Avis.select().where(Avis.candidature == candidature.id).exists()


def _candidate_vars(candidature, **extra):
    candidat = candidature.candidat
    formation = candidature.formation
    return dict(nom=candidat.nom_usuel or candidat.nom_patronymique, prenom=candidat.prenom,
                numero_dossier=candidat.compte.numero_dossier, formation=formation.libelle,
                candidat=f"{candidat.prenom} {candidat.nom_usuel or candidat.nom_patronymique}",
                date_retour=format_date(date_retour(candidature), "d MMMM yyyy"), **extra)


def _mail_candidate(code, candidature, **extra):
    queue_mail(code, candidature.candidat.compte.email, _candidate_vars(candidature, **extra))


def _alert_commission(code, flag, candidature):
    """Alert the commission when it asked for this kind of alert."""
    commission = candidature.formation.commission
    to = commission.mail_alerte or commission.mail
    if getattr(commission, flag) and to:
        queue_mail(code, to, _candidate_vars(candidature))


STATUT_FIELDS = ("statut", "date_transmission", "date_reception", "date_annulation",
                 "annulee_par", "type_traitement", "type_traitement_valide")


# --- candidater ----------------------------------------------------------------

# The sections of the file needed to apply, with the screen that fills each.
REQUIRED_SECTIONS = {
    "infos_perso": (_l("Informations perso."), "profile.infos_perso"),
    "adresse": (_l("Adresse"), "profile.adresse"),
    "bac": (_l("Baccalauréat"), "profile.bac"),
}


def check_can_apply(candidat, formation, today=None):
    """Raise WorkflowError with the first unmet precondition of SPEC §4.3."""
    today = today or clock.today()
    missing = completeness(candidat).missing
    if missing:
        label, endpoint = REQUIRED_SECTIONS[missing[0]]
        raise WorkflowError(
            _l("Votre dossier est incomplet : complétez la rubrique « %(rubrique)s » avant de "
               "candidater.", rubrique=label), link=(endpoint, {}), link_label=label)
    if not formation.is_open(today):
        raise WorkflowError(_l(
            "Les candidatures pour cette formation sont fermées (du %(debut)s au %(fin)s).",
            debut=format_date(formation.date_debut_depot, "dd/MM/yyyy"),
            fin=format_date(formation.date_fin_depot, "dd/MM/yyyy")))
    if live_candidatures(candidat).where(Candidature.formation == formation.id).exists():
        raise WorkflowError(_l("Vous avez déjà candidaté à cette formation."))
    centre = formation.commission.centre
    if centre.nb_max_voeux:
        count = (live_candidatures(candidat).join(Formation).join(Commission)
                 .where(Commission.centre == centre.id).count())
        if count >= centre.nb_max_voeux:
            raise WorkflowError(_l(
                "Vous avez atteint le nombre maximum de %(n)s candidatures pour le centre "
                "« %(centre)s ».", n=centre.nb_max_voeux, centre=centre.libelle))


def candidater(candidat, formation, today=None):
    """Create a candidature (statut AT) and queue the CANDIDATURE mail."""
    check_can_apply(candidat, formation, today)
    accepted_at_once = formation.type_traitement == "AC"
    try:
        with database.atomic():
            candidature = Candidature.create(
                candidat=candidat, formation=formation, statut="AT",
                type_traitement="AC" if accepted_at_once else "AT",
                type_traitement_valide=accepted_at_once)
            record(candidat_actor(candidat), "candidater", candidature,
                   None, snapshot(candidature, STATUT_FIELDS))
            _mail_candidate("CANDIDATURE", candidature)
    except IntegrityError:
        # Two submissions at once: the partial unique index kept only one.
        raise WorkflowError(_l("Vous avez déjà candidaté à cette formation.")) from None
    return candidature


# --- pièces justificatives ---------------------------------------------------------

def check_editable(candidature, today=None):
    """The candidate may still change the candidature's content (pieces, answers)."""
    today = today or clock.today()
    if candidature.date_annulation is not None:
        raise WorkflowError(_l("Cette candidature est annulée."))
    if candidature.statut not in ("AT", "IN"):
        raise WorkflowError(_l("Votre candidature a été transmise : elle ne peut plus être "
                               "modifiée."))
    if today > date_retour(candidature):
        raise WorkflowError(_l("La date limite de retour (%(date)s) est dépassée.",
                               date=format_date(date_retour(candidature), "dd/MM/yyyy")))


def check_pieces_editable(candidature, today=None):
    if not candidature.formation.demat:
        raise WorkflowError(_l("Cette formation se candidate par dossier papier : les pièces ne "
                               "se déposent pas en ligne."))
    check_editable(candidature, today)


def _piece_row(candidature, piece):
    for asked, row in piece_rows(candidature):
        if asked.id == piece.id:
            return row
    raise WorkflowError(_l("Cette pièce n'est pas demandée pour cette candidature."))


def _editable_row(candidature, piece, today):
    check_pieces_editable(candidature, today)
    row = _piece_row(candidature, piece)
    if row is not None and row.statut == "VA":
        raise WorkflowError(_l("Cette pièce a été validée par la commission : elle ne peut plus "
                               "être modifiée."))
    return row


def _new_row(candidature, piece):
    return PieceCandidat(candidat=candidature.candidat_id, piece=piece,
                         candidature=None if piece.partagee else candidature.id)


def deposer_piece(candidature, piece, data, original_name, today=None):
    """Store an uploaded file for a piece (statut TR), replacing any earlier one.

    The file is written first; if the row does not commit, the file is removed,
    and the replaced file is removed only once the new row is committed."""
    row = _editable_row(candidature, piece, today)
    try:
        name, mime, size = storage.save_upload(data)
    except storage.UploadError as error:
        raise WorkflowError(error.message) from None
    row = row or _new_row(candidature, piece)
    before = snapshot(row, ("statut", "nom_original")) if row.id else None
    replaced = row.fichier
    try:
        with database.atomic():
            row.fichier, row.nom_original = name, storage.safe_download_name(original_name)
            row.type_mime, row.taille, row.statut = mime, size, "TR"
            row.updated_at = clock.now()
            row.save()
            record(candidat_actor(candidature.candidat), "deposer_piece", row, before,
                   snapshot(row, ("statut", "nom_original")))
    except Exception:
        storage.delete_stored(name)
        raise
    storage.delete_stored(replaced)
    return row


def declarer_non_concerne(candidature, piece, today=None):
    """"Non concerné par cette pièce" for a conditional piece (statut NC)."""
    if not piece.conditionnelle:
        raise WorkflowError(_l("Cette pièce est obligatoire."))
    row = _editable_row(candidature, piece, today) or _new_row(candidature, piece)
    before = snapshot(row, ("statut", "nom_original")) if row.id else None
    replaced = row.fichier
    with database.atomic():
        row.fichier = row.nom_original = row.type_mime = row.taille = None
        row.statut, row.updated_at = "NC", clock.now()
        row.save()
        record(candidat_actor(candidature.candidat), "non_concerne", row, before,
               snapshot(row, ("statut", "nom_original")))
    storage.delete_stored(replaced)
    return row


def supprimer_piece(candidature, piece, today=None):
    """Remove the file (or the "non concerné" answer): the piece is back to AT."""
    row = _editable_row(candidature, piece, today)
    if row is None:
        raise WorkflowError(_l("Aucun fichier à supprimer pour cette pièce."))
    stored = row.fichier
    with database.atomic():
        record(candidat_actor(candidature.candidat), "supprimer_piece", row,
               snapshot(row, ("statut", "nom_original")), None)
        row.delete_instance()
    storage.delete_stored(stored)


# --- questions -----------------------------------------------------------------

def repondre(candidature, question, reponse, today=None):
    """Save an answer to a complementary question at once (statut TR)."""
    check_editable(candidature, today)
    if question.id not in {q.id for q, _ in question_rows(candidature)}:
        raise WorkflowError(_l("Cette question n'est pas posée pour cette candidature."))
    reponse = (reponse or "").strip()
    if question.type == "B" and reponse not in ("oui", "non", ""):
        raise WorkflowError(_l("Répondez par oui ou par non."))
    if question.type == "C" and reponse and reponse not in question.options():
        raise WorkflowError(_l("Choisissez une des réponses proposées."))
    if len(reponse) > 5000:
        raise WorkflowError(_l("La réponse ne doit pas dépasser 5000 caractères."))
    with database.atomic():
        answer, _ = ReponseQuestion.get_or_create(candidature=candidature, question=question)
        before = snapshot(answer, ("reponse", "statut"))
        answer.reponse = reponse or None
        answer.statut = "TR" if reponse else "AT"
        answer.updated_at = clock.now()
        answer.save()
        record(candidat_actor(candidature.candidat), "repondre", answer, before,
               snapshot(answer, ("reponse", "statut")))
    return answer


# --- transmettre, annuler --------------------------------------------------------

def transmission_problems(candidature, today=None):
    """What still prevents "Transmettre ma candidature" (empty list when allowed)."""
    today = today or clock.today()
    if candidature.date_annulation is not None:
        return [_l("Cette candidature est annulée.")]
    if not candidature.formation.demat:
        return [_l("Cette formation se candidate par dossier papier : téléchargez votre dossier "
                   "et envoyez-le par courrier.")]
    if candidature.statut not in ("AT", "IN"):
        return [_l("Votre candidature a déjà été transmise.")]
    if today > date_retour(candidature):
        return [_l("La date limite de retour (%(date)s) est dépassée.",
                   date=format_date(date_retour(candidature), "dd/MM/yyyy"))]
    problems = []
    for piece, row in piece_rows(candidature):
        if row is None or row.statut not in ("TR", "VA", "NC"):
            problems.append(_l("Pièce manquante : %(piece)s.", piece=piece.libelle))
    for question, answer in question_rows(candidature):
        if question.obligatoire and (answer is None or answer.statut == "AT"):
            problems.append(_l("Question sans réponse : %(question)s", question=question.libelle))
    return problems


def transmettre(candidature, today=None):
    """AT or IN → RE once everything is provided; mails STATUT_RE and the commission alert."""
    problems = transmission_problems(candidature, today)
    if problems:
        raise WorkflowError(problems[0])
    now = clock.now()
    with database.atomic():
        before = snapshot(candidature, STATUT_FIELDS)
        candidature.statut = "RE"
        candidature.date_transmission = candidature.date_reception = now
        candidature.date_modification_statut = now
        candidature.save()
        record(candidat_actor(candidature.candidat), "transmettre", candidature, before,
               snapshot(candidature, STATUT_FIELDS))
        _mail_candidate("STATUT_RE", candidature)
        _alert_commission("COMMISSION_ALERT_TRANSMISSION", "alerte_transmission", candidature)
    return candidature


def cancel_problems(candidature):
    if candidature.date_annulation is not None:
        return [_l("Cette candidature est déjà annulée.")]
    if candidature.statut != "AT":
        return [_l("Une candidature transmise ne peut plus être annulée.")]
    if has_avis(candidature):
        return [_l("Un avis a été rendu sur cette candidature : elle ne peut plus être "
                   "annulée.")]
    return []


def annuler(candidature):
    """Cancel for good (AT and no avis): its own files are deleted, shared pieces kept."""
    problems = cancel_problems(candidature)
    if problems:
        raise WorkflowError(problems[0])
    own_rows = list(PieceCandidat.select().where(PieceCandidat.candidature == candidature.id))
    now = clock.now()
    actor = candidat_actor(candidature.candidat)
    with database.atomic():
        before = snapshot(candidature, STATUT_FIELDS)
        candidature.date_annulation = now
        candidature.annulee_par = actor
        candidature.save()
        PieceCandidat.delete().where(PieceCandidat.candidature == candidature.id).execute()
        record(actor, "annuler", candidature, before, snapshot(candidature, STATUT_FIELDS))
        _mail_candidate("CANDIDATURE_ANNULATION", candidature)
        _alert_commission("COMMISSION_ALERT_ANNULATION", "alerte_annulation", candidature)
    for row in own_rows:
        storage.delete_stored(row.fichier)
    return candidature
