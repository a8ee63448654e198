"""Candidatures of the signed-in candidate: apply, pieces, questions, transmit, cancel,
download. Every id in a URL is loaded through the candidate's own rows (else 404)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from ecandidat import clock, codes, dossiers, storage, workflow
from ecandidat.models import Candidature, Formation, PieceJustificative, Question
from ecandidat.text import drop_control_characters
from ecandidat.workflow.commission import InvalidInput
from ecandidat.workflow.queries import rang_shown
from views.helpers import candidate_required, current_candidat
from views.files import send_private_bytes, send_private_file

bp = Blueprint("candidatures", __name__, url_prefix="/candidatures")
# A dossier being prepared (ecandidat.dossiers.NotReady): its page asks again after this.
RETRY_SECONDS = 15


def own_candidature(candidature_id):
    """The signed-in candidate's live candidature with this id, or 404."""
    candidature = (Candidature.select(Candidature, Formation)
                   .join(Formation)
                   .where(Candidature.id == candidature_id,
                          Candidature.candidat == current_candidat().id,
                          Candidature.date_annulation.is_null())
                   .first())
    if candidature is None:
        abort(404)
    return candidature


def asked_piece(candidature, piece_id):
    for piece, row in workflow.piece_rows(candidature):
        if piece.id == piece_id:
            return piece, row
    abort(404)


def candidate_actor():
    """The signed-in candidate, as the workflow's actor."""
    return workflow.Actor.candidat(current_candidat())


def flash_refusal(error):
    flash(str(error.message), "error")




@bp.route("/")
@candidate_required
def liste():
    candidatures, decisions = workflow.candidatures_page(current_candidat())
    return render_template("candidatures/liste.html", candidatures=candidatures,
                           decisions=decisions, codes=codes,
                           date_retour=workflow.date_retour,
                           date_confirmation=workflow.date_confirmation, today=clock.today())


@bp.route("/candidater/<int:formation_id>", methods=("POST",))
@candidate_required
def candidater(formation_id):
    formation = Formation.offered().where(Formation.id == formation_id).first()
    if formation is None:
        abort(404)
    try:
        candidat = current_candidat()
        candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)
    except workflow.WorkflowError as error:
        flash_refusal(error)
        if error.link:
            return redirect(url_for(error.link[0], **error.link[1]))
        return redirect(url_for("catalog.formation", formation_id=formation.id))
    flash(_("Votre candidature à « %(formation)s » est créée. Déposez vos pièces puis "
            "transmettez-la : un dossier non transmis ne constitue pas une candidature.",
            formation=formation.libelle), "success")
    return redirect(url_for(".detail", candidature_id=candidature.id))


@bp.route("/<int:candidature_id>")
@candidate_required
def detail(candidature_id):
    candidature = own_candidature(candidature_id)
    formation = candidature.formation
    avis = workflow.published_avis(candidature)
    return render_template(
        "candidatures/detail.html", candidature=candidature, formation=formation,
        commission=formation.commission, codes=codes,
        pieces=workflow.piece_rows(candidature), questions=workflow.question_rows(candidature),
        decision=codes.TYPE_AVIS.label(avis.type_avis) if avis else codes.AVIS_EN_ATTENTE,
        avis=avis, rang=rang_shown(avis),
        date_retour=workflow.date_retour(candidature),
        date_confirmation=workflow.date_confirmation(candidature, avis),
        refusals=workflow.refusals_by_action(candidate_actor(), candidature),
        transmission_ahead=workflow.in_reach("transmettre", workflow.CANDIDAT, candidature),
        max_upload_mb=storage.max_bytes() // (1024 * 1024))


def _back_to_pieces(candidature):
    return redirect(url_for(".detail", candidature_id=candidature.id) + "#pieces")


@bp.route("/<int:candidature_id>/pieces/<int:piece_id>/deposer", methods=("POST",))
@candidate_required
def deposer(candidature_id, piece_id):
    candidature = own_candidature(candidature_id)
    piece, _row = asked_piece(candidature, piece_id)
    upload = request.files.get("fichier")
    if upload is None or not upload.filename:
        flash(_("Choisissez un fichier à déposer."), "error")
        return _back_to_pieces(candidature)
    try:
        workflow.deposer_piece(candidate_actor(), candidature, piece,
                               storage.read_upload(upload), upload.filename)
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("La pièce « %(piece)s » est déposée.", piece=piece.libelle), "success")
    return _back_to_pieces(candidature)


