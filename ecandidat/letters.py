"""Admission and refusal letters (SPEC §7, ecandidat-domain §4.3 "Letter rules").

Which letter a candidature has (`letter_kind`), its PDF (`letter_pdf`, WeasyPrint
through ecandidat.pdf.render_pdf: local files only) and its file name.

A letter is the commission's address, the candidate's, a fixed block of what was
decided (formation, avis, commentaire, motif, deadline, date of the decision),
then the commission's text, then its signataire and signature image. The text is
a Jinja template each commission may edit in the console (Commission.lettre_admission
/ lettre_refus; None: DEFAULT_TEXTS), rendered in a sandbox with VARIABLES only.
It is checked when saved (`check`); a stored text that still fails when rendered
is replaced by the default text (a warning is logged): a letter never fails
because of its text."""
import logging
import os
import re
import unicodedata

from flask_babel import force_locale, format_date, get_locale, gettext as _, lazy_gettext as _l
from jinja2 import StrictUndefined, meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from weasyprint.urls import path2url

from ecandidat import clock, codes, storage
from ecandidat.i18n import language_of
from ecandidat.models import Adresse, Avis, Campagne
from ecandidat.pdf import PDF_TYPE, render_pdf
from ecandidat.workflow.queries import date_confirmation, last_avis

log = logging.getLogger(__name__)

ADMISSION, REFUS = "admission", "refus"
KINDS = (ADMISSION, REFUS)
DESISTE = "DESISTE"  # codes.CONFIRMATION

# Letter texts are edited in the console (by gestionnaires too): rendered in a
# sandbox, strict on names, and made of a small part of Jinja only (see ALLOWED_NODES),
# so that no text can take unbounded time or memory to render.
_jinja = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)

# What a letter text may contain: text, variables, {% if %} / {% elif %} / {% else %},
# comparisons, "and", "or", "not", "~" (joining texts), a few filters and tests.
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
                 nodes.If, nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And,
                 nodes.Or, nodes.Not, nodes.Concat, nodes.Filter, nodes.Test)
ALLOWED_FILTERS = frozenset({"upper", "lower", "capitalize", "title", "trim", "default",
                             "d"})
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "eq", "ne",
                           "equalto", "sameas"})

# What a letter text may use: name → (description, sample value for the check).
VARIABLES = {
    "civilite": (_l("civilité du candidat"), "Mme"),
    "nom": (_l("nom du candidat"), "MARTIN"),
    "prenom": (_l("prénom du candidat"), "Camille"),
    "numero_dossier": (_l("numéro de dossier"), "A1B2C3D4"),
    "date_naissance": (_l("date de naissance"), "2 avril 2001"),
    "formation": (_l("libellé de la formation"), "M1 Administration Economique et Sociale"),
    "code_formation": (_l("code de la formation"), "M1AES"),
    "commission": (_l("libellé de la commission"), "Commission M1 AES"),
    "campagne": (_l("campagne de candidature"), "Campagne 2025"),
    "date_jury": (_l("date du jury"), "20 juin 2025"),
    "avis": (_l("libellé de la décision"), "Favorable"),
    "commentaire": (_l("commentaire de la commission (s'il est montré au candidat)"),
                    "Entretien concluant."),
    "motif": (_l("motif de l'avis défavorable"), "Capacité d'accueil atteinte"),
    "date_confirmation": (_l("date limite de confirmation"), "10 juillet 2025"),
    "date_decision": (_l("date de la décision"), "25 juin 2025"),
    "signataire": (_l("signataire de la lettre"), "La présidente du jury"),
}

DEFAULT_TEXTS = {
    ADMISSION: (
        "{{ civilite }} {{ prenom }} {{ nom }},\n\n"
        "J'ai le plaisir de vous informer que la commission « {{ commission }} » a rendu, "
        "le {{ date_decision }}, un avis favorable à votre candidature à la formation "
        "« {{ formation }} » ({{ campagne }}).\n\n"
        "{% if date_confirmation %}Pour que votre admission soit définitive, confirmez votre "
        "candidature sur eCandidat au plus tard le {{ date_confirmation }} : sans réponse de "
        "votre part à cette date, vous serez considéré(e) comme ayant renoncé à cette "
        "formation.{% else %}Pour que votre admission soit définitive, confirmez votre "
        "candidature sur eCandidat.{% endif %}\n\n"
        "Je vous prie d'agréer, {{ civilite }} {{ nom }}, l'expression de mes salutations "
        "distinguées."),
    REFUS: (
        "{{ civilite }} {{ prenom }} {{ nom }},\n\n"
        "J'ai le regret de vous informer que la commission « {{ commission }} » a rendu, "
        "le {{ date_decision }}, un avis défavorable à votre candidature à la formation "
        "« {{ formation }} » ({{ campagne }}).\n\n"
        "Motif : {{ motif }}\n\n"
        "Je vous prie d'agréer, {{ civilite }} {{ nom }}, l'expression de mes salutations "
        "distinguées."),
}

