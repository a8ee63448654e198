"""After the decision (SPEC §4.8–4.10, ecandidat-domain §3.6, §3.7, §3.9): the
candidate's Confirmation / Désistement, the gestionnaire's on their behalf, the
deadline job's automatic désistement, the liste complémentaire that moves by
itself, the rang réel, and the reminders.

Every désistement promotes, in its own transaction, the first candidature of the
formation's liste complémentaire. The formation's row is locked first (FOR NO
KEY UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction already serialises
writers), so two désistements at the same instant read the queue one after the
other: each promotes a different candidate, none twice, none skipped.

Lock order, everywhere: the candidates and candidatures acted on, then the
formations (in id order), then the promoted candidate and candidature."""
import datetime

from flask_babel import lazy_gettext as _l
from peewee import fn

from ecandidat import clock
from ecandidat.audit import record
from ecandidat.db import retrying, write_transaction
from ecandidat.models import Avis, Campagne, Candidat, Candidature, CompteCandidat, Formation
from ecandidat.text import CONTROL_CHARACTER_MESSAGE, has_control_characters
from ecandidat.workflow.core import Actor, WorkflowError, lock_candidatures, locked
from ecandidat.workflow.engine import BulkRefused, run
from ecandidat.workflow.queries import date_confirmation
from ecandidat.workflow.rules import CONFIRME, DESISTE, refusals, window
MOTIF_MAX = 500
PROMOTION = Actor.job("liste-complementaire")
DESISTEMENT_AUTO = Actor.job("desistement-auto")
RELANCE_FAVORABLE = Actor.job("relance-favorable")
RELANCE_TRANSMISSION = Actor.job("relance-transmission")


# --- Confirmation, désistement ------------------------------------------------------------

def confirmer(actor, candidature, today=None):
    """Confirmation candidature (irreversible): the candidate before the deadline, a
    gestionnaire at any time. Mail CANDIDATURE_CONFIRM."""
    run("confirmer", actor, candidature, today=today, values={"confirmation": CONFIRME})
    return candidature


def clean_motif(motif):
    """The désistement's optional reason, stripped; InvalidInput when it holds control
    characters (NUL: PostgreSQL refuses it, SQLite would keep it) or is too long."""
    from ecandidat.workflow.commission import InvalidInput
    motif = (motif or "").strip() or None
    if has_control_characters(motif):
        raise InvalidInput({"motif": CONTROL_CHARACTER_MESSAGE})
    if motif and len(motif) > MOTIF_MAX:
        raise InvalidInput({"motif": _l("Le motif tient en %(n)s caractères au plus.",
                                        n=MOTIF_MAX)})
    return motif


def desister(actor, candidature, motif=None, today=None):
    """Désistement candidature (irreversible, also after confirming): the candidate
    before the deadline, a gestionnaire at any time. Mails CANDIDATURE_DESIST and the
    commission's alert; then the liste complémentaire moves (same transaction).
    Returns the promoted candidature, or None."""
    motif = clean_motif(motif)
    return _desist("desister", actor, candidature, today,
                   {"confirmation": DESISTE, "motif_desistement": motif})


def desister_auto(candidature, today=None):
    """The deadline passed without an answer: désisté by the job (CANDIDATURE_DESIST_AUTO),
    then the promotion. WorkflowError when there is nothing to do (any more)."""
    return _desist("desister_auto", DESISTEMENT_AUTO, candidature, today,
                   {"confirmation": DESISTE})


def _desist(action, actor, candidature, today, values):
    today = today or clock.today()

    def transaction():
        with write_transaction():
            run(action, actor, candidature, today=today, values=values)
            return promouvoir(candidature.formation_id, candidature.campagne_id, today)
    return retrying(transaction)