@bp.route("/<int:candidature_id>/pieces/<int:piece_id>/non-concerne", methods=("POST",))
@candidate_required
def non_concerne(candidature_id, piece_id):
    candidature = own_candidature(candidature_id)
    piece, _row = asked_piece(candidature, piece_id)
    try:
        workflow.declarer_non_concerne(candidate_actor(), candidature, piece)
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("Vous êtes déclaré non concerné par la pièce « %(piece)s ».",
                piece=piece.libelle), "success")
    return _back_to_pieces(candidature)


@bp.route("/<int:candidature_id>/pieces/<int:piece_id>/supprimer", methods=("POST",))
@candidate_required
def supprimer(candidature_id, piece_id):
    candidature = own_candidature(candidature_id)
    piece, _row = asked_piece(candidature, piece_id)
    try:
        workflow.supprimer_piece(candidate_actor(), candidature, piece)
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("La pièce « %(piece)s » est supprimée.", piece=piece.libelle), "success")
    return _back_to_pieces(candidature)


@bp.route("/<int:candidature_id>/pieces/<int:piece_id>/fichier")
@candidate_required
def fichier(candidature_id, piece_id):
    candidature = own_candidature(candidature_id)
    _piece, row = asked_piece(candidature, piece_id)
    if row is None or not row.fichier:
        abort(404)
    return send_private_file(row.fichier, row.nom_original, row.type_mime)


@bp.route("/modele/<int:piece_id>")
@candidate_required
def modele(piece_id):
    piece = PieceJustificative.get_or_none(PieceJustificative.id == piece_id,
                                           PieceJustificative.actif)
    if piece is None or not piece.fichier_modele:
        abort(404)
    return send_private_file(piece.fichier_modele, piece.fichier_modele_nom, None)


@bp.route("/<int:candidature_id>/questions/<int:question_id>", methods=("POST",))
@candidate_required
def repondre(candidature_id, question_id):
    candidature = own_candidature(candidature_id)
    question = Question.get_or_none(Question.id == question_id)
    if question is None:
        abort(404)
    try:
        workflow.repondre(candidate_actor(), candidature, question, request.form.get("reponse"))
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("Votre réponse est enregistrée."), "success")
    return redirect(url_for(".detail", candidature_id=candidature.id) + "#formulaires")


@bp.route("/<int:candidature_id>/dossier.pdf")
@candidate_required
def dossier(candidature_id):
    """Télécharger mon dossier: the file, the candidature and its pieces in one PDF —
    once transmitted, the stored file (ecandidat.dossiers); while it is being
    prepared, a page that tries again by itself (503, Retry-After)."""
    candidature = own_candidature(candidature_id)
    name = f"dossier-{current_candidat().compte.numero_dossier}-{candidature.formation.code}.pdf"
    try:
        document = dossiers.opened(candidature, language=str(get_locale()))
    except dossiers.NotReady:
        retry = RETRY_SECONDS
        page = render_template("candidatures/dossier_en_preparation.html",
                               candidature=candidature, retry=retry)
        return page, 503, {"Retry-After": str(retry), "Cache-Control": "no-store"}
    return send_private_bytes(document, name, "application/pdf")



@bp.route("/<int:candidature_id>/transmettre", methods=("GET", "POST"))
@candidate_required
def transmettre(candidature_id):
    candidature = own_candidature(candidature_id)
    actor = candidate_actor()
    if request.method == "GET":
        return render_template("candidatures/confirmer.html", candidature=candidature,
                               action="transmettre",
                               problems=workflow.refusals("transmettre", actor, candidature))
    try:
        workflow.transmettre(actor, candidature)
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("Votre candidature est transmise : son statut est « Réceptionné »."), "success")
    return redirect(url_for(".detail", candidature_id=candidature.id))


