"""The one table of what may happen to a candidature: (action, actor kind) → Rule.

A Rule says from which statuts du dossier the action starts, what else must
hold, and what it does to the candidature (new statut, dates set to now, a field
set to the actor's label, mails). `refusals()` reads it for the pages ("may this
actor do X now?", e.g. the candidature page's buttons); `transitions.run()`
applies it inside the write transaction, on the locked, committed state.

To add an action, add a row for its actor kind and call `engine.run()` (or
`run_many()` for a selection) with the action's own writes, if any. The console
users' rows (actor kind USER) also say which roles may take them; a user's
Scope (read-only flag, commissions) is checked for every candidature."""
import dataclasses
import datetime

from flask import current_app
from flask_babel import format_date, lazy_gettext as _l

from ecandidat import clock, codes, permissions
from ecandidat.models import Campagne
from ecandidat.workflow.core import CANDIDAT, JOB, USER, WorkflowError
from ecandidat.workflow.queries import (date_confirmation, date_retour, has_avis, last_avis,
                                        piece_rows, question_rows)

AT, RE, CO, IN = "AT", "RE", "CO", "IN"  # codes.STATUT_DOSSIER
EDITABLE = frozenset({AT, IN})  # the candidate may change the content: not sent, or sent back
ANY = frozenset({AT, RE, CO, IN})
RECEIVED = frozenset({RE, CO, IN})  # the commission has (had) the file in hand

# Console roles (codes.ROLE); PRESIDENT: a membre presiding the candidature's commission.
ADMIN, GESTIONNAIRE, MEMBRE, PRESIDENT = "admin", "gestionnaire", "commission", "president"
EVERY_ROLE = frozenset({ADMIN, GESTIONNAIRE, MEMBRE})
MANAGERS = frozenset({ADMIN, GESTIONNAIRE})
CONFIRME, DESISTE = "CONFIRME", "DESISTE"  # codes.CONFIRMATION


@dataclasses.dataclass(frozen=True)
class Mail:
    """A mail an action queues: to the candidate, or, when `alert` names a
    Commission flag, to the commission if that flag is on."""
    code: str
    alert: str = None
    when: object = None  # when(candidature) -> bool: sent only then (None: always)


@dataclasses.dataclass(frozen=True)
class Rule:
    statuts: frozenset        # statuts du dossier the action starts from
    refused: object           # the refusal (French) in any other statut
    checks: tuple = ()        # more preconditions: check(candidature, today) -> [messages]
    statut: str = None        # the statut du dossier it leads to (None: unchanged)
    dates: tuple = ()         # Candidature fields set to now
    by: str = None            # Candidature field set to the actor's label
    mails: tuple = ()         # Mail values, queued in the same transaction
    cancelled: object = _l("Cette candidature est annulée.")  # refusal once cancelled
    # Whether it may change what the dossier PDF shows (ecandidat.dossiers): a stored
    # dossier is dropped in the action's transaction. An avis, a tag, a note, the
    # candidate's answer after the decision are not in the dossier.
    changes_dossier: bool = True
    roles: frozenset = EVERY_ROLE  # console roles allowed (USER rows only)

    def changes_candidature(self):
        return bool(self.statut or self.dates or self.by)


# --- Preconditions ---------------------------------------------------------------------

def pieces_online(candidature, today):
    if not candidature.formation.demat:
        return [_l("Cette formation se candidate par dossier papier : les pièces ne se "
                   "déposent pas en ligne.")]
    return []


def transmitted_online(candidature, today):
    if not candidature.formation.demat:
        return [_l("Cette formation se candidate par dossier papier : téléchargez votre "
                   "dossier et envoyez-le par courrier.")]
    return []


def before_date_retour(candidature, today):
    if today > date_retour(candidature):
        return [_l("La date limite de retour (%(date)s) est dépassée.",
                   date=format_date(date_retour(candidature), "dd/MM/yyyy"))]
    return []


def nothing_missing(candidature, today):
    problems = []
    for piece, row in piece_rows(candidature):
        # A file the commission put back "En attente" is still provided.
        provided = row is not None and (row.statut in ("TR", "VA", "NC")
                                        or (row.statut == "AT" and row.fichier))
        if not provided:
            problems.append(_l("Pièce manquante : %(piece)s.", piece=piece.libelle))
    for question, answer in question_rows(candidature):
        if question.obligatoire and (answer is None or answer.statut == "AT"):
            problems.append(_l("Question sans réponse : %(question)s", question=question.libelle))
    return problems