def answer_selection(answer, actor, candidatures, motif=None, today=None):
    """Confirmation ("confirmer") or Désistement ("desister", with its optional reason)
    of a console selection, all or nothing, in one transaction: every candidature
    locked and checked first (BulkRefused lists those that block; then a reason too
    long is refused next to its field), then the formations locked in id order —
    after the candidatures, before the candidatures the désistements promote — and
    each answered. Returns the candidatures promoted."""
    def transaction():
        with write_transaction():
            lock_candidatures(candidatures)
            blocked = [(c, problems[0]) for c in candidatures
                       for problems in [refusals(answer, actor, c, today)] if problems]
            if len(blocked) == 1 and len(candidatures) == 1:
                raise WorkflowError(blocked[0][1])
            if blocked:
                raise BulkRefused(blocked)
            if answer == "confirmer":
                for candidature in candidatures:
                    confirmer(actor, candidature, today)
                return []
            reason = clean_motif(motif)
            for formation_id in sorted({c.formation_id for c in candidatures}):
                lock_formation(formation_id)
            promoted = [desister(actor, c, motif=reason, today=today) for c in candidatures]
            return [c for c in promoted if c is not None]
    return retrying(transaction)


# --- Liste complémentaire -----------------------------------------------------------------

def lc_queue(formation_id, campagne_id=None):
    """[Avis] of the formation's liste complémentaire of that campaign, in order: the
    live candidatures whose last avis is a validated LC with a rang, by rang then
    avis id."""
    latest = Avis.alias()
    last_id = (latest.select(fn.MAX(latest.id))
               .where(latest.candidature == Candidature.id))
    query = (Avis.select(Avis, Candidature).join(Candidature)
             .where(Candidature.formation == formation_id,
                    Candidature.date_annulation.is_null(),
                    Avis.id == last_id, Avis.type_avis == "LC", Avis.valide,
                    Avis.rang.is_null(False)))
    # Each campaign has its list; candidatures of no campaign (none was active) theirs.
    query = query.where(Candidature.campagne.is_null() if campagne_id is None
                        else Candidature.campagne == campagne_id)
    return list(query.order_by(Avis.rang, Avis.id))


def lock_formation(formation_id):
    return locked(Formation.select().where(Formation.id == formation_id)).get()


def recompute_rangs(formation_id, campagne_id=None):
    """Rang réel = place in the queue now (1..n), written where it changed.
    Call it holding the formation's lock."""
    for place, avis in enumerate(lc_queue(formation_id, campagne_id), start=1):
        if avis.rang_reel != place:
            Avis.update(rang_reel=place).where(Avis.id == avis.id).execute()


def promouvoir(formation_id, campagne_id, today=None):
    """Inside the désistement's transaction: the first of the formation's liste
    complémentaire gets a validated Favorable avis (the formation's LC favourable
    decision), its own confirmation deadline (the formation's LC date, or its LC
    délai from today), its decision mail and the commission's alert; the ranks
    left are recomputed. Returns the promoted candidature or None."""
    today = today or clock.today()
    formation = lock_formation(formation_id)
    if not formation.liste_complementaire:
        return None
    deadline = formation.date_confirmation_lc
    if deadline is None and formation.delai_confirmation_lc:
        deadline = today + datetime.timedelta(days=formation.delai_confirmation_lc)

    def write(locked_head):
        from ecandidat.workflow.commission import _decision
        decision = formation.type_decision_fav_lc_id or _decision(formation, "FA")
        avis = Avis.create(candidature=locked_head.id, type_avis="FA", type_decision=decision,
                           valide=True, valide_le=clock.now())
        record(PROMOTION.label, "avis", avis, None,
               {"type_avis": "FA", "valide": True, "liste_complementaire": True})
        return avis

    promoted = None
    for place in lc_queue(formation_id, campagne_id):
        head = (Candidature.select(Candidature, Candidat, CompteCandidat, Formation)
                .join(Candidat).join(CompteCandidat).switch(Candidature).join(Formation)
                .where(Candidature.id == place.candidature_id).get())
        try:
            # Its row only: locking its candidate too would let two désistements in two
            # formations, each promoting the other's candidate, wait on each other.
            run("promouvoir", PROMOTION, head, write=write, today=today, lock_candidat=False,
                values={"confirmation": None, "date_confirmation": None,
                        "confirmation_par": None, "relance_envoyee": False,
                        "date_confirmation_manuelle": deadline})
        except WorkflowError:
            # Its avis changed between the queue's read and its lock (a console
            # user's new avis): not on the list any more, the next one is promoted.
            continue
        promoted = head
        break
    recompute_rangs(formation_id, campagne_id)
    return promoted


