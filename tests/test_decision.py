"""After the decision (ecandidat.workflow.decision): Confirmation / Désistement by the
candidate and by a gestionnaire, their refusals, the liste complémentaire that moves
by itself and its rang réel. SQLite and PostgreSQL; the races are in test_races.py."""
import datetime

import pytest
import time_machine

from conftest import outbox
from ecandidat import clock, workflow
from ecandidat.models import AuditLog, Avis, Candidature, Formation, TypeDecision, User
from ecandidat.users import create_user
from ecandidat.workflow import commission, decision
from ecandidat.workflow.commission import InvalidInput
from factories import complete_candidat, open_formation

TODAY = clock.today()


@pytest.fixture
def lc_world(app, make_compte):
    """A formation with a liste complémentaire (LC deadline: 5 days after promotion),
    an administrator and a gestionnaire of its centre."""
    formation = open_formation("M1LC", liste_complementaire=True, delai_confirmation_lc=5,
                               date_confirmation=TODAY + datetime.timedelta(days=40))
    admin, _ = create_user("admin@example.org", "admin")
    gestionnaire, _ = create_user("gest@example.org", "gestionnaire", scope="DSS")
    membre, _ = create_user("membre@example.org", "commission", scope="COM-M1LC")
    return dict(formation=formation, make_compte=make_compte,
                admin=workflow.Actor.user(User.get_by_id(admin.id)),
                gestionnaire=workflow.Actor.user(User.get_by_id(gestionnaire.id)),
                membre=workflow.Actor.user(User.get_by_id(membre.id)))


def received(world, email, formation=None, same_candidate=False):
    """A candidature of a new candidate (of the candidate of `email` when
    `same_candidate`), with the commission (statut RE)."""
    if same_candidate:
        from ecandidat.models import Candidat, CompteCandidat
        candidat = (Candidat.select().join(CompteCandidat)
                    .where(CompteCandidat.email == email).get())
    else:
        compte, _ = world["make_compte"](email=email, nom=email.split("@")[0].upper())
        candidat = complete_candidat(compte)
    candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat,
                                      formation or world["formation"])
    Candidature.update(statut="RE").where(Candidature.id == candidature.id).execute()
    return Candidature.get_by_id(candidature.id)


def decided(world, email, type_avis="FA", rang=None, motivation_id=None):
    """A received candidature with a validated avis of `type_avis`."""
    candidature = received(world, email)
    commission.saisir_avis(world["admin"], [candidature], type_avis, rang=rang,
                           motivation_id=motivation_id)
    commission.valider_avis(world["admin"], [candidature])
    return fresh(candidature)


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def candidate_of(candidature):
    return workflow.Actor.candidat(candidature.candidat)


def mails():
    return [(m.code, m.destinataire) for m in outbox()]


def last(candidature):
    return Avis.select().where(Avis.candidature == candidature.id).order_by(Avis.id.desc()).get()


# --- Confirmation / Désistement ------------------------------------------------------------