def without_avis(candidature, today):
    if has_avis(candidature):
        return [_l("Un avis a été rendu sur cette candidature : elle ne peut plus être "
                   "annulée.")]
    return []


def avis_to_validate(candidature, today):
    avis = last_avis(candidature)
    if avis is None:
        return [_l("Aucun avis n'a été saisi sur cette candidature.")]
    if avis.valide:
        return [_l("Le dernier avis de cette candidature est déjà validé.")]
    return []


def treatment_not_validated(candidature, today):
    if candidature.type_traitement_valide:
        return [_l("Le type de traitement de cette candidature est déjà validé.")]
    return []


# --- After the decision (ecandidat.workflow.decision) ----------------------------------

def campaign_not_archived(candidature, today):
    """An archived campaign's candidatures wait for their destruction: nobody answers,
    withdraws or is promoted or reminded there any more."""
    if candidature.campagne_id is not None and Campagne.select().where(
            Campagne.id == candidature.campagne_id, Campagne.archivee_le.is_null(False)).exists():
        return [_l("La campagne de cette candidature est archivée.")]
    return []


def favourable_validated(candidature, today):
    """The last avis is a validated Favorable one (a newer avis, even unvalidated,
    takes the answer away until it is published)."""
    avis = last_avis(candidature)
    if avis is None or avis.type_avis != "FA" or not avis.valide:
        return [_l("Cette candidature n'a pas d'avis favorable validé : il n'y a rien à "
                   "confirmer ni à désister.")]
    return []


def not_answered(candidature, today):
    if candidature.confirmation == CONFIRME:
        return [_l("Cette candidature est déjà confirmée.")]
    if candidature.confirmation == DESISTE:
        return [_l("Le désistement de cette candidature est déjà enregistré.")]
    return []


def not_desisted(candidature, today):
    if candidature.confirmation == DESISTE:
        return [_l("Le désistement de cette candidature est déjà enregistré.")]
    return []


def before_confirmation_deadline(candidature, today):
    deadline = date_confirmation(candidature)
    if deadline is not None and today > deadline:
        return [_l("La date limite de confirmation (%(date)s) est dépassée.",
                   date=format_date(deadline, "dd/MM/yyyy"))]
    return []


def confirmation_deadline_passed(candidature, today):
    deadline = date_confirmation(candidature)
    if deadline is None or today <= deadline:
        return [_l("La date limite de confirmation n'est pas dépassée.")]
    return []


def window(deadline, days, today):
    """today is within the `days` days before `deadline` (both included)."""
    return deadline is not None and deadline - datetime.timedelta(days=days) <= today <= deadline


def relance_favorable_due(candidature, today):
    if candidature.relance_envoyee:
        return [_l("La relance a déjà été envoyée.")]
    if not window(date_confirmation(candidature),
                   current_app.config["RELANCE_FAVORABLE_DAYS"], today):
        return [_l("Ce n'est pas le moment de la relance.")]
    return []


def relance_transmission_due(candidature, today):
    if candidature.relance_transmission_envoyee or candidature.date_transmission is not None:
        return [_l("La relance a déjà été envoyée.")]
    if not window(date_retour(candidature),
                   current_app.config["RELANCE_TRANSMISSION_DAYS"], today):
        return [_l("Ce n'est pas le moment de la relance.")]
    return []


def last_avis_validated_lc(candidature, today):
    avis = last_avis(candidature)
    if avis is None or avis.type_avis != "LC" or not avis.valide:
        return [_l("Cette candidature n'est plus en liste complémentaire.")]
    return []


def _last_avis_is(type_avis):
    def when(candidature):
        avis = last_avis(candidature)
        return avis is not None and avis.type_avis == type_avis
    return when


def _treatment_is(type_traitement):
    return lambda candidature: candidature.type_traitement == type_traitement


# --- The table ---------------------------------------------------------------------------

_SENT = _l("Votre candidature a été transmise : elle ne peut plus être modifiée.")
_PIECE = Rule(EDITABLE, _SENT, checks=(pieces_online, before_date_retour))

RULES = {
    ("deposer_piece", CANDIDAT): _PIECE,
    ("non_concerne", CANDIDAT): _PIECE,
    ("supprimer_piece", CANDIDAT): _PIECE,
    ("repondre", CANDIDAT): Rule(EDITABLE, _SENT, checks=(before_date_retour,)),
    ("transmettre", CANDIDAT): Rule(
        EDITABLE, _l("Votre candidature a déjà été transmise."),
        checks=(transmitted_online, before_date_retour, nothing_missing),
        statut=RE, dates=("date_transmission", "date_reception", "date_modification_statut"),
        mails=(Mail("STATUT_RE"), Mail("COMMISSION_ALERT_TRANSMISSION", "alerte_transmission"))),
    # An untransmitted file may still be withdrawn after the date de retour.
    ("annuler", CANDIDAT): Rule(
        frozenset({AT}), _l("Une candidature transmise ne peut plus être annulée."),
        cancelled=_l("Cette candidature est déjà annulée."), checks=(without_avis,),
        dates=("date_annulation",), by="annulee_par",
        mails=(Mail("CANDIDATURE_ANNULATION"),
               Mail("COMMISSION_ALERT_ANNULATION", "alerte_annulation"))),
}