# The default texts in English, for a candidate who reads English. A commission's own
# text is written in French only: an English letter then has the English frame
# (title, decision block) around the commission's French text.
ENGLISH_TEXTS = {
    ADMISSION: (
        "{{ civilite }} {{ prenom }} {{ nom }},\n\n"
        "I am pleased to inform you that on {{ date_decision }} the committee "
        "“{{ commission }}” gave a favourable decision on your application to the programme "
        "“{{ formation }}” ({{ campagne }}).\n\n"
        "{% if date_confirmation %}For your admission to be final, confirm your application "
        "on eCandidat by {{ date_confirmation }} at the latest: without an answer from you by "
        "that date, you will be considered to have declined this programme.{% else %}For your "
        "admission to be final, confirm your application on eCandidat.{% endif %}\n\n"
        "Yours sincerely."),
    REFUS: (
        "{{ civilite }} {{ prenom }} {{ nom }},\n\n"
        "I regret to inform you that on {{ date_decision }} the committee "
        "“{{ commission }}” gave an unfavourable decision on your application to the "
        "programme “{{ formation }}” ({{ campagne }}).\n\n"
        "Reason: {{ motif }}\n\n"
        "Yours sincerely."),
}

TITLES = {ADMISSION: _l("Lettre d'admission"), REFUS: _l("Lettre de refus")}
FIELDS = {ADMISSION: "lettre_admission", REFUS: "lettre_refus"}


class NoLetter(LookupError):
    """The candidature has no letter of that kind (now, or for that avis)."""


# --- Which letter ------------------------------------------------------------------------

def letter_kind(candidature, avis=None, mail=False):
    """ADMISSION, REFUS or None.

    The letter of `avis` (default: the candidature's last avis, validated or not:
    a newer avis takes the letter away until it is published): admission for a
    validated Favorable avis of a candidature neither withdrawn nor cancelled,
    refusal for a validated Défavorable one. None when the commission does not
    give letters: `lettre_editable` for the download, `lettre_par_mail` (`mail`)
    for the decision mail."""
    commission = candidature.formation.commission
    if not (commission.lettre_par_mail if mail else commission.lettre_editable):
        return None
    if candidature.date_annulation is not None:
        return None
    avis = avis if avis is not None else last_avis(candidature)
    if avis is None or not avis.valide or avis.candidature_id != candidature.id:
        return None
    if avis.type_avis == "FA" and candidature.confirmation != DESISTE:
        return ADMISSION
    if avis.type_avis == "DE":
        return REFUS
    return None


# --- The letter's text -------------------------------------------------------------------

def default_text(kind, langue="fr"):
    return ENGLISH_TEXTS[kind] if langue == "en" else DEFAULT_TEXTS[kind]


def text_of(commission, kind, langue="fr"):
    """The commission's text of `kind`, or the default (in `langue`) when it has none."""
    stored = getattr(commission, FIELDS[kind])
    return stored if stored and stored.strip() else default_text(kind, langue)


def _render(text, variables):
    return _jinja.from_string(text).render(variables).strip()


def render_text(commission, kind, variables, langue="fr"):
    """The commission's text rendered on `variables`; the default text (and a logged
    warning) when it cannot be rendered."""
    text = text_of(commission, kind, langue)
    try:
        problems = _static_problems(text)
        if problems:
            raise ValueError(problems[0])
        return _render(text, variables)
    except Exception as error:  # TemplateError, or a failing sandboxed expression
        log.warning("Texte de la lettre %s de la commission %s en erreur, texte par défaut "
                    "utilisé : %s: %s", kind, commission.code, type(error).__name__, error)
        return _render(default_text(kind, langue), variables)


