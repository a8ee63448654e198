"""Actions that arrive at the same time, in real threads with a database connection
each (SQLite file database in WAL mode, or PostgreSQL): exactly one of competing
transitions happens, with its one audit row and its mails; uploads leave one row
and one file per piece."""
import os
import threading

import pytest

from conftest import is_postgres, outbox
from ecandidat import workflow
from ecandidat.db import database
from ecandidat.models import AuditLog, Candidature, PieceCandidat
from factories import PDF_BYTES, PNG_BYTES, complete_candidat, open_formation, pieces, question


def race(app, *actions):
    """Run each action in its own thread (own app context, own connection), all
    released together; returns what each returned, or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def worker(index, action):
        with app.app_context(), database.connection_context():
            barrier.wait()
            try:
                results[index] = action()
            except Exception as error:  # the test looks at what each got
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def refused(results):
    unexpected = [r for r in results if isinstance(r, Exception)
                  and not isinstance(r, workflow.WorkflowError)]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, workflow.WorkflowError)]


@pytest.fixture
def world(app, make_compte):
    compte, _ = make_compte()
    candidat = complete_candidat(compte)
    formation = open_formation()
    return candidat, workflow.Actor.candidat(candidat), formation, pieces(formation)


def ready(world, code=None):
    """A candidature with everything provided, ready to be transmitted."""
    candidat, actor, formation, asked = world
    if code:
        formation = open_formation(code=code)
        asked = dict(asked, lettre=pieces(formation)["lettre"])
    q = question(formation)
    candidature = workflow.candidater(actor, candidat, formation)
    workflow.deposer_piece(actor, candidature, asked["lettre"], PDF_BYTES, "lettre.pdf")
    workflow.deposer_piece(actor, candidature, asked["identite"], PNG_BYTES, "id.png")
    workflow.declarer_non_concerne(actor, candidature, asked["handicap"])
    workflow.repondre(actor, candidature, q, "oui")
    return candidature


def fresh(candidature):
    """Another instance of the row, as each request would load its own."""
    return Candidature.get_by_id(candidature.id)


def files_match_rows(app):
    """Every stored file is referenced by a row, and every row's file exists."""
    folder = app.config["UPLOAD_FOLDER"]
    on_disk = {name for name in os.listdir(folder) if not name.endswith(".part")}
    referenced = {r.fichier for r in PieceCandidat.select() if r.fichier}
    assert on_disk == referenced
    return on_disk


def test_four_simultaneous_transmissions_happen_once(app, world):
    candidat, actor, formation, asked = world
    candidature = ready(world)
    mails_before = len(outbox())
    results = race(app, *[lambda: workflow.transmettre(actor, fresh(candidature))] * 4)
    assert len(refused(results)) == 3
    assert fresh(candidature).statut == "RE"
    assert AuditLog.select().where(AuditLog.action == "transmettre").count() == 1
    assert [m.code for m in outbox()[mails_before:]] == ["STATUT_RE",
                                                         "COMMISSION_ALERT_TRANSMISSION"]
    # Each candidature keeps one copy of each shared piece, whoever won.
    assert PieceCandidat.select().where(PieceCandidat.candidature == candidature.id).count() == 3


@pytest.mark.parametrize("round_", range(3))
def test_transmit_and_cancel_at_once_end_in_one_coherent_state(app, world, round_):
    candidat, actor, formation, asked = world
    candidature = ready(world, code=f"R{round_}")
    own_files = {r.fichier for r in PieceCandidat.select().where(
        PieceCandidat.candidature == candidature.id) if r.fichier}
    results = race(app, lambda: workflow.transmettre(actor, fresh(candidature)),
                   lambda: workflow.annuler(actor, fresh(candidature)))
    assert len(refused(results)) == 1
    final = fresh(candidature)
    actions = [a.action for a in AuditLog.select().where(
        AuditLog.table == "candidature", AuditLog.record_id == candidature.id,
        AuditLog.action.in_(["transmettre", "annuler"]))]
    on_disk = files_match_rows(app)
    if final.date_annulation is None:
        assert (final.statut, actions) == ("RE", ["transmettre"])
        assert own_files <= on_disk
        assert PieceCandidat.select().where(PieceCandidat.candidature == candidature.id).count()
    else:
        assert (final.statut, actions) == ("AT", ["annuler"])
        assert not own_files & on_disk
        assert not PieceCandidat.select().where(
            PieceCandidat.candidature == candidature.id).exists()


