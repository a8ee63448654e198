"""What a mail template may use: the variables each code receives, sample values,
and the check and preview the console runs before saving a template.

The variables are those the code passes to ``queue_mail``: ecandidat.accounts
(``_variables`` plus the link and its expiry) and ecandidat.workflow
(``_candidate_vars`` plus the extras of each decision). A template naming any
other variable would fail at send time (the sandbox is strict), so it is
refused when saved."""
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from jinja2 import meta
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from ecandidat.mail import MailTemplateError, render

# Parses only (rendering goes through ecandidat.mail.render, the sending path).
_parser = SandboxedEnvironment(autoescape=False)

ACCOUNT = ("nom", "prenom", "numero_dossier")
VALIDATION = ACCOUNT + ("lien_validation", "date_expiration")
CANDIDATURE = ACCOUNT + ("formation", "candidat", "date_retour")

VARIABLES = {
    "CPT_MIN_CREATE": VALIDATION,
    "CPT_MIN_LIEN_VALID_OUBLIE": VALIDATION,
    "CPT_MIN_MOD_MAIL": VALIDATION,
    "CPT_MIN_MDP_OUBLIE": ACCOUNT + ("lien_reinitialisation", "date_expiration"),
    "CPT_MIN_SUPPRESSION": ACCOUNT,
    "CANDIDATURE": CANDIDATURE,
    "CANDIDATURE_ANNULATION": CANDIDATURE,
    "CANDIDATURE_CONFIRM": CANDIDATURE + ("date_confirmation",),
    "CANDIDATURE_DESIST": CANDIDATURE + ("motif_desistement",),
    "CANDIDATURE_DESIST_AUTO": CANDIDATURE + ("date_confirmation",),
    "CANDIDATURE_RELANCE_FAVO": CANDIDATURE + ("date_confirmation",),
    "CANDIDATURE_RELANCE_TRANSMISSION": CANDIDATURE,
    "STATUT_AT": CANDIDATURE,
    "STATUT_RE": CANDIDATURE,
    "STATUT_IN": CANDIDATURE,
    "STATUT_CO": CANDIDATURE,
    "TYPE_TRAIT_AD": CANDIDATURE,
    "TYPE_TRAIT_AC": CANDIDATURE,
    "TYPE_TRAIT_ATT": CANDIDATURE,
    "AVIS_FAVORABLE": CANDIDATURE + ("date_confirmation", "commentaire"),
    "AVIS_DEFAVORABLE": CANDIDATURE + ("motivation", "commentaire"),
    "AVIS_LISTE_ATT": CANDIDATURE + ("commentaire",),
    "AVIS_LISTE_COMP": CANDIDATURE + ("rang", "commentaire"),
    "AVIS_PRESELECTION": CANDIDATURE + ("preselection_date", "preselection_heure",
                                        "preselection_lieu", "commentaire"),
    "COMMISSION_ALERT_TRANSMISSION": CANDIDATURE,
    "COMMISSION_ALERT_ANNULATION": CANDIDATURE,
    "COMMISSION_ALERT_DESISTEMENT": CANDIDATURE + ("motif_desistement",),
    "COMMISSION_ALERT_LISTE_PRINC": CANDIDATURE,
}

# What each variable holds, shown next to the template, and the value used in the preview.
DESCRIPTIONS = {
    "nom": (_l("nom du candidat"), "MARTIN"),
    "prenom": (_l("prénom du candidat"), "Camille"),
    "numero_dossier": (_l("numéro de dossier"), "A1B2C3D4"),
    "candidat": (_l("prénom et nom du candidat"), "Camille MARTIN"),
    "formation": (_l("libellé de la formation"), "M1 Administration Economique et Sociale"),
    "date_retour": (_l("date limite de retour du dossier"), "15 juin 2025"),
    "date_confirmation": (_l("date limite de confirmation"), "10 juillet 2025"),
    "date_expiration": (_l("fin de validité du lien"), "3 juin 2025 à 14:30"),
    "lien_validation": (_l("lien de validation du compte"),
                        "https://ecandidat.example.org/compte/valider/exemple"),
    "lien_reinitialisation": (_l("lien pour choisir un nouveau mot de passe"),
                              "https://ecandidat.example.org/compte/reinitialiser/exemple"),
    "commentaire": (_l("commentaire de la commission"), "Entretien concluant."),
    "motivation": (_l("motif de l'avis défavorable"), "Capacité d'accueil atteinte"),
    "rang": (_l("rang en liste complémentaire"), "3"),
    "motif_desistement": (_l("motif du désistement indiqué (facultatif)"),
                          "J'ai choisi une autre formation."),
    "preselection_date": (_l("date de l'épreuve de présélection"), "20 juin 2025"),
    "preselection_heure": (_l("heure de l'épreuve"), "09:30"),
    "preselection_lieu": (_l("lieu de l'épreuve"), "Bâtiment A1, salle 12"),
}