def _static_problems(text):
    """[French messages] for what is wrong in `text` before rendering it: a syntax
    error, a variable not in VARIABLES, a construction not in ALLOWED_NODES (a loop,
    a call, an attribute, arithmetic…)."""
    try:
        tree = _jinja.parse(text)
    except TemplateSyntaxError as error:
        return [_("Erreur de syntaxe ligne %(ligne)s : %(detail)s. Les variables "
                  "s'écrivent {{ nom_de_variable }}.",
                  ligne=error.lineno, detail=(error.message or "").rstrip("."))]
    unknown = sorted(meta.find_undeclared_variables(tree) - set(VARIABLES))
    if unknown:
        return [_("Variable inconnue pour une lettre : %(noms)s. Variables possibles : "
                  "%(possibles)s.", noms=", ".join(unknown), possibles=", ".join(VARIABLES))]
    for node in _walk(tree):
        allowed = isinstance(node, ALLOWED_NODES) and not (
            isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS) and not (
            isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS)
        if not allowed:
            return [_("Construction non permise dans une lettre, ligne %(ligne)s : une lettre "
                      "n'utilise que des variables, {%% if %%} … {%% else %%} … {%% endif %%} "
                      "et les filtres %(filtres)s.", ligne=getattr(node, "lineno", 1),
                      filtres=", ".join(sorted(ALLOWED_FILTERS - {"d"})))]
    return []


def _walk(node):
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def check(text):
    """[French messages] for a letter text that would fail when rendered (empty when
    it is valid; an empty text means the default one): see `_static_problems`, or an
    expression failing on sample values."""
    if not text or not text.strip():
        return []
    try:
        problems = _static_problems(text)
    except RecursionError:  # the parser and the walk recurse once per nesting level
        return [_("Ce texte est trop imbriqué (parenthèses ou conditions les unes dans les "
                  "autres) : simplifiez-le.")]
    if problems:
        return problems
    try:
        _render(text, {name: sample for name, (_d, sample) in VARIABLES.items()})
    except Exception as error:  # TemplateError, or a failing sandboxed expression
        return [_("Ce texte ne peut pas être rendu : %(detail)s",
                  detail=f"{type(error).__name__}: {error}")]
    return []


def variables_help():
    """The variables a letter text may use, for the console form."""
    return ", ".join("{{ %s }} (%s)" % (name, description)
                     for name, (description, _sample) in VARIABLES.items())


# --- What a letter says ------------------------------------------------------------------

def _day(value):
    return format_date(value, "d MMMM yyyy") if value else ""


def letter_context(candidature, kind, avis):
    """The values of the letter of `kind` for `avis` (the template's and the text's)."""
    formation = candidature.formation
    commission = formation.commission
    candidat = candidature.candidat
    compte = candidat.compte
    nom = candidat.nom_usuel or candidat.nom_patronymique
    campagne = (Campagne.get_or_none(Campagne.id == candidature.campagne_id)
                if candidature.campagne_id else None)
    if campagne is None and formation.campagne_id:
        campagne = Campagne.get_or_none(Campagne.id == formation.campagne_id)
    decision = (avis.type_decision.libelle if avis.type_decision_id
                else codes.TYPE_AVIS.label(avis.type_avis))
    deadline = date_confirmation(candidature, avis) if kind == ADMISSION else None
    decided = clock.local(avis.valide_le).date() if avis.valide_le else None
    variables = {
        "civilite": str(codes.CIVILITE.label(candidat.civilite)) if candidat.civilite else "",
        "nom": nom, "prenom": candidat.prenom, "numero_dossier": compte.numero_dossier,
        "date_naissance": _day(candidat.date_naissance),
        "formation": formation.libelle, "code_formation": formation.code,
        "commission": commission.libelle,
        "campagne": campagne.libelle if campagne else "",
        "date_jury": _day(formation.date_jury),
        "avis": str(decision),
        "commentaire": (avis.commentaire or "") if commission.afficher_commentaire else "",
        "motif": avis.motivation.libelle if kind == REFUS and avis.motivation_id else "",
        "date_confirmation": _day(deadline),
        "date_decision": _day(decided),
        "signataire": commission.signataire or "",
    }
    return dict(
        kind=kind, title=str(TITLES[kind]), variables=variables,
        texte=render_text(commission, kind, variables, str(get_locale())),
        commission=commission, commission_adresse=_adresse_lines(commission.adresse_id),
        candidat_adresse=_adresse_lines(candidat.adresse_id),
        signature_url=_signature_url(commission))


def _adresse_lines(adresse_id):
    adresse = Adresse.get_or_none(Adresse.id == adresse_id) if adresse_id else None
    return adresse.lines() if adresse else []