@pytest.mark.parametrize("piece_key", ["lettre", "identite"])
@pytest.mark.parametrize("existing", [False, True], ids=["new", "replacement"])
def test_two_uploads_of_the_same_piece_leave_one_row_and_one_file(app, world, piece_key,
                                                                  existing):
    candidat, actor, formation, asked = world
    candidature = workflow.candidater(actor, candidat, formation)
    other = workflow.candidater(actor, candidat, open_formation(code="M2"))
    piece = asked[piece_key]
    if existing:
        workflow.deposer_piece(actor, candidature, piece, PDF_BYTES, "avant.pdf")
    # A shared piece is uploaded from two candidatures, an own piece twice from one.
    targets = (candidature, other if piece.partagee else candidature)
    results = race(app, *[lambda c=c, n=n: workflow.deposer_piece(actor, fresh(c), piece,
                                                                    PNG_BYTES, n)
                          for c, n in zip(targets, ("un.png", "deux.png"))])
    refused(results)
    rows = list(PieceCandidat.select().where(PieceCandidat.piece == piece.id))
    assert len(rows) == 1 and rows[0].nom_original in ("un.png", "deux.png")
    assert files_match_rows(app) == {rows[0].fichier}


def test_replacing_a_shared_piece_while_another_candidature_is_transmitted(app, world):
    """The transmitted candidature keeps one version of the piece, and its file."""
    candidat, actor, formation, asked = world
    candidature = ready(world)
    other = workflow.candidater(actor, candidat, open_formation(code="M2"))
    results = race(app, lambda: workflow.transmettre(actor, fresh(candidature)),
                   lambda: workflow.deposer_piece(actor, fresh(other), asked["identite"],
                                                  PDF_BYTES, "nouvelle.pdf"))
    assert not refused(results)
    sent = {p.code: r for p, r in workflow.piece_rows(fresh(candidature))}["ID"]
    assert sent.candidature_id == candidature.id
    assert sent.fichier in files_match_rows(app)


# --- Console users acting at once ---------------------------------------------------------

def console_actor(role, scope, email):
    from ecandidat.models import User
    from ecandidat.users import create_user
    user, _ = create_user(email, role, scope=scope)
    return workflow.Actor.user(User.get_by_id(user.id))


def test_two_validations_of_the_same_avis_publish_it_once(app, world):
    from ecandidat.models import Avis
    from ecandidat.workflow import commission
    candidat, actor, formation, asked = world
    candidature = ready(world)
    workflow.transmettre(actor, candidature)
    gestionnaire = console_actor("gestionnaire", "DSS", "g1@example.org")
    other = console_actor("gestionnaire", "DSS", "g2@example.org")
    commission.saisir_avis(gestionnaire, [fresh(candidature)], "FA")
    results = race(app, *[lambda who=who: commission.valider_avis(who, [fresh(candidature)])
                          for who in (gestionnaire, other, gestionnaire, other)])
    assert len(refused(results)) == 3
    assert len(outbox("AVIS_FAVORABLE")) == 1
    assert AuditLog.select().where(AuditLog.action == "valider_avis").count() == 1
    assert Avis.select().where(Avis.valide).count() == 1


def test_overlapping_selections_never_deadlock_nor_write_half(app, world):
    """Two bulk changes on the same selection, given in opposite orders: the locks
    are taken in one order (no deadlock); the second sees the first's result
    (Complet cannot follow Complet) and is refused whole."""
    from ecandidat.workflow import commission
    candidat, actor, formation, asked = world
    first, second = ready(world), ready(world, code="M2")
    for candidature in (first, second):
        workflow.transmettre(actor, candidature)
    admin = console_actor("admin", None, "admin@example.org")
    results = race(app,
                   lambda: commission.changer_statut(admin, [fresh(first), fresh(second)], "CO"),
                   lambda: commission.changer_statut(admin, [fresh(second), fresh(first)], "CO"))
    assert len(refused(results)) == 1
    assert {fresh(c).statut for c in (first, second)} == {"CO"}
    assert len(outbox("STATUT_CO")) == 2
    assert AuditLog.select().where(AuditLog.action == "statut_CO").count() == 2


# --- After the decision: answers and the liste complémentaire ---------------------------

@pytest.fixture
def lc_world(app, make_compte):
    from test_decision import lc_world as build
    return build.__wrapped__(app, make_compte)


@pytest.mark.parametrize("round_", range(3))
def test_two_withdrawals_at_once_promote_two_different_candidates(app, lc_world, round_):
    from ecandidat.models import Avis
    from ecandidat.workflow import decision
    from test_decision import candidate_of, decided, lc_queue_state
    leaving = [decided(lc_world, f"fa{i}@example.org") for i in range(2)]
    waiting = [decided(lc_world, f"lc{i}@example.org", "LC", rang=i + 1) for i in range(3)]
    results = race(app, *[lambda c=c: decision.desister(candidate_of(c), fresh(c))
                          for c in leaving])
    assert not refused(results)
    promoted = sorted(r.id for r in results)
    assert promoted == sorted(c.id for c in waiting[:2])
    for candidature in waiting[:2]:
        assert Avis.select().where(Avis.candidature == candidature.id,
                                   Avis.type_avis == "FA", Avis.valide).count() == 1
    assert lc_queue_state(lc_world) == [(waiting[2].id, 3, 1)]
    assert sorted(m.destinataire for m in outbox("AVIS_FAVORABLE")
                  if m.destinataire.startswith("lc")) == ["lc0@example.org", "lc1@example.org"]