# --- Reminders ------------------------------------------------------------------------------

def relancer_favorable(candidature, today=None):
    """One reminder (CANDIDATURE_RELANCE_FAVO) within RELANCE_FAVORABLE_DAYS of the
    confirmation deadline of an unanswered favourable avis."""
    run("relance_favorable", RELANCE_FAVORABLE, candidature, today=today,
        values={"relance_envoyee": True})


def relancer_transmission(candidature, today=None):
    """One reminder (CANDIDATURE_RELANCE_TRANSMISSION) within RELANCE_TRANSMISSION_DAYS
    of the date limite de retour of a candidature never transmitted."""
    run("relance_transmission", RELANCE_TRANSMISSION, candidature, today=today,
        values={"relance_transmission_envoyee": True})


# --- What the jobs go through (each candidature is checked again under its lock) -----------

def _not_archived(query):
    """Candidatures of no campaign or of a campaign not archived: an archived
    campaign's candidatures wait for their destruction, nothing acts on them."""
    return query.where(Candidature.campagne.is_null()
                       | Candidature.campagne.in_(Campagne.select(Campagne.id)
                                                  .where(Campagne.archivee_le.is_null())))


def _with_last_favourable():
    """(candidature, its confirmation deadline) for the unanswered validated favourable
    avis: the avis and the formation come with each row (no query per row)."""
    latest = Avis.alias()
    last_id = latest.select(fn.MAX(latest.id)).where(latest.candidature == Candidature.id)
    return _not_archived(
        Candidature.select(Candidature, Formation, Avis).join(Formation)
        .switch(Candidature)
        .join(Avis, on=(Avis.candidature == Candidature.id), attr="dernier_avis")
        .where(Avis.id == last_id, Avis.type_avis == "FA", Avis.valide,
               Candidature.confirmation.is_null(), Candidature.date_annulation.is_null())
        .order_by(Candidature.id))


def _with_deadline(query):
    return [(c, date_confirmation(c, c.dernier_avis)) for c in query]


def due_desistements(today):
    """Unanswered validated favourable avis whose confirmation deadline has passed (the
    rules table checks each again under its lock: confirmation_deadline_passed)."""
    return [c for c, deadline in _with_deadline(_with_last_favourable())
            if deadline is not None and today > deadline]


def due_relances_favorables(today):
    """… within RELANCE_FAVORABLE_DAYS of their deadline, not reminded yet
    (relance_favorable_due, checked again under the lock)."""
    from flask import current_app
    days = current_app.config["RELANCE_FAVORABLE_DAYS"]
    return [c for c, deadline in _with_deadline(
        _with_last_favourable().where(~Candidature.relance_envoyee))
        if window(deadline, days, today)]


def due_relances_transmission(today):
    from flask import current_app
    last_day = today + datetime.timedelta(days=current_app.config["RELANCE_TRANSMISSION_DAYS"])
    query = (Candidature.select(Candidature, Formation).join(Formation)
             .where(Candidature.statut == "AT", Candidature.date_transmission.is_null(),
                    Candidature.date_annulation.is_null(),
                    ~Candidature.relance_transmission_envoyee,
                    (Candidature.date_retour_manuelle.is_null()
                     & Formation.date_retour.between(today, last_day))
                    | Candidature.date_retour_manuelle.between(today, last_day))
             .order_by(Candidature.id))
    return list(_not_archived(query))

