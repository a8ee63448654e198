"""The console's actions on candidatures (issue 8 §4): which form each one shows,
which workflow function it calls, who is offered it, and how the audit trail of
the "Ouvrir" page names what was done.

Who may do what is the workflow's rules table (ecandidat.workflow.rules): the
pages only use it to hide what a user may not use (`offered`; "Ouvrir" shows the
buttons of the actions `workflow.refusals_by_action` allows now), and
the workflow refuses again on the server whatever was posted."""
import dataclasses
import datetime
import json

from flask_babel import format_date, format_datetime, gettext as _, lazy_gettext as _l, ngettext

from ecandidat import codes, workflow
from ecandidat.models import Candidature, MotivationAvis
from ecandidat.workflow import commission, decision
from ecandidat.workflow.rules import PRESIDENT
from forms import console_actions as forms
from views.admin.labels import LABELS


@dataclasses.dataclass(frozen=True)
class Action:
    """One console action: `rules` are its keys in the rules table (any of them
    allowed offers the action), `run(actor, candidatures, form)` calls the workflow,
    `done(n)` is the success message. `irreversible` asks for a confirmation even
    on one candidature (a selection always asks)."""
    slug: str
    label: object
    form: type
    rules: tuple
    run: object
    done: object
    irreversible: bool = False
    help: object = None
    report: object = None  # report(what run returned) -> more messages to show


def _statut(actor, selection, form):
    commission.changer_statut(actor, selection, form.statut.data, date=form.date.data)


def _avis(actor, selection, form):
    commission.saisir_avis(
        actor, selection, form.type_avis.data, motivation_id=form.motivation.data or None,
        rang=form.rang.data, commentaire=form.commentaire.data,
        preselection_date=form.preselection_date.data,
        preselection_heure=form.preselection_heure.data,
        preselection_lieu=form.preselection_lieu.data)


def _answer(answer):
    """Confirmation / Désistement candidature on a selection, all or nothing
    (ecandidat.workflow.decision.answer_selection); returns the candidatures promoted."""
    def run(actor, selection, form):
        motif = form.motif_text() if isinstance(form, forms.DesistementForm) else None
        return decision.answer_selection(answer, actor, selection, motif=motif)
    return run


def _promoted(candidatures):
    return [_("Promue depuis la liste complémentaire (avis favorable validé, mail envoyé) : "
              "%(numero)s %(nom)s %(prenom)s — %(formation)s.",
              numero=c.candidat.compte.numero_dossier,
              nom=c.candidat.nom_usuel or c.candidat.nom_patronymique,
              prenom=c.candidat.prenom, formation=c.formation.libelle)
            for c in candidatures or ()]


ACTIONS = {action.slug: action for action in (
    Action("type-traitement", _l("Type de traitement"), forms.TypeTraitementForm,
           tuple(f"type_traitement_{code}" for code in codes.TYPE_TRAITEMENT),
           lambda actor, selection, form: commission.changer_type_traitement(
               actor, selection, form.type_traitement.data),
           lambda n: ngettext("Type de traitement enregistré pour %(num)s candidature.",
                              "Type de traitement enregistré pour %(num)s candidatures.", n),
           help=_l("Accès contrôlé est validé aussitôt (mail au candidat) ; les autres types "
                   "attendent leur validation.")),
    Action("valider-type-traitement", _l("Valider le type de traitement"),
           forms.ValidationForm, ("valider_type_traitement",),
           lambda actor, selection, form: commission.valider_type_traitement(actor, selection),
           lambda n: ngettext("Type de traitement validé pour %(num)s candidature.",
                              "Type de traitement validé pour %(num)s candidatures.", n),
           irreversible=True,
           help=_l("Le candidat reçoit le mail de son type de traitement ; un accès direct "
                   "crée un avis favorable validé.")),
    Action("statut", _l("Statut du dossier"), forms.StatutForm,
           tuple(f"statut_{code}" for code in codes.STATUT_DOSSIER), _statut,
           lambda n: ngettext("Statut du dossier enregistré pour %(num)s candidature.",
                              "Statut du dossier enregistré pour %(num)s candidatures.", n),
           help=_l("Le candidat reçoit le mail du nouveau statut. Incomplet lui rend son "
                   "dossier pour le compléter et le transmettre à nouveau.")),
    Action("avis", _l("Saisir un avis"), forms.AvisForm, ("saisir_avis",), _avis,
           lambda n: ngettext("Avis saisi pour %(num)s candidature (non validé : le candidat "
                              "ne le voit pas encore).",
                              "Avis saisi pour %(num)s candidatures (non validés : les "
                              "candidats ne les voient pas encore).", n),
           help=_l("Chaque avis saisi s'ajoute à l'historique ; le dernier compte. Le "
                   "candidat ne le voit qu'une fois validé.")),
    Action("valider-avis", _l("Valider les avis"), forms.AvisValidationForm, ("valider_avis",),
           lambda actor, selection, form: commission.valider_avis(
               actor, selection, expected=form.avis.data or ""),
           lambda n: ngettext("Avis validé pour %(num)s candidature : le candidat le voit et "
                              "en reçoit le mail.",
                              "Avis validés pour %(num)s candidatures : les candidats les "
                              "voient et en reçoivent le mail.", n),
           irreversible=True,
           help=_l("Publication : le candidat voit le dernier avis sur sa candidature et "
                   "reçoit le mail de décision.")),
    Action("tags", _l("Tags"), forms.TagsForm, ("tags",),
           lambda actor, selection, form: commission.changer_tags(
               actor, selection, form.tags.data or []),
           lambda n: ngettext("Tags enregistrés pour %(num)s candidature.",
                              "Tags enregistrés pour %(num)s candidatures.", n)),
    Action("date-retour", _l("Date limite de retour"), forms.DateRetourForm, ("date_retour",),
           lambda actor, selection, form: commission.changer_date_retour(
               actor, selection, form.date.data),
           lambda n: ngettext("Date limite de retour enregistrée pour %(num)s candidature.",
                              "Date limite de retour enregistrée pour %(num)s candidatures.",
                              n)),
    Action("date-confirmation", _l("Date limite de confirmation"), forms.DateConfirmationForm,
           ("date_confirmation",),
           lambda actor, selection, form: commission.changer_date_confirmation(
               actor, selection, form.date.data),
           lambda n: ngettext(
               "Date limite de confirmation enregistrée pour %(num)s candidature.",
               "Date limite de confirmation enregistrée pour %(num)s candidatures.", n)),
    Action("confirmer", _l("Confirmation candidature"), forms.ValidationForm, ("confirmer",),
           _answer("confirmer"),
           lambda n: ngettext("Confirmation enregistrée pour %(num)s candidature.",
                              "Confirmation enregistrée pour %(num)s candidatures.", n),
           irreversible=True,
           help=_l("Au nom du candidat, à tout moment (même après la date limite de "
                   "confirmation) ; irréversible. Le candidat reçoit le mail de "
                   "confirmation.")),
    Action("desister", _l("Désistement candidature"), forms.DesistementForm, ("desister",),
           _answer("desister"),
           lambda n: ngettext("Désistement enregistré pour %(num)s candidature.",
                              "Désistement enregistré pour %(num)s candidatures.", n),
           irreversible=True, report=_promoted,
           help=_l("Au nom du candidat, à tout moment, même après une confirmation ; "
                   "irréversible. Le candidat et la commission reçoivent le mail de "
                   "désistement ; le premier de la liste complémentaire de la formation "
                   "reçoit un avis favorable.")),
)}


