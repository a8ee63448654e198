"""Applying the rules table: one write transaction per action, on the locked
candidature, with its conditional write, its audit row and its mails."""
from flask_babel import force_locale, format_date, lazy_gettext as _l

from ecandidat import clock, dossiers
from ecandidat.audit import record, snapshot
from ecandidat.db import write_transaction
from ecandidat.i18n import institution_language, language_of
from ecandidat.mail import queue_mail
from ecandidat.models import Candidature
from ecandidat.workflow.core import WorkflowError, lock_candidatures
from ecandidat.workflow.queries import date_confirmation, date_retour, last_avis
from ecandidat.workflow.rules import check, rule_for

STATUT_FIELDS = ("statut", "date_transmission", "date_reception", "date_annulation",
                 "annulee_par", "type_traitement", "type_traitement_valide")

CONFLICT = _l("La candidature vient d'être modifiée par ailleurs : rechargez la page et "
              "recommencez.")


class BulkRefused(WorkflowError):
    """A bulk action refused as a whole: `rows` lists (candidature, message) for
    every candidature that blocked it."""

    def __init__(self, rows):
        super().__init__(_l("Action refusée : %(n)s candidature(s) de la sélection ne le "
                            "permettent pas. Rien n'a été modifié.", n=len(rows)))
        self.rows = rows


def run(action, actor, candidature, write=None, today=None, values=None, lock_candidat=True):
    """Do `action` as `actor` in one write transaction: lock the candidate and the
    candidature, check the action's Rule on their committed state (else
    WorkflowError, nothing written), call `write(candidature)` for the action's own
    rows, then apply the Rule's effects and `values` (more Candidature fields the
    action sets) with a conditional UPDATE (… WHERE the statut is still one the
    rule starts from and the candidature is not cancelled), write the audit row
    and queue the mails. The audit row and the mails exist only if the whole
    transaction commits. Returns what `write` returned."""
    return run_many(action, actor, [candidature], write, today, values,
                    lock_candidat=lock_candidat)[0]


def run_many(action, actor, candidatures, write=None, today=None, values=None, checks=(),
             lock_candidat=True):
    """`run` on several candidatures, all or nothing, in one transaction: every
    one is locked and checked first — the Rule, then the call's own `checks`
    (check(candidature, today) -> [messages]), on the locked state; if any is
    refused, BulkRefused lists them all and nothing is written. Returns the list
    of what `write` returned. `lock_candidat=False`: the candidatures' rows only,
    not their candidates' (see core.lock_candidature)."""
    rule = rule_for(action, actor)
    values = values or {}
    with write_transaction():
        lock_candidatures(candidatures, lock_candidat)
        refused = []
        for candidature in candidatures:
            try:
                check(action, actor, candidature, today)
                for extra in checks:
                    problems = extra(candidature, today or clock.today())
                    if problems:
                        raise WorkflowError(problems[0])
            except WorkflowError as error:
                refused.append((candidature, error.message))
        if refused:
            if len(candidatures) == 1:
                raise WorkflowError(refused[0][1])
            raise BulkRefused(refused)
        results = []
        for candidature in candidatures:
            results.append(write(candidature) if write else None)
            if rule.changes_candidature() or values:
                fields = STATUT_FIELDS + tuple(f for f in values if f not in STATUT_FIELDS)
                before = snapshot(candidature, fields)
                _apply_effects(rule, actor, candidature, values)
                record(actor.label, action, candidature, before, snapshot(candidature, fields))
            for mail in rule.mails:
                if mail.when is None or mail.when(candidature):
                    send(mail, candidature)
        if rule.changes_dossier:
            dossiers.invalidate([candidature.id for candidature in candidatures])
    return results


def _apply_effects(rule, actor, candidature, extra):
    values = {field: clock.now() for field in rule.dates}
    values.update(extra)
    if rule.statut:
        values["statut"] = rule.statut
    if rule.by:
        values[rule.by] = actor.label
    updated = (Candidature.update({getattr(Candidature, f): v for f, v in values.items()})
               .where(Candidature.id == candidature.id,
                      Candidature.statut.in_(rule.statuts),
                      Candidature.date_annulation.is_null())
               .execute())
    if updated != 1:  # the lock makes this a safety net: never write over another change
        raise WorkflowError(CONFLICT)
    for field, value in values.items():
        setattr(candidature, field, value)
    candidature._dirty.clear()


# --- Mails -------------------------------------------------------------------------------

def _candidate_vars(candidature):
    candidat = candidature.candidat
    formation = candidature.formation
    return dict(nom=candidat.nom_usuel or candidat.nom_patronymique, prenom=candidat.prenom,
                numero_dossier=candidat.compte.numero_dossier, formation=formation.libelle,
                candidat=f"{candidat.prenom} {candidat.nom_usuel or candidat.nom_patronymique}",
                date_retour=format_date(date_retour(candidature), "d MMMM yyyy"))


def _avis_vars(candidature):
    """What a decision mail says: the last avis (the one just validated)."""
    avis = last_avis(candidature)
    if avis is None:
        return {}
    deadline = date_confirmation(candidature, avis)
    day = avis.preselection_date or candidature.formation.preselection_date
    shown = candidature.formation.commission.afficher_commentaire
    return dict(
        commentaire=(avis.commentaire or "") if shown else "",
        motivation=avis.motivation.libelle if avis.motivation_id else "",
        rang=avis.rang if avis.rang is not None else "",
        date_confirmation=format_date(deadline, "d MMMM yyyy") if deadline else "",
        preselection_date=format_date(day, "d MMMM yyyy") if day else "",
        preselection_heure=avis.preselection_heure or candidature.formation.preselection_heure
        or "",
        preselection_lieu=avis.preselection_lieu or candidature.formation.preselection_lieu or "")


def mail_variables(code, candidature):
    """The variables a candidate's mail of `code` gets for this candidature."""
    variables = _candidate_vars(candidature)
    if code.startswith("AVIS_") or code == "TYPE_TRAIT_AD":
        variables.update(_avis_vars(candidature))
    elif code in ("CANDIDATURE_CONFIRM", "CANDIDATURE_DESIST_AUTO", "CANDIDATURE_RELANCE_FAVO"):
        deadline = date_confirmation(candidature)
        variables["date_confirmation"] = format_date(deadline, "d MMMM yyyy") if deadline else ""
    if code in ("CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT"):
        variables["motif_desistement"] = candidature.motif_desistement or ""
    return variables


def send(mail, candidature):
    """Queue `mail` (a rules.Mail) to the candidate, or to the commission when it
    asked for this kind of alert. AVIS_FAVORABLE and AVIS_DEFAVORABLE to the
    candidate refer to the letter of the last avis when the commission sends
    letters by mail (Commission.lettre_par_mail)."""
    if mail.alert is None:
        # A decision mail carries the letter of its avis when the commission says so
        # (rendered when the mail is sent: ecandidat.mail, ecandidat.letters).
        from ecandidat.letters import mail_reference  # letters → pdf → workflow
        compte = candidature.candidat.compte
        # In the candidate's language, whoever acts (a console user reads French).
        langue = language_of(compte)
        with force_locale(langue):
            variables = mail_variables(mail.code, candidature)
        queue_mail(mail.code, compte.email, variables,
                   attachment=mail_reference(candidature, mail.code), langue=langue)
        return
    commission = candidature.formation.commission
    to = commission.mail_alerte or commission.mail
    if getattr(commission, mail.alert) and to:
        langue = institution_language()
        with force_locale(langue):
            variables = mail_variables(mail.code, candidature)
        queue_mail(mail.code, to, variables, langue=langue)