def test_the_candidate_confirms_once_then_may_still_withdraw(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    me = candidate_of(favourable)
    assert workflow.may("confirmer", me, favourable) and workflow.may("desister", me, favourable)
    before = len(outbox())
    decision.confirmer(me, favourable)
    saved = fresh(favourable)
    assert (saved.confirmation, saved.confirmation_par) == ("CONFIRME", me.label)
    assert saved.date_confirmation is not None
    assert mails()[before:] == [("CANDIDATURE_CONFIRM", "fa@example.org")]
    assert AuditLog.select().where(AuditLog.action == "confirmer").count() == 1
    # Confirm twice: refused, nothing written, no mail.
    with pytest.raises(workflow.WorkflowError, match="déjà confirmée"):
        decision.confirmer(me, fresh(favourable))
    assert len(outbox()) == before + 1
    assert not workflow.may("confirmer", me, saved) and workflow.may("desister", me, saved)
    # Withdraw after confirming, with a reason; twice is refused.
    decision.desister(me, saved, motif="  J'ai choisi une autre université.  ")
    saved = fresh(favourable)
    assert (saved.confirmation, saved.motif_desistement) == (
        "DESISTE", "J'ai choisi une autre université.")
    assert [code for code, _ in mails()[before + 1:]] == [
        "CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT"]
    alert = outbox("COMMISSION_ALERT_DESISTEMENT")[-1]
    assert "J'ai choisi une autre université." in alert.corps_texte
    with pytest.raises(workflow.WorkflowError, match="déjà enregistré"):
        decision.desister(me, saved)
    with pytest.raises(workflow.WorkflowError, match="déjà enregistré"):
        decision.confirmer(me, saved)
    assert len(outbox()) == before + 3


@pytest.mark.parametrize("setup", ["no avis", "unvalidated FA", "validated DE", "validated LC",
                                   "newer unvalidated avis", "another candidate", "cancelled"])
def test_nothing_to_confirm_is_refused_and_changes_nothing(lc_world, setup):
    candidature = received(lc_world, "x@example.org")
    admin = lc_world["admin"]
    me = candidate_of(candidature)
    if setup == "unvalidated FA":
        commission.saisir_avis(admin, [candidature], "FA")
    elif setup == "validated DE":
        from ecandidat.models import MotivationAvis
        motif = MotivationAvis.create(code="CAP", libelle="Capacité atteinte")
        commission.saisir_avis(admin, [candidature], "DE", motivation_id=motif.id)
        commission.valider_avis(admin, [candidature])
    elif setup == "validated LC":
        commission.saisir_avis(admin, [candidature], "LC", rang=1)
        commission.valider_avis(admin, [candidature])
    elif setup == "newer unvalidated avis":
        commission.saisir_avis(admin, [candidature], "FA")
        commission.valider_avis(admin, [candidature])
        commission.saisir_avis(admin, [candidature], "LA")
    elif setup == "another candidate":
        commission.saisir_avis(admin, [candidature], "FA")
        commission.valider_avis(admin, [candidature])
        other = received(lc_world, "other@example.org")
        me = candidate_of(other)
    elif setup == "cancelled":
        commission.saisir_avis(admin, [candidature], "FA")
        commission.valider_avis(admin, [candidature])
        Candidature.update(date_annulation=clock.now()).where(
            Candidature.id == candidature.id).execute()
    before = (fresh(candidature).confirmation, len(outbox()), AuditLog.select().count())
    for act in (decision.confirmer, decision.desister):
        with pytest.raises(workflow.WorkflowError):
            act(me, fresh(candidature))
    assert (fresh(candidature).confirmation, len(outbox()), AuditLog.select().count()) == before


@pytest.mark.parametrize("offset, allowed", [(-1, True), (0, True), (1, False)])
def test_the_candidate_answers_until_the_deadline_included(lc_world, offset, allowed):
    favourable = decided(lc_world, "fa@example.org")
    deadline = workflow.date_confirmation(favourable)
    assert deadline == TODAY + datetime.timedelta(days=40)
    me = candidate_of(favourable)
    moment = datetime.datetime.combine(deadline + datetime.timedelta(days=offset),
                                       datetime.time(12), tzinfo=clock.zone())
    with time_machine.travel(moment, tick=False):
        assert workflow.may("confirmer", me, favourable) is allowed
        assert workflow.may("desister", me, favourable) is allowed
        if allowed:
            decision.confirmer(me, favourable)
            assert fresh(favourable).confirmation == "CONFIRME"
        else:
            with pytest.raises(workflow.WorkflowError, match="est dépassée"):
                decision.confirmer(me, favourable)
            with pytest.raises(workflow.WorkflowError, match="est dépassée"):
                decision.desister(me, favourable)
            assert fresh(favourable).confirmation is None
            # A gestionnaire still may, for the candidate.
            decision.desister(lc_world["gestionnaire"], favourable, motif="Appel reçu")
            assert fresh(favourable).confirmation_par == lc_world["gestionnaire"].label


def test_the_deadline_is_the_manual_date_else_the_delay_after_validation_else_the_formation(
        lc_world):
    favourable = decided(lc_world, "fa@example.org")
    formation = lc_world["formation"]
    assert workflow.date_confirmation(fresh(favourable)) == formation.date_confirmation
    Formation.update(date_confirmation=None, delai_confirmation=7).where(
        Formation.id == formation.id).execute()
    validated_on = clock.local(last(favourable).valide_le).date()
    assert workflow.date_confirmation(fresh(favourable)) == validated_on + datetime.timedelta(7)
    manual = TODAY + datetime.timedelta(days=3)
    commission.changer_date_confirmation(lc_world["admin"], [favourable], manual)
    assert workflow.date_confirmation(fresh(favourable)) == manual


def test_only_gestionnaires_answer_for_a_candidate(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    lecteur, _ = create_user("lecteur@example.org", "gestionnaire", scope="DSS",
                             lecture_seule=True)
    from ecandidat.models import Centre
    open_formation("LLCE", centre=Centre.create(code="LET", libelle="UFR Lettres"))
    ailleurs, _ = create_user("ailleurs@example.org", "gestionnaire", scope="LET")
    for actor, message in ((lc_world["membre"], "réservée aux gestionnaires"),
                           (workflow.Actor.user(User.get_by_id(lecteur.id)), "lecture seule"),
                           (workflow.Actor.user(User.get_by_id(ailleurs.id)), "périmètre")):
        with pytest.raises(workflow.WorkflowError, match=message):
            decision.confirmer(actor, fresh(favourable))
    assert fresh(favourable).confirmation is None
    decision.confirmer(lc_world["gestionnaire"], fresh(favourable))
    assert fresh(favourable).confirmation == "CONFIRME"


def test_a_too_long_reason_is_refused_next_to_its_field(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    with pytest.raises(InvalidInput) as error:
        decision.desister(candidate_of(favourable), favourable, motif="x" * 501)
    assert "motif" in error.value.errors
    assert fresh(favourable).confirmation is None


# --- Liste complémentaire ------------------------------------------------------------------

def lc_queue_state(world):
    """[(candidature id, rang, rang réel)] of the formation's liste complémentaire."""
    return [(avis.candidature_id, avis.rang, avis.rang_reel)
            for avis in decision.lc_queue(world["formation"].id)]


queue = lc_queue_state


def test_a_withdrawal_promotes_the_first_of_the_list_by_rang_then_avis(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    third = decided(lc_world, "c3@example.org", "LC", rang=3)
    second_b = decided(lc_world, "c2b@example.org", "LC", rang=2)
    first = decided(lc_world, "c1@example.org", "LC", rang=1)
    second_a = decided(lc_world, "c2a@example.org", "LC", rang=2)
    # Rang réel computed at each validation: by rang, then by avis (second_b's came first).
    assert queue(lc_world) == [(first.id, 1, 1), (second_b.id, 2, 2), (second_a.id, 2, 3),
                               (third.id, 3, 4)]
    TypeDecision.create(code="FAV-LC", libelle="Admis sur liste complémentaire",
                        type_avis="FA")
    Formation.update(type_decision_fav_lc=TypeDecision.get(code="FAV-LC").id).where(
        Formation.id == lc_world["formation"].id).execute()
    before = len(outbox())
    promoted = decision.desister(candidate_of(favourable), favourable)
    assert promoted.id == first.id
    avis = last(first)
    assert (avis.type_avis, avis.valide, avis.type_decision.code) == ("FA", True, "FAV-LC")
    saved = fresh(first)
    assert saved.date_confirmation_manuelle == TODAY + datetime.timedelta(days=5)
    assert workflow.date_confirmation(saved) == TODAY + datetime.timedelta(days=5)
    assert mails()[before:] == [
        ("CANDIDATURE_DESIST", "fa@example.org"),
        ("COMMISSION_ALERT_DESISTEMENT", "com-m1lc@example.org"),
        ("AVIS_FAVORABLE", "c1@example.org"),
        ("COMMISSION_ALERT_LISTE_PRINC", "com-m1lc@example.org")]
    # Its mail gives its own deadline, in the institution's words.
    from flask_babel import format_date
    assert format_date(TODAY + datetime.timedelta(days=5), "d MMMM yyyy") in \
        outbox("AVIS_FAVORABLE")[-1].corps_texte
    assert queue(lc_world) == [(second_b.id, 2, 1), (second_a.id, 2, 2), (third.id, 3, 3)]
    trail = AuditLog.select().where(AuditLog.actor == decision.PROMOTION.label)
    assert {row.action for row in trail} == {"avis", "promouvoir"}
    # The promoted candidate answers like any favourable one; withdrawing promotes the next.
    assert workflow.may("confirmer", candidate_of(saved), saved)
    assert decision.desister(candidate_of(saved), saved).id == second_b.id


def test_the_lc_deadline_is_the_formation_date_when_it_has_one(lc_world):
    day = TODAY + datetime.timedelta(days=12)
    Formation.update(date_confirmation_lc=day, delai_confirmation_lc=None).where(
        Formation.id == lc_world["formation"].id).execute()
    favourable = decided(lc_world, "fa@example.org")
    waiting = decided(lc_world, "lc@example.org", "LC", rang=1)
    decision.desister(lc_world["gestionnaire"], favourable)
    assert workflow.date_confirmation(fresh(waiting)) == day


def test_who_is_not_promoted(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    cancelled = decided(lc_world, "gone@example.org", "LC", rang=1)
    Candidature.update(date_annulation=clock.now()).where(
        Candidature.id == cancelled.id).execute()
    reconsidered = decided(lc_world, "new-avis@example.org", "LC", rang=1)
    commission.saisir_avis(lc_world["admin"], [reconsidered], "LA")  # not validated yet
    unranked_at_3 = decided(lc_world, "c3@example.org", "LC", rang=3)
    assert decision.desister(candidate_of(favourable), favourable).id == unranked_at_3.id
    assert last(reconsidered).type_avis == "LA" and last(cancelled).type_avis == "LC"


def test_no_promotion_without_a_liste_complementaire_or_anyone_on_it(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    other = decided(lc_world, "fa2@example.org")
    waiting = decided(lc_world, "lc@example.org", "LC", rang=1)
    Formation.update(liste_complementaire=False).where(
        Formation.id == lc_world["formation"].id).execute()
    assert decision.desister(candidate_of(favourable), favourable) is None
    assert last(waiting).type_avis == "LC"
    Formation.update(liste_complementaire=True).where(
        Formation.id == lc_world["formation"].id).execute()
    Candidature.update(date_annulation=clock.now()).where(
        Candidature.id == waiting.id).execute()
    assert decision.desister(candidate_of(other), other) is None


def test_a_new_avis_takes_a_candidate_off_the_queue_and_the_ranks_follow(lc_world):
    first = decided(lc_world, "c1@example.org", "LC", rang=1)
    second = decided(lc_world, "c2@example.org", "LC", rang=2)
    assert queue(lc_world) == [(first.id, 1, 1), (second.id, 2, 2)]
    commission.saisir_avis(lc_world["admin"], [first], "FA")
    assert queue(lc_world) == [(second.id, 2, 1)]


def test_a_failed_promotion_undoes_the_withdrawal(lc_world, monkeypatch):
    favourable = decided(lc_world, "fa@example.org")
    waiting = decided(lc_world, "lc@example.org", "LC", rang=1)
    before = (len(outbox()), AuditLog.select().count(), Avis.select().count())

    def broken(*args, **kwargs):
        raise RuntimeError("crash mid-action")
    monkeypatch.setattr(decision, "recompute_rangs", broken)
    with pytest.raises(RuntimeError):
        decision.desister(candidate_of(favourable), favourable)
    assert fresh(favourable).confirmation is None and last(waiting).type_avis == "LC"
    assert (len(outbox()), AuditLog.select().count(), Avis.select().count()) == before


def test_rang_display_values_are_on_the_last_avis(lc_world):
    waiting = decided(lc_world, "lc@example.org", "LC", rang=7)
    assert (last(waiting).rang, last(waiting).rang_reel) == (7, 1)


def test_a_new_avis_resets_the_answer_and_its_reminder(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    decision.desister(candidate_of(favourable), favourable, motif="Autre choix")
    Candidature.update(relance_envoyee=True).where(Candidature.id == favourable.id).execute()
    commission.saisir_avis(lc_world["admin"], [fresh(favourable)], "FA")
    saved = fresh(favourable)
    assert (saved.confirmation, saved.motif_desistement, saved.relance_envoyee) == (
        None, None, False)
    # Not published yet: nothing to answer until it is validated.
    assert not workflow.may("confirmer", candidate_of(saved), saved)
    commission.valider_avis(lc_world["admin"], [saved])
    assert workflow.may("confirmer", candidate_of(saved), fresh(favourable))


def test_the_head_is_promoted_whatever_its_statut_du_dossier(lc_world):
    favourable = decided(lc_world, "fa@example.org")
    head = decided(lc_world, "lc@example.org", "LC", rang=1)
    commission.changer_statut(lc_world["admin"], [fresh(head)], "AT")  # its LC avis kept
    assert decision.desister(candidate_of(favourable), favourable).id == head.id
    assert fresh(favourable).confirmation == "DESISTE" and last(head).type_avis == "FA"


def test_a_head_whose_avis_changed_after_the_queue_was_read_is_skipped(lc_world, monkeypatch):
    favourable = decided(lc_world, "fa@example.org")
    head = decided(lc_world, "c1@example.org", "LC", rang=1)
    second = decided(lc_world, "c2@example.org", "LC", rang=2)
    read = decision.lc_queue(lc_world["formation"].id)  # as read before the new avis
    commission.saisir_avis(lc_world["admin"], [fresh(head)], "LA")
    monkeypatch.setattr(decision, "lc_queue", lambda *args: read)
    assert decision.desister(candidate_of(favourable), favourable).id == second.id
    assert last(head).type_avis == "LA" and not last(head).valide


def test_the_jobs_leave_an_archived_campaign_alone(lc_world):
    from ecandidat.models import Campagne
    favourable = decided(lc_world, "fa@example.org")
    late = TODAY + datetime.timedelta(days=41)
    assert [c.id for c in decision.due_desistements(late)] == [favourable.id]
    campagne = Campagne.create(code="2025", libelle="Campagne 2025",
                               date_debut=TODAY - datetime.timedelta(days=400),
                               date_fin=TODAY - datetime.timedelta(days=30),
                               archivee_le=clock.now())
    Candidature.update(campagne=campagne.id).where(Candidature.id == favourable.id).execute()
    assert decision.due_desistements(late) == []
    assert decision.due_relances_favorables(TODAY + datetime.timedelta(days=39)) == []


def test_nothing_moves_in_an_archived_campaign(lc_world):
    from ecandidat.models import Campagne
    favourable = decided(lc_world, "fa@example.org")
    waiting = decided(lc_world, "lc@example.org", "LC", rang=1)
    campagne = Campagne.create(code="2024", libelle="Campagne 2024",
                               date_debut=TODAY - datetime.timedelta(days=400),
                               date_fin=TODAY - datetime.timedelta(days=30),
                               archivee_le=clock.now() - datetime.timedelta(days=10))
    Candidature.update(campagne=campagne.id).where(
        Candidature.id.in_([favourable.id, waiting.id])).execute()
    before = len(outbox())
    for act, actor in ((decision.confirmer, candidate_of(favourable)),
                       (decision.desister, candidate_of(favourable)),
                       (decision.desister, lc_world["gestionnaire"])):
        with pytest.raises(workflow.WorkflowError, match="archivée"):
            act(actor, fresh(favourable))
    with pytest.raises(workflow.WorkflowError, match="archivée"):
        decision.desister_auto(fresh(favourable), TODAY + datetime.timedelta(days=41))
    assert decision.promouvoir(lc_world["formation"].id, campagne.id) is None
    assert len(outbox()) == before and last(waiting).type_avis == "LC"


def test_each_campaign_has_its_own_list(lc_world):
    from ecandidat.models import Campagne
    favourable = decided(lc_world, "fa@example.org")
    other_campaign = decided(lc_world, "old@example.org", "LC", rang=1)
    same_campaign = decided(lc_world, "lc@example.org", "LC", rang=2)
    old = Campagne.create(code="2025", libelle="Campagne 2025",
                          date_debut=TODAY - datetime.timedelta(days=400),
                          date_fin=TODAY - datetime.timedelta(days=30))
    Candidature.update(campagne=old.id).where(Candidature.id == other_campaign.id).execute()
    # favourable has no campaign (none was active): only the list of no campaign moves.
    assert decision.desister(candidate_of(favourable), favourable).id == same_campaign.id
    assert last(other_campaign).type_avis == "LC"


def test_a_deadlock_aborted_withdrawal_is_run_again_once(lc_world, monkeypatch):
    """PostgreSQL aborts one of two transactions that wait on each other: the
    désistement is run again from the start, and happens once."""
    from peewee import OperationalError
    favourable = decided(lc_world, "fa@example.org")
    waiting = decided(lc_world, "lc@example.org", "LC", rang=1)

    class Deadlock(Exception):
        sqlstate = "40P01"
    real, calls = decision.promouvoir, []

    def aborted_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(Deadlock("deadlock detected"))
        return real(*args, **kwargs)
    monkeypatch.setattr(decision, "promouvoir", aborted_once)
    before = len(outbox())
    assert decision.desister(candidate_of(favourable), favourable).id == waiting.id
    assert len(calls) == 2
    assert [m.code for m in outbox()[before:]] == [
        "CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT", "AVIS_FAVORABLE",
        "COMMISSION_ALERT_LISTE_PRINC"]
    assert AuditLog.select().where(AuditLog.action == "desister").count() == 1
    # Any other database error is not retried.
    calls.clear()
    other = decided(lc_world, "fa2@example.org")
    monkeypatch.setattr(decision, "promouvoir",
                        lambda *a, **k: (_ for _ in ()).throw(OperationalError(Exception("x"))))
    with pytest.raises(OperationalError):
        decision.desister(candidate_of(other), other)
    assert fresh(other).confirmation is None
