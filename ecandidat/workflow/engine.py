"""Applying the rules table: one write transaction per action, on the locked
candidature, with its conditional write, its audit row and its mails."""
from flask_babel import format_date, lazy_gettext as _l

from ecandidat import clock
from ecandidat.audit import record, snapshot
from ecandidat.db import write_transaction
from ecandidat.mail import queue_mail
from ecandidat.models import Candidature
from ecandidat.workflow.core import WorkflowError, lock_candidature
from ecandidat.workflow.queries import date_retour
from ecandidat.workflow.rules import check, rule_for

STATUT_FIELDS = ("statut", "date_transmission", "date_reception", "date_annulation",
                 "annulee_par", "type_traitement", "type_traitement_valide")

CONFLICT = _l("La candidature vient d'être modifiée par ailleurs : rechargez la page et "
              "recommencez.")


def run(action, actor, candidature, write=None, today=None):
    """Do `action` as `actor` in one write transaction: lock the candidate and the
    candidature, check the action's Rule on their committed state (else
    WorkflowError, nothing written), call `write(candidature)` for the action's own
    rows, then apply the Rule's effects with a conditional UPDATE (… WHERE the
    statut is still one the rule starts from and the candidature is not
    cancelled), write the audit row and queue the mails. The audit row and the
    mails exist only if the whole transaction commits. Returns what `write` returned."""
    rule = rule_for(action, actor)
    with write_transaction():
        lock_candidature(candidature)
        check(action, actor, candidature, today)
        result = write(candidature) if write else None
        if rule.changes_candidature():
            before = snapshot(candidature, STATUT_FIELDS)
            _apply_effects(rule, actor, candidature)
            record(actor.label, action, candidature, before,
                   snapshot(candidature, STATUT_FIELDS))
        for mail in rule.mails:
            send(mail, candidature)
    return result


def _apply_effects(rule, actor, candidature):
    values = {field: clock.now() for field in rule.dates}
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


def send(mail, candidature):
    """Queue `mail` (a rules.Mail) to the candidate, or to the commission when it
    asked for this kind of alert."""
    if mail.alert is None:
        queue_mail(mail.code, candidature.candidat.compte.email, _candidate_vars(candidature))
        return
    commission = candidature.formation.commission
    to = commission.mail_alerte or commission.mail
    if getattr(commission, mail.alert) and to:
        queue_mail(mail.code, to, _candidate_vars(candidature))