def _signature_path(commission):
    """The stored signature image's path, or None (none, or missing: logged)."""
    if not commission.signature_fichier:
        return None
    try:
        path = storage.stored_path(commission.signature_fichier)
    except storage.UploadError:
        path = None
    if path is None or not os.path.isfile(path):
        log.warning("Image de signature de la commission %s introuvable : %r",
                    commission.code, commission.signature_fichier)
        return None
    return path


def _signature_url(commission):
    path = _signature_path(commission)
    return path2url(path) if path else None


# --- The PDF -------------------------------------------------------------------------------

def letter_pdf(candidature, avis=None, mail=False):
    """The letter of `avis` (default: the last one) as PDF bytes; NoLetter when the
    candidature has none (`letter_kind`)."""
    avis = avis if avis is not None else last_avis(candidature)
    kind = letter_kind(candidature, avis, mail=mail)
    if kind is None:
        raise NoLetter(_("Aucune lettre pour cette candidature."))
    # In the candidate's language, whoever asks (the candidate, a console user, the
    # mail sender).
    with force_locale(language_of(candidature.candidat.compte)):
        context = letter_context(candidature, kind, avis)
        path = _signature_path(candidature.formation.commission)
        return render_pdf("pdf/lettre.html", granted_files=[path] if path else (), **context)


def _ascii(value):
    """`value` in safe ASCII for a file name: accents dropped, anything else but
    letters, digits and hyphens turned into "_"."""
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_-")


def letter_filename(candidature, kind):
    """lettre_admission-{numero}_{nom}_{prenom}-{code formation}.pdf (or lettre_refus-…)."""
    candidat = candidature.candidat
    who = "_".join(part for part in (_ascii(candidat.compte.numero_dossier),
                                     _ascii(candidat.nom_usuel or candidat.nom_patronymique),
                                     _ascii(candidat.prenom)) if part)
    return f"lettre_{kind}-{who}-{_ascii(candidature.formation.code)}.pdf"


def letter_download(candidature, avis=None, mail=False):
    """(file name, PDF bytes) of the candidature's letter; NoLetter when it has none."""
    avis = avis if avis is not None else last_avis(candidature)
    kind = letter_kind(candidature, avis, mail=mail)
    if kind is None:
        raise NoLetter(_("Aucune lettre pour cette candidature."))
    return letter_filename(candidature, kind), letter_pdf(candidature, avis, mail=mail)


# --- The decision mail's attachment ----------------------------------------------------------

REFERENCE_PREFIX = "lettre:"


def mail_reference(candidature, code):
    """The attachment reference of a candidate's decision mail `code` (see
    ecandidat.workflow.engine.send), or None: "lettre:<avis id>" for AVIS_FAVORABLE,
    AVIS_DEFAVORABLE and TYPE_TRAIT_AD (an Accès direct validated is a favourable
    decision) when the commission sends letters by mail and the candidature has
    one for its last avis."""
    if code not in ("AVIS_FAVORABLE", "AVIS_DEFAVORABLE", "TYPE_TRAIT_AD"):
        return None
    avis = last_avis(candidature)
    if avis is None or letter_kind(candidature, avis, mail=True) is None:
        return None
    return f"{REFERENCE_PREFIX}{avis.id}"


def mail_attachment(reference):
    """(file name, content type, bytes) of an outbox attachment reference; NoLetter
    (or any rendering error) when it cannot be produced now."""
    if not reference.startswith(REFERENCE_PREFIX):
        raise NoLetter(f"pièce jointe inconnue : {reference!r}")
    try:
        avis_id = int(reference[len(REFERENCE_PREFIX):])
    except ValueError:
        raise NoLetter(f"pièce jointe inconnue : {reference!r}") from None
    avis = Avis.get_or_none(Avis.id == avis_id)
    if avis is None:
        raise NoLetter(f"avis {avis_id} introuvable")
    candidature = avis.candidature
    latest = last_avis(candidature)
    if latest.id != avis.id:  # a newer decision since: this letter would mislead
        raise NoLetter(f"l'avis {avis_id} a été remplacé par l'avis {latest.id}")
    kind = letter_kind(candidature, avis, mail=True)
    if kind is None:
        raise NoLetter(f"plus de lettre pour l'avis {avis_id} (candidature {candidature.id})")
    return (letter_filename(candidature, kind), PDF_TYPE,
            letter_pdf(candidature, avis, mail=True))