def variables_for(code):
    """The variables a template of `code` may use ([] for an unknown code)."""
    return list(VARIABLES.get(code, ()))


def samples_for(code):
    return {name: DESCRIPTIONS[name][1] for name in variables_for(code)}


def check(code, sujet, corps):
    """{field: [French messages]} for what would fail at send time (empty when valid):
    a Jinja syntax error, or a variable the code does not provide."""
    errors = {}
    allowed = set(variables_for(code))
    for field, text in (("sujet", sujet or ""), ("corps", corps or "")):
        try:
            used = meta.find_undeclared_variables(_parser.parse(text))
        except TemplateSyntaxError as error:
            errors[field] = [_("Erreur de syntaxe ligne %(ligne)s : %(detail)s. Les variables "
                               "s'écrivent {{ nom_de_variable }}.",
                               ligne=error.lineno, detail=(error.message or "").rstrip("."))]
            continue
        unknown = sorted(used - allowed)
        if unknown:
            errors[field] = [_("Variable inconnue pour ce modèle : %(noms)s. Variables "
                               "possibles : %(possibles)s.",
                               noms=", ".join(unknown),
                               possibles=", ".join(variables_for(code)) or _("aucune"))]
    if not errors:
        try:
            preview(code, sujet, corps)
        except MailTemplateError as error:
            errors["corps"] = [_("Ce modèle ne peut pas être rendu : %(detail)s",
                                 detail=str(error))]
    return errors


def has_english(sujet_en, corps_en):
    """Whether an English version is written (both parts): else English readers get
    the French one (ecandidat.mail.stored_version)."""
    return bool((sujet_en or "").strip() and (corps_en or "").strip())


def check_versions(code, sujet, corps, sujet_en, corps_en):
    """`check` of the French version, and of the English one (fields sujet_en,
    corps_en) when any part of it is written: half an English version is refused."""
    errors = check(code, sujet, corps)
    if not (sujet_en or "").strip() and not (corps_en or "").strip():
        return errors
    if not has_english(sujet_en, corps_en):
        missing = "sujet_en" if not (sujet_en or "").strip() else "corps_en"
        errors[missing] = [_("Écrivez le sujet et le corps de la version anglaise, ou "
                             "laissez les deux vides pour envoyer la version française.")]
        return errors
    for field, messages in check(code, sujet_en, corps_en).items():
        errors[field + "_en"] = messages
    return errors


def sample_candidature(code):
    """The candidature a preview of `code` is rendered on: the latest live one
    (with an avis for a decision mail), or None (sample values then)."""
    from ecandidat.models import Avis, Candidature
    if "formation" not in VARIABLES.get(code, ()):
        return None
    query = Candidature.select().where(Candidature.date_annulation.is_null())
    if code.startswith("AVIS_"):
        query = query.where(Candidature.id.in_(Avis.select(Avis.candidature)))
    return query.order_by(Candidature.id.desc()).first()


def preview(code, sujet, corps, candidature=None, langue="fr"):
    """(sujet, corps) rendered as the sandbox renders mails: on `candidature`'s
    values when given (sample values for what it lacks), else on sample values.

    Raises MailTemplateError when the template cannot be rendered."""
    variables = samples_for(code)
    if candidature is not None:
        from ecandidat.workflow.engine import mail_variables
        with force_locale(langue):  # its dates as the mail in that language writes them
            values = mail_variables(code, candidature)
        variables.update({name: value for name, value in values.items()
                          if name in variables and value not in (None, "")})
    return render(sujet or "", corps or "", variables)