# --- Console users (commission members, gestionnaires, administrators): SPEC §4.7 ---------

# Statut du dossier: (from, dates set to now besides the statut's own date, chosen by the user)
_STATUT_FROM = {RE: frozenset({AT, CO, IN}), CO: frozenset({RE, IN}),
                IN: frozenset({RE, CO}), AT: frozenset({RE, CO, IN})}
for _statut, _from in _STATUT_FROM.items():
    RULES[(f"statut_{_statut}", USER)] = Rule(
        _from, _l("Le dossier ne peut pas passer au statut « %(statut)s » depuis son statut "
                  "actuel.", statut=codes.STATUT_DOSSIER.label(_statut)),
        statut=_statut, dates=("date_modification_statut",), mails=(Mail(f"STATUT_{_statut}"),))

# Type de traitement: set it (AC is validated at once), then validate it.
_MAIL_TT = {"AC": "TYPE_TRAIT_AC"}
for _tt in codes.TYPE_TRAITEMENT:
    RULES[(f"type_traitement_{_tt}", USER)] = Rule(
        ANY, None, roles=MANAGERS,
        mails=(Mail(_MAIL_TT[_tt]),) if _tt in _MAIL_TT else ())
RULES[("valider_type_traitement", USER)] = Rule(
    ANY, None, roles=MANAGERS, checks=(treatment_not_validated,),
    mails=(Mail("TYPE_TRAIT_AD", when=_treatment_is("AD")),
           Mail("TYPE_TRAIT_AC", when=_treatment_is("AC")),
           Mail("TYPE_TRAIT_ATT", when=_treatment_is("AT"))))

_NOT_RECEIVED = _l("Ce dossier n'a pas été transmis à la commission.")
RULES.update({
    ("statut_piece", USER): Rule(RECEIVED, _NOT_RECEIVED),
    ("saisir_avis", USER): Rule(RECEIVED, _NOT_RECEIVED, changes_dossier=False),
    ("valider_avis", USER): Rule(
        RECEIVED, _NOT_RECEIVED, roles=MANAGERS | {PRESIDENT}, checks=(avis_to_validate,),
        changes_dossier=False,
        mails=tuple(Mail(code, when=_last_avis_is(type_avis)) for type_avis, code in (
            ("FA", "AVIS_FAVORABLE"), ("DE", "AVIS_DEFAVORABLE"), ("LC", "AVIS_LISTE_COMP"),
            ("LA", "AVIS_LISTE_ATT"), ("PR", "AVIS_PRESELECTION")))),
    ("tags", USER): Rule(ANY, None, changes_dossier=False),
    ("bloc_notes", USER): Rule(ANY, None, changes_dossier=False),
    ("date_retour", USER): Rule(ANY, None, roles=MANAGERS),
    ("date_confirmation", USER): Rule(ANY, None, roles=MANAGERS, changes_dossier=False),
})

# --- After the decision: SPEC §4.8–4.10 (ecandidat.workflow.decision) -----------------------