def test_a_double_click_on_withdraw_promotes_once(app, lc_world):
    from ecandidat.workflow import decision
    from test_decision import candidate_of, decided, lc_queue_state
    leaving = decided(lc_world, "fa@example.org")
    waiting = [decided(lc_world, f"lc{i}@example.org", "LC", rang=i + 1) for i in range(2)]
    before = len(outbox())
    results = race(app, *[lambda: decision.desister(candidate_of(leaving), fresh(leaving))] * 3)
    assert len(refused(results)) == 2
    assert lc_queue_state(lc_world) == [(waiting[1].id, 2, 1)]
    assert [m.code for m in outbox()[before:]] == [
        "CANDIDATURE_DESIST", "COMMISSION_ALERT_DESISTEMENT", "AVIS_FAVORABLE",
        "COMMISSION_ALERT_LISTE_PRINC"]


def test_a_confirmation_against_the_deadline_job_ends_in_one_answer(app, lc_world):
    import datetime
    from ecandidat import clock
    from ecandidat.workflow import commission, decision
    from test_decision import decided
    late = decided(lc_world, "late@example.org")
    commission.changer_date_confirmation(lc_world["admin"], [late],
                                         clock.today() - datetime.timedelta(days=1))
    results = race(app, lambda: decision.confirmer(lc_world["gestionnaire"], fresh(late)),
                   lambda: decision.desister_auto(fresh(late)))
    assert len(refused(results)) == 1
    final = fresh(late)
    answers = AuditLog.select().where(AuditLog.table == "candidature",
                                      AuditLog.record_id == late.id,
                                      AuditLog.action.in_(["confirmer", "desister_auto"]))
    assert [a.action for a in answers] == [
        "confirmer" if final.confirmation == "CONFIRME" else "desister_auto"]


@pytest.mark.parametrize("round_", range(3))
def test_a_new_avis_on_the_head_during_a_withdrawal_never_deadlocks(app, lc_world, round_):
    from ecandidat.models import Avis
    from ecandidat.workflow import commission, decision
    from test_decision import candidate_of, decided
    leaving = decided(lc_world, "fa@example.org")
    head = decided(lc_world, "lc1@example.org", "LC", rang=1)
    second = decided(lc_world, "lc2@example.org", "LC", rang=2)
    results = race(app, lambda: decision.desister(candidate_of(leaving), fresh(leaving)),
                   lambda: commission.saisir_avis(lc_world["admin"], [fresh(head)], "LA"))
    assert not refused(results)
    promoted = results[0]
    assert promoted.id in (head.id, second.id)
    promotions = Avis.select().where(Avis.type_avis == "FA", Avis.valide,
                                     Avis.candidature.in_([head.id, second.id]))
    assert [a.candidature_id for a in promotions] == [promoted.id]


def test_withdrawals_in_two_formations_promoting_each_other_never_deadlock(
        app, lc_world, monkeypatch):
    """A withdraws in F1 where B heads the list, B withdraws in F2 where A heads it;
    both hold the formation while promoting (a barrier makes them meet there)."""
    import datetime
    from ecandidat import clock
    from ecandidat.workflow import decision
    from factories import open_formation
    from test_decision import candidate_of, decided, last, received
    f1 = lc_world["formation"]
    f2 = open_formation("M2LC", liste_complementaire=True, delai_confirmation_lc=5,
                        date_confirmation=clock.today() + datetime.timedelta(days=40))
    a1 = decided(lc_world, "a@example.org")
    b1 = received(lc_world, "b@example.org", formation=f2)
    b2 = received(lc_world, "b@example.org", formation=f1, same_candidate=True)
    a2 = received(lc_world, "a@example.org", formation=f2, same_candidate=True)
    admin = lc_world["admin"]
    from ecandidat.workflow import commission
    commission.saisir_avis(admin, [b1], "FA")
    commission.saisir_avis(admin, [b2], "LC", rang=1)
    commission.saisir_avis(admin, [a2], "LC", rang=1)
    commission.valider_avis(admin, [fresh(b1), fresh(b2), fresh(a2)])
    if is_postgres():
        # Both hold their formation before promoting. (SQLite lets one writer in at
        # a time: the other would wait for the first, never meet it there.)
        barrier = threading.Barrier(2, timeout=10)
        real = decision.lock_formation

        def meet(formation_id):
            row = real(formation_id)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            return row
        monkeypatch.setattr(decision, "lock_formation", meet)
    results = race(app, lambda: decision.desister(candidate_of(a1), fresh(a1)),
                   lambda: decision.desister(candidate_of(b1), fresh(b1)))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.id for r in results) == sorted([b2.id, a2.id])
    assert last(b2).type_avis == "FA" and last(a2).type_avis == "FA"