@bp.route("/<int:candidature_id>/annuler", methods=("GET", "POST"))
@candidate_required
def annuler(candidature_id):
    candidature = own_candidature(candidature_id)
    actor = candidate_actor()
    if request.method == "GET":
        return render_template("candidatures/confirmer.html", candidature=candidature,
                               action="annuler",
                               problems=workflow.refusals("annuler", actor, candidature))
    try:
        workflow.annuler(actor, candidature)
    except workflow.WorkflowError as error:
        flash_refusal(error)
        return redirect(url_for(".detail", candidature_id=candidature.id))
    flash(_("Votre candidature à « %(formation)s » est annulée.",
            formation=candidature.formation.libelle), "success")
    return redirect(url_for(".liste"))


# --- After the decision: Confirmation / Désistement (ecandidat.workflow.decision) ---------

def _answer_page(candidature, action, problems, motif="", errors=None):
    return render_template("candidatures/confirmer.html", candidature=candidature,
                           action=action, problems=problems, motif=motif, errors=errors or {},
                           date_confirmation=workflow.date_confirmation(candidature),
                           motif_max=workflow.decision.MOTIF_MAX)


@bp.route("/<int:candidature_id>/confirmer", methods=("GET", "POST"))
@candidate_required
def confirmer(candidature_id):
    """Confirmation candidature: asks first (irreversible), then confirms."""
    candidature = own_candidature(candidature_id)
    actor = candidate_actor()
    if request.method == "GET":
        return _answer_page(candidature, "confirmer",
                            workflow.refusals("confirmer", actor, candidature))
    try:
        workflow.decision.confirmer(actor, candidature)
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("Votre candidature à « %(formation)s » est confirmée.",
                formation=candidature.formation.libelle), "success")
    return redirect(url_for(".detail", candidature_id=candidature.id))


@bp.route("/<int:candidature_id>/desister", methods=("GET", "POST"))
@candidate_required
def desister(candidature_id):
    """Désistement candidature, with an optional reason: asks first (irreversible)."""
    candidature = own_candidature(candidature_id)
    actor = candidate_actor()
    if request.method == "GET":
        return _answer_page(candidature, "desister",
                            workflow.refusals("desister", actor, candidature))
    # A textarea sends its line breaks as CRLF: count them as one character, as typed.
    motif = (request.form.get("motif") or "").replace("\r\n", "\n")
    try:
        workflow.decision.desister(actor, candidature, motif=motif)
    except InvalidInput as error:
        problems = workflow.refusals("desister", actor, candidature)
        if problems:  # the reason does not matter when the désistement is refused anyway
            flash(str(problems[0]), "error")
            return redirect(url_for(".detail", candidature_id=candidature.id))
        # Shown again as typed, less the characters refused (never echoed into the page).
        return _answer_page(candidature, "desister", [], motif=drop_control_characters(motif),
                            errors={k: str(v) for k, v in error.errors.items()})
    except workflow.WorkflowError as error:
        flash_refusal(error)
    else:
        flash(_("Votre désistement de « %(formation)s » est enregistré.",
                formation=candidature.formation.libelle), "success")
    return redirect(url_for(".detail", candidature_id=candidature.id))


# --- Letters (ecandidat.letters) -------------------------------------------------------------

@bp.app_template_global("letter_kind")
def letter_kind_global(candidature):
    """In the pages (the candidature page, the console's "Ouvrir"): which letter the
    candidature has now ("admission", "refus" or None)."""
    from ecandidat import letters
    return letters.letter_kind(candidature)


@bp.route("/<int:candidature_id>/lettre.pdf")
@candidate_required
def lettre(candidature_id):
    """Télécharger lettre d'admission / de refus: the candidate's own live
    candidature only, and only while it has a letter (else 404)."""
    from ecandidat import letters
    candidature = own_candidature(candidature_id)
    try:
        name, data = letters.letter_download(candidature)
    except letters.NoLetter:
        abort(404)
    return send_private_bytes(data, name, "application/pdf")
