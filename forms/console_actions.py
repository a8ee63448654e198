"""Forms of the console's actions on candidatures (views.admin.candidatures).

Each form only reads what the person typed: what it must hold (a motivation for
a défavorable avis, a rang for the liste complémentaire, a comment for a refused
piece, a statut reachable from the current one…) is decided by the workflow
(ecandidat.workflow.commission), whose InvalidInput messages the view puts next
to these fields — the field names are the workflow's error keys. Choices are
filled by the view for each request (the selection's tags, motivations…) and
not checked here (the workflow refuses a value outside the list).

BaseForm: one CSRF token, checked by the form itself (views.form_view)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ecandidat import codes
from forms.base import BaseForm
from forms.profile import FrenchDateField, FrenchIntegerField

DATE_ERROR = _l("Saisissez une date valide.")
CONFIRM_MISSING = _l("Cochez cette case pour confirmer.")


def _blank_first(choices, blank):
    return [("", blank), *choices]


def date_field(label, description=None):
    return FrenchDateField(label, [Optional()], parse_error=DATE_ERROR, description=description)


class ActionForm(BaseForm):
    """What every action page posts: the selection (candidature ids, comma
    separated: resolved again in the user's scope on each request) and, for a
    selection or an irreversible action, a confirmation box the view requires
    (`needs_confirmation`)."""
    ids = HiddenField()
    confirmer = BooleanField(_l("Je confirme cette action sur les candidatures sélectionnées."))
    needs_confirmation = False

    def validate_confirmer(self, field):
        if self.needs_confirmation and not field.data:
            raise ValidationError(CONFIRM_MISSING)


class TypeTraitementForm(ActionForm):
    type_traitement = SelectField(
        _l("Type de traitement"), validate_choice=False,
        choices=_blank_first(codes.TYPE_TRAITEMENT.choices(), _l("— Choisissez —")))


class ValidationForm(ActionForm):
    """An action without input (valider le type de traitement, valider les avis)."""


class AvisValidationForm(ValidationForm):
    """Valider les avis: carries the ids of the avis shown, so that an avis entered
    meanwhile is not published unseen."""
    avis = HiddenField()


class StatutForm(ActionForm):
    statut = SelectField(
        _l("Statut du dossier"), validate_choice=False,
        choices=_blank_first(codes.STATUT_DOSSIER.choices(), _l("— Choisissez —")))
    date = date_field(_l("Date"), _l("Date de réception, de complétude ou d'incomplétude du "
                                     "dossier ; aujourd'hui si vide."))


class AvisForm(ActionForm):
    type_avis = SelectField(
        _l("Type d'avis"), validate_choice=False,
        choices=_blank_first(codes.TYPE_AVIS.choices(), _l("— Choisissez —")))
    motivation = SelectField(_l("Motivation"), validate_choice=False, choices=[],
                             description=_l("Obligatoire pour un avis défavorable."))
    rang = FrenchIntegerField(_l("Rang"), [Optional()],
                              description=_l("Obligatoire pour la liste complémentaire."))
    commentaire = TextAreaField(_l("Commentaire"), [Optional(), Length(max=4000, message=_l(
        "Le commentaire est trop long (4000 caractères au plus)."))])
    preselection_date = date_field(_l("Date de présélection"))
    preselection_heure = StringField(_l("Heure de présélection"), [Optional(), Length(
        max=10, message=_l("L'heure est trop longue (10 caractères au plus)."))])
    preselection_lieu = StringField(_l("Lieu de présélection"), [Optional(), Length(
        max=255, message=_l("Le lieu est trop long (255 caractères au plus)."))])


class TagsForm(ActionForm):
    tags = SelectMultipleField(_l("Tags"), validate_choice=False, choices=[],
                               description=_l("Les tags choisis remplacent ceux des "
                                              "candidatures sélectionnées."))


class DateRetourForm(ActionForm):
    date = date_field(_l("Date limite de retour"),
                      _l("Vide : la date limite de retour de la formation s'applique."))


class DateConfirmationForm(ActionForm):
    date = date_field(_l("Date limite de confirmation"),
                      _l("Vide : la date limite de confirmation de la formation s'applique."))


class DesistementForm(ActionForm):
    """Désistement candidature on the candidate's behalf: the reason is optional (its
    length is checked by the workflow: ecandidat.workflow.decision.clean_motif)."""
    motif = TextAreaField(_l("Motif du désistement (facultatif)"),
                          description=_l("500 caractères au plus. Il figure dans les exports "
                                         "et le tableau de bord."))

    def motif_text(self):
        """The reason as typed: a textarea's CRLF line breaks count as one character."""
        return (self.motif.data or "").replace("\r\n", "\n")


# --- On the "Ouvrir" page ----------------------------------------------------------------

class PieceStatutForm(BaseForm):
    """The statut of one piece of a received file (and the comment the candidate reads)."""
    statut = SelectField(_l("Statut de la pièce"), validate_choice=False, choices=_blank_first(
        [(code, codes.STATUT_PIECE.label(code)) for code in ("VA", "RE", "AT")],
        _l("— Choisissez —")))
    commentaire = TextAreaField(_l("Commentaire"), [Optional(), Length(max=2000, message=_l(
        "Le commentaire est trop long (2000 caractères au plus)."))],
        description=_l("Obligatoire pour une pièce refusée : le candidat le lit."))


class BlocNotesForm(BaseForm):
    bloc_notes = TextAreaField(_l("Bloc-notes"), [Optional(), Length(max=10000, message=_l(
        "Le bloc-notes est trop long (10000 caractères au plus)."))])