_DESIST_ALERT = Mail("COMMISSION_ALERT_DESISTEMENT", "alerte_desistement")
_ANSWER = dict(dates=("date_confirmation",), by="confirmation_par", changes_dossier=False)
_CONFIRM_MAILS = (Mail("CANDIDATURE_CONFIRM"),)
_DESIST_MAILS = (Mail("CANDIDATURE_DESIST"), _DESIST_ALERT)
RULES.update({
    # The candidate answers before the deadline; a gestionnaire may at any time.
    ("confirmer", CANDIDAT): Rule(
        ANY, None, checks=(campaign_not_archived, favourable_validated, not_answered,
                           before_confirmation_deadline),
        mails=_CONFIRM_MAILS, **_ANSWER),
    ("desister", CANDIDAT): Rule(
        ANY, None, checks=(campaign_not_archived, favourable_validated, not_desisted,
                           before_confirmation_deadline),
        mails=_DESIST_MAILS, **_ANSWER),
    ("confirmer", USER): Rule(ANY, None, roles=MANAGERS,
                              checks=(campaign_not_archived, favourable_validated,
                                      not_answered),
                              mails=_CONFIRM_MAILS, **_ANSWER),
    ("desister", USER): Rule(ANY, None, roles=MANAGERS,
                             checks=(campaign_not_archived, favourable_validated,
                                     not_desisted),
                             mails=_DESIST_MAILS, **_ANSWER),
    # The scheduled jobs (ecandidat.jobs) and the liste complémentaire.
    ("desister_auto", JOB): Rule(
        ANY, None, checks=(campaign_not_archived, favourable_validated, not_answered,
                           confirmation_deadline_passed),
        mails=(Mail("CANDIDATURE_DESIST_AUTO"), _DESIST_ALERT), **_ANSWER),
    # Whatever the statut du dossier: a validated LC avis is the place on the list.
    ("promouvoir", JOB): Rule(
        ANY, None, checks=(campaign_not_archived, last_avis_validated_lc),
        mails=(Mail("AVIS_FAVORABLE"),
               Mail("COMMISSION_ALERT_LISTE_PRINC", "alerte_liste_principale")),
        changes_dossier=False),
    ("relance_favorable", JOB): Rule(
        ANY, None, checks=(campaign_not_archived, favourable_validated, not_answered,
                           relance_favorable_due),
        mails=(Mail("CANDIDATURE_RELANCE_FAVO"),), changes_dossier=False),
    ("relance_transmission", JOB): Rule(
        frozenset({AT}), _l("Cette candidature est transmise."),
        checks=(campaign_not_archived, relance_transmission_due),
        mails=(Mail("CANDIDATURE_RELANCE_TRANSMISSION"),), changes_dossier=False),
})


def _user_refusal(rule, actor, candidature):
    """Why this console user may not act on this candidature at all, or None."""
    scope = actor.scope
    if scope is None or not permissions.sees(scope, candidature):
        return _l("Cette candidature n'est pas dans votre périmètre.")
    if scope.read_only:
        return _l("Votre compte est en lecture seule : vous ne pouvez rien modifier.")
    if scope.role in rule.roles:
        return None
    if PRESIDENT in rule.roles and candidature.formation.commission_id in scope.presidences:
        return None
    if PRESIDENT in rule.roles:
        return _l("Cette action est réservée aux gestionnaires et au président de la "
                  "commission.")
    return _l("Cette action est réservée aux gestionnaires.")


def actions(kind):
    """The actions an actor of this kind may ever take, in table order."""
    return [action for action, actor_kind in RULES if actor_kind == kind]


def rule_for(action, actor):
    rule = RULES.get((action, actor.kind))
    if rule is None:
        raise WorkflowError(_l("Cette action ne vous est pas permise."))
    return rule


def refusals(action, actor, candidature, today=None):
    """Why `actor` may not do `action` to `candidature` now, as French messages
    (empty: allowed). Stops at the first unmet condition, except the last check,
    which may list several things (e.g. every missing piece)."""
    rule = RULES.get((action, actor.kind))
    if rule is None:
        return [_l("Cette action ne vous est pas permise.")]
    if actor.kind == CANDIDAT and candidature.candidat_id != actor.id:
        return [_l("Cette candidature n'est pas la vôtre.")]
    if actor.kind == USER:
        refusal = _user_refusal(rule, actor, candidature)
        if refusal:
            return [refusal]
    if candidature.date_annulation is not None:
        return [rule.cancelled]
    if candidature.statut not in rule.statuts:
        return [rule.refused]
    today = today or clock.today()
    for check in rule.checks:
        problems = check(candidature, today)
        if problems:
            return problems
    return []


def refusals_by_action(actor, candidature, today=None):
    """{action: refusals} for every action of the actor's kind (for a page's buttons)."""
    return {action: refusals(action, actor, candidature, today)
            for action in actions(actor.kind)}


def in_reach(action, actor_kind, candidature):
    """Whether the candidature is at a stage where `action` is meant to happen (not
    cancelled, a statut the rule starts from), whatever is still missing: the
    candidature page speaks of transmitting only while a transmission is ahead."""
    rule = RULES.get((action, actor_kind))
    return (rule is not None and candidature.date_annulation is None
            and candidature.statut in rule.statuts)


def may(action, actor, candidature, today=None):
    return not refusals(action, actor, candidature, today)


def check(action, actor, candidature, today=None):
    """Raise WorkflowError with the first refusal, if any."""
    problems = refusals(action, actor, candidature, today)
    if problems:
        raise WorkflowError(problems[0])
