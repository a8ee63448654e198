"""Supprimer mon compte at the same moment as the candidate's other actions, in real
threads with a connection each (SQLite file in WAL mode, or PostgreSQL): whichever comes
first, the end state is whole — a transmitted candidature is never deleted, and a
deleted account leaves no row nor file behind."""
import os

import pytest

from ecandidat import personal_data, workflow
from ecandidat.models import (AuditLog, Candidat, Candidature, CompteCandidat, PieceCandidat)
from factories import PDF_BYTES, open_formation
from test_races import files_match_rows, fresh, race, ready, world  # noqa: F401 (fixture)


def account(candidat):
    return CompteCandidat.get_by_id(candidat.compte_id)


def outcome(results, allowed):
    """Each result is a value or one of the `allowed` refusals; returns the refusals."""
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, allowed)]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, Exception)]


def assert_wholly_deleted(app, candidat):
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    assert CompteCandidat.get_or_none(CompteCandidat.id == candidat.compte_id) is None
    left = {model.__name__: ids for model, ids in
            personal_data.owned_rows(candidat.compte_id).items()
            if ids and model is not CompteCandidat}
    assert left == {}
    assert not Candidature.select().where(Candidature.candidat == candidat.id).exists()
    assert files_match_rows(app) == set()
    assert AuditLog.select().where(AuditLog.action == personal_data.ACTION_DELETE).count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_transmit_and_delete_at_once_never_delete_a_transmitted_candidature(app, world,
                                                                           round_):
    candidat, actor, formation, asked = world
    candidature = ready(world)
    files = {r.fichier for r in PieceCandidat.select() if r.fichier}
    compte = account(candidat)
    results = race(app, lambda: workflow.transmettre(actor, fresh(candidature)),
                   lambda: personal_data.delete_account(CompteCandidat.get_by_id(compte.id)))
    [refusal] = outcome(results, (workflow.WorkflowError, personal_data.DeletionRefused))
    if isinstance(refusal, personal_data.DeletionRefused):
        # Transmitted first: everything is there, as transmitted.
        assert fresh(candidature).statut == "RE"
        assert Candidat.get_or_none(Candidat.id == candidat.id) is not None
        assert files <= files_match_rows(app)
        assert not AuditLog.select().where(
            AuditLog.action == personal_data.ACTION_DELETE).exists()
    else:
        # Deleted first: the transmission found nothing left, and said so.
        assert refusal.message == workflow.core.GONE
        assert not AuditLog.select().where(AuditLog.action == "transmettre").exists()
        assert_wholly_deleted(app, candidat)


@pytest.mark.parametrize("round_", range(2))
def test_an_upload_at_the_moment_of_the_deletion_leaves_no_file(app, world, round_):
    candidat, actor, formation, asked = world
    candidature = workflow.candidater(actor, candidat, formation)
    compte = account(candidat)
    results = race(app, lambda: workflow.deposer_piece(actor, fresh(candidature),
                                                       asked["lettre"], PDF_BYTES, "l.pdf"),
                   lambda: personal_data.delete_account(CompteCandidat.get_by_id(compte.id)))
    outcome(results, (workflow.WorkflowError,))
    assert_wholly_deleted(app, candidat)


@pytest.mark.parametrize("round_", range(2))
def test_a_new_candidature_at_the_moment_of_the_deletion_goes_with_the_account(app, world,
                                                                               round_):
    candidat, actor, formation, asked = world
    compte = account(candidat)
    other = open_formation(code=f"N{round_}")
    results = race(app, lambda: workflow.candidater(actor, Candidat.get_by_id(candidat.id),
                                                    other),
                   lambda: personal_data.delete_account(CompteCandidat.get_by_id(compte.id)))
    outcome(results, (workflow.WorkflowError,))
    assert_wholly_deleted(app, candidat)


def test_an_action_that_waited_for_a_deleted_account_is_refused_in_french(app, world):
    """The order the threads above may or may not meet, made certain: the deletion
    commits first, then the transmission takes its locks and finds nothing."""
    candidat, actor, formation, asked = world
    candidature = ready(world)
    Candidature.update(statut="AT").where(Candidature.id == candidature.id).execute()
    personal_data.delete_account(account(candidat))
    with pytest.raises(workflow.WorkflowError) as refused:
        workflow.transmettre(actor, candidature)
    assert refused.value.message == workflow.core.GONE
    with pytest.raises(workflow.WorkflowError):
        workflow.candidater(actor, candidat, open_formation(code="APRES"))
    assert_wholly_deleted(app, candidat)