# --- Who is offered what ---------------------------------------------------------------------

def _role_allows(rule, scope, candidature=None):
    if scope.role in rule.roles:
        return True
    if PRESIDENT in rule.roles:
        if candidature is None:
            return bool(scope.presidences)
        return candidature.formation.commission_id in scope.presidences
    return False


def _rules(action):
    return [workflow.RULES[(key, workflow.USER)] for key in action.rules]


def offered(action, scope):
    """Whether the list offers `action` to this user at all (role, read-only)."""
    return not scope.read_only and any(_role_allows(rule, scope) for rule in _rules(action))


def access_refusal(action, actor, selection):
    """The workflow's refusal (French) when this user may not take `action` on one of
    the selected candidatures whatever their state (read-only, role), else None."""
    for candidature in selection:
        if actor.scope.read_only or not any(
                _role_allows(rule, actor.scope, candidature) for rule in _rules(action)):
            problems = workflow.refusals(action.rules[0], actor, candidature)
            return problems[0] if problems else _("Cette action ne vous est pas permise.")
    return None


# --- Form choices and defaults ---------------------------------------------------------------

def fill_form(action, form, selection, today, first_display):
    """The choices of the selection (tags and motivations of its centres) and, when
    the page is first shown, the current values of a single candidature."""
    centres = {c.formation.commission.centre_id for c in selection}
    single = selection[0] if len(selection) == 1 else None
    formations = {c.formation_id: c.formation for c in selection}
    if isinstance(form, forms.TagsForm):
        form.tags.choices = [(str(tag.id), tag.libelle) for tag in commission.tags_for(centres)]
        if first_display and single:
            form.tags.data = [str(tag.id) for tag in
                              commission.tags_of([single.id]).get(single.id, [])]
    elif isinstance(form, forms.AvisForm):
        motivations = MotivationAvis.select().where(
            MotivationAvis.actif,
            MotivationAvis.centre.is_null() | MotivationAvis.centre.in_(sorted(centres)))
        form.motivation.choices = [("", _("— Aucune —"))] + [
            (str(m.id), m.libelle) for m in motivations.order_by(MotivationAvis.libelle)]
        if first_display and len(formations) == 1:
            formation = next(iter(formations.values()))  # prefilled from the formation
            form.preselection_date.data = formation.preselection_date
            form.preselection_heure.data = formation.preselection_heure
            form.preselection_lieu.data = formation.preselection_lieu
    elif first_display and isinstance(form, forms.AvisValidationForm):
        shown = workflow.last_avis_by_candidature([c.id for c in selection])
        form.avis.data = ",".join(str(avis.id) for avis in shown.values())
    elif first_display and isinstance(form, forms.StatutForm):
        form.date.data = today
    elif first_display and single and isinstance(form, forms.TypeTraitementForm):
        form.type_traitement.data = single.type_traitement
    elif first_display and single and isinstance(form, forms.DateRetourForm):
        form.date.data = single.date_retour_manuelle
    elif first_display and single and isinstance(form, forms.DateConfirmationForm):
        form.date.data = single.date_confirmation_manuelle


def show_errors(form, errors):
    """Put InvalidInput's {field: message} next to the form's fields; returns the
    messages that have no field on this form."""
    others = []
    for name, message in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(message)]
        else:
            others.append(str(message))
    return others


# --- The audit trail, readable -----------------------------------------------------------------

ACTION_LABELS = {
    "candidater": _l("Candidature créée"),
    "transmettre": _l("Transmission de la candidature"),
    "annuler": _l("Annulation de la candidature"),
    "deposer_piece": _l("Dépôt d'une pièce"),
    "non_concerne": _l("Pièce : non concerné"),
    "supprimer_piece": _l("Suppression d'une pièce"),
    "repondre": _l("Réponse à une question"),
    "valider_type_traitement": _l("Validation du type de traitement"),
    "statut_piece": _l("Statut d'une pièce"),
    "saisir_avis": _l("Saisie d'un avis"),
    "avis": _l("Avis saisi"),
    "valider_avis": _l("Validation de l'avis (publication)"),
    "tags": _l("Tags"),
    "date_retour": _l("Date limite de retour manuelle"),
    "date_confirmation": _l("Date limite de confirmation manuelle"),
    "confirmer": _l("Confirmation candidature"),
    "desister": _l("Désistement candidature"),
    "desister_auto": _l("Désistement automatique (date limite de confirmation dépassée)"),
    "promouvoir": _l("Promotion depuis la liste complémentaire"),
    "bloc_notes": _l("Bloc-notes"),
    "console_suppression": _l("Suppression depuis la console"),
}
FIELD_LABELS = {
    "statut": _l("Statut"), "type_traitement_valide": _l("Type de traitement validé"),
    "date_transmission": _l("Date de transmission"), "date_reception": _l("Date de réception"),
    "date_complet": _l("Date de complétude"), "date_incomplet": _l("Date d'incomplétude"),
    "date_annulation": _l("Date d'annulation"), "annulee_par": _l("Annulée par"),
    "date_modification_statut": _l("Date de modification du statut"),
    "confirmation": _l("Confirmation"), "date_confirmation": _l("Date de confirmation"),
    "confirmation_par": _l("Confirmée par"), "motif_desistement": _l("Motif du désistement"),
    "date_retour_manuelle": _l("Date limite de retour manuelle"),
    "date_confirmation_manuelle": _l("Date limite de confirmation manuelle"),
    "bloc_notes": _l("Bloc-notes"), "tags": _l("Tags"), "type_avis": _l("Type d'avis"),
    "motivation": _l("Motivation"), "rang": _l("Rang"), "commentaire": _l("Commentaire"),
    "preselection_date": _l("Date de présélection"),
    "preselection_heure": _l("Heure de présélection"),
    "preselection_lieu": _l("Lieu de présélection"), "valide": _l("Validé"),
    "fichier": _l("Fichier"), "nom_original": _l("Nom du fichier"), "type_mime": _l("Type"),
    "taille": _l("Taille"), "reponse": _l("Réponse"), "piece": _l("Pièce"),
}
CANDIDATURE_TABLE = Candidature._meta.table_name


def action_label(code):
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    prefix, _sep, value = code.rpartition("_")
    if prefix == "statut" and value in codes.STATUT_DOSSIER:
        return _("Statut du dossier : %(statut)s", statut=codes.STATUT_DOSSIER.label(value))
    if prefix == "type_traitement" and value in codes.TYPE_TRAITEMENT:
        return _("Type de traitement : %(type)s", type=codes.TYPE_TRAITEMENT.label(value))
    return code


def _value(table, key, value):
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    coded = {"type_traitement": codes.TYPE_TRAITEMENT, "type_avis": codes.TYPE_AVIS,
             "confirmation": codes.CONFIRMATION,
             # a piece's or an answer's statut (AT, TR, VA, RE, NC), else the dossier's
             "statut": codes.STATUT_DOSSIER if table == CANDIDATURE_TABLE
             else codes.STATUT_PIECE}
    if key in coded:
        return str(coded[key].label(value))
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return format_date(datetime.date.fromisoformat(value), "dd/MM/yyyy")
            return format_datetime(datetime.datetime.fromisoformat(value), "dd/MM/yyyy HH:mm")
        except ValueError:
            pass
    return str(value)


def readable_changes(row):
    """[(field label, before, after)] of an audit row, only the fields that changed."""
    before = json.loads(row.before) if row.before else {}
    after = json.loads(row.after) if row.after else {}
    changes = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new or (old in (None, "", []) and new in (None, "", [])):
            continue
        changes.append((FIELD_LABELS.get(key) or LABELS.get(key) or key,
                        _value(row.table, key, old), _value(row.table, key, new)))
    return changes
