"""`flask --app app invariants`: the demo database is clean (exit 0); each impossible
state, written directly in the database or the upload folder, is reported with the
ids concerned and makes the command exit 1; states that look alike but are allowed
(a dossier given back Incomplet, a fresh upload, a replaced avis) are not reported.
The checks run a fixed number of queries whatever the number of candidatures.
SQLite and PostgreSQL."""
import datetime
import os
import time

import pytest
from argon2 import PasswordHasher

from conftest import is_postgres
from ecandidat import invariants, security
from ecandidat.db import database
from ecandidat.demo import create_demo
from ecandidat.models import (Avis, Candidat, Candidature, CompteCandidat, PieceCandidat,
                              PieceJustificative)
from test_catalog import counting_queries

UNIQUE_LIVE_INDEX = "candidature_candidat_id_formation_id"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Cheap argon2 parameters: the demo hashes a password per account."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))


@pytest.fixture
def demo(app):
    create_demo()
    return app


def run(runner, *args):
    return runner.invoke(args=["invariants", *args])


def candidature_of(email):
    return (Candidature.select().join(Candidat).join(CompteCandidat)
            .where(CompteCandidat.email == email).get())


def upload_folder(app):
    return app.config["UPLOAD_FOLDER"]


def age(path, seconds):
    """Make the file look written `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_demo_database_is_clean(demo, runner):
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "Aucun état impossible." in result.output
    assert list(invariants.find_violations()) == []


def test_the_demo_stays_clean_once_its_files_are_old(demo, runner):
    """Every file the demo stored is referenced: no orphan even without a grace period."""
    for name in os.listdir(upload_folder(demo)):
        age(os.path.join(upload_folder(demo), name), 86400)
    result = run(runner, "--grace", "0")
    assert result.exit_code == 0, result.output


def transmitted_with_files():
    candidature = candidature_of("hugo.bernard@example.org")
    assert candidature.statut == "RE" and candidature.date_transmission is not None
    return candidature


def test_a_transmitted_candidature_without_its_row_for_an_asked_piece(demo, runner):
    candidature = transmitted_with_files()
    piece = PieceJustificative.get(PieceJustificative.code == "LM")
    PieceCandidat.delete().where(PieceCandidat.candidature == candidature.id,
                                 PieceCandidat.piece == piece.id).execute()
    result = run(runner)
    assert result.exit_code == 1
    assert (f"[piece-manquante] candidature {candidature.id} transmise sans la pièce demandée "
            f"« Lettre de motivation » (pièce {piece.id})") in result.output
    assert "États impossibles trouvés : 1" in result.output
    (violation,) = invariants.find_violations()
    assert violation.ids == {"candidature": (candidature.id,), "piece_justificative": (piece.id,)}


def test_a_piece_added_after_the_transmission_is_not_missing(demo, runner):
    """A piece asked of every formation from now on: the candidatures already
    transmitted never had it to give; those transmitted later do."""
    candidature = transmitted_with_files()
    later = candidature.date_transmission + datetime.timedelta(days=1)
    piece = PieceJustificative.create(code="NEW", libelle="Pièce ajoutée", cree_le=later)
    assert run(runner).exit_code == 0
    piece.cree_le = candidature.date_transmission - datetime.timedelta(days=1)
    piece.save()
    result = run(runner)
    assert result.exit_code == 1
    assert (f"[piece-manquante] candidature {candidature.id} transmise sans la pièce demandée "
            f"« Pièce ajoutée » (pièce {piece.id})") in result.output


def test_a_transmitted_candidature_with_a_row_but_no_file(demo, runner):
    candidature = transmitted_with_files()
    row = (PieceCandidat.select().join(PieceJustificative)
           .where(PieceCandidat.candidature == candidature.id,
                  PieceJustificative.code == "CV").get())
    assert row.fichier and row.statut == "TR"
    PieceCandidat.update(fichier=None).where(PieceCandidat.id == row.id).execute()
    result = run(runner)
    assert result.exit_code == 1
    assert (f"candidature {candidature.id} transmise sans fichier pour la pièce « Curriculum "
            f"Vitae » (réponse {row.id}, statut TR") in result.output
    # The file stays referenced by the candidate's shared row: no orphan besides.
    kinds = [v.kind for v in invariants.find_violations(grace=invariants.DEFAULT_GRACE * 0)]
    assert kinds == ["piece-manquante"]


def test_non_concerne_is_an_answer_but_an_empty_row_put_back_en_attente_is_not(demo, runner):
    candidature = transmitted_with_files()
    handicap = (PieceCandidat.select().join(PieceJustificative)
                .where(PieceCandidat.candidature == candidature.id,
                       PieceJustificative.code == "HANDI").get())
    assert handicap.statut == "NC" and handicap.fichier is None
    assert run(runner).exit_code == 0
    PieceCandidat.update(statut="AT").where(PieceCandidat.id == handicap.id).execute()
    result = run(runner)
    assert result.exit_code == 1 and f"réponse {handicap.id}, statut AT" in result.output


def test_a_dossier_given_back_incomplet_may_lack_a_piece(demo, runner):
    """IN gives the file back to the candidate, who may remove a piece before sending
    it again: not an impossible state."""
    candidature = candidature_of("lucas.robert@example.org")
    assert candidature.statut == "IN" and candidature.date_transmission is not None
    PieceCandidat.delete().where(PieceCandidat.candidature == candidature.id).execute()
    assert run(runner).exit_code == 0


@pytest.fixture
def without_the_unique_index(demo):
    """The partial unique index forbids two live candidatures: drop it for the test,
    put it back once the duplicate is gone."""
    database.execute_sql(f'DROP INDEX "{UNIQUE_LIVE_INDEX}"')
    created = []
    yield created
    Candidature.delete().where(Candidature.id.in_(created)).execute()
    database.execute_sql(f'CREATE UNIQUE INDEX "{UNIQUE_LIVE_INDEX}" ON "candidature" '
                         '("candidat_id", "formation_id") WHERE date_annulation IS NULL')


def test_two_live_candidatures_of_one_candidate_to_one_formation(without_the_unique_index,
                                                                  runner):
    first = candidature_of("lea.moreau@example.org")
    second = Candidature.create(candidat=first.candidat_id, formation=first.formation_id,
                                campagne=first.campagne_id)
    without_the_unique_index.append(second.id)
    result = run(runner)
    assert result.exit_code == 1
    assert (f"[candidature-en-double] candidatures {first.id} et {second.id} : deux "
            f"candidatures en cours du candidat {first.candidat_id} à la formation "
            f"{first.formation_id}.") in result.output
    # A cancelled one is history, not a duplicate.
    Candidature.update(date_annulation=second.created_at).where(
        Candidature.id == second.id).execute()
    assert run(runner).exit_code == 0


def lc_avis(email):
    candidature = candidature_of(email)
    avis = Avis.select().where(Avis.candidature == candidature.id).order_by(Avis.id.desc()).get()
    assert avis.type_avis == "LC" and avis.valide
    return candidature, avis


def test_a_rang_reel_given_twice_on_one_liste_complementaire(demo, runner):
    manon, manon_avis = lc_avis("manon.dubois@example.org")
    sarah, sarah_avis = lc_avis("sarah.lambert@example.org")
    assert (manon_avis.rang_reel, sarah_avis.rang_reel) == (1, 2)
    Avis.update(rang_reel=1).where(Avis.id == sarah_avis.id).execute()
    result = run(runner)
    assert result.exit_code == 1
    first, second = sorted((manon.id, sarah.id))
    assert (f"[rang-en-double] candidatures {first} et {second} : le rang réel 1 est donné deux "
            f"fois sur la liste complémentaire de la formation {manon.formation_id}") in result.output
    (violation,) = invariants.find_violations()
    assert set(violation.ids["avis"]) == {manon_avis.id, sarah_avis.id}


def test_one_rang_saisi_for_two_candidates_is_not_a_duplicate(demo, runner):
    """The commission may give one rang to a selection (the queue orders ties by avis
    id): the rangs réels stay distinct, which is what must hold."""
    _manon, manon_avis = lc_avis("manon.dubois@example.org")
    _sarah, sarah_avis = lc_avis("sarah.lambert@example.org")
    Avis.update(rang=manon_avis.rang).where(Avis.id == sarah_avis.id).execute()
    assert run(runner).exit_code == 0


def test_a_rang_no_longer_on_the_list_is_not_a_duplicate(demo, runner):
    """Sarah's LC avis is followed by a newer one (not validated yet): she is off the
    list (as lc_queue reads it), so her old rang no longer counts; nor does an
    unvalidated LC avis."""
    _manon, manon_avis = lc_avis("manon.dubois@example.org")
    sarah, sarah_avis = lc_avis("sarah.lambert@example.org")
    Avis.update(rang_reel=manon_avis.rang_reel).where(Avis.id == sarah_avis.id).execute()
    Avis.create(candidature=sarah.id, type_avis="LC", rang=1, valide=False)
    assert run(runner).exit_code == 0


def referenced_row():
    row = (PieceCandidat.select().where(PieceCandidat.fichier.is_null(False))
           .order_by(PieceCandidat.id).first())
    return row, PieceCandidat.select().where(PieceCandidat.fichier == row.fichier).count()


def test_a_file_referenced_but_absent(demo, runner):
    row, rows = referenced_row()
    os.remove(os.path.join(upload_folder(demo), row.fichier))
    result = run(runner)
    assert result.exit_code == 1
    assert (f"[fichier-absent] piece_candidat {row.id} : le fichier « {row.fichier} » (colonne "
            f"fichier) est absent du dossier des fichiers déposés.") in result.output
    assert result.output.count("[fichier-absent]") == rows


def test_a_stored_file_referenced_by_nothing_once_past_the_grace_period(demo, runner):
    folder = upload_folder(demo)
    orphan = os.path.join(folder, "0123456789abcdef0123456789abcdef.pdf")
    with open(orphan, "wb") as handle:
        handle.write(b"%PDF-1.4 orphan")
    dying_write = os.path.join(folder, "fedcba9876543210fedcba9876543210.png.part")
    with open(dying_write, "wb") as handle:
        handle.write(b"half")
    with open(os.path.join(folder, "LISEZMOI.txt"), "w") as handle:
        handle.write("not a name storage makes: never looked at")
    # Being uploaded right now (its row not committed yet): not reported.
    assert run(runner).exit_code == 0
    age(orphan, invariants.DEFAULT_GRACE.total_seconds() + 60)
    result = run(runner)
    assert result.exit_code == 1
    assert ("[fichier-orphelin] le fichier « 0123456789abcdef0123456789abcdef.pdf » du dossier "
            "des fichiers déposés n'est référencé par aucune ligne.") in result.output
    assert ".part" not in result.output
    result = run(runner, "--grace", "0")
    assert result.exit_code == 1 and "fedcba9876543210fedcba9876543210.png.part" in result.output
    assert "LISEZMOI" not in result.output


def more_transmitted_candidatures(count):
    """`count` copies of a transmitted candidature with its pieces, each of another
    candidate, written in bulk."""
    model = transmitted_with_files()
    rows = list(PieceCandidat.select().where(PieceCandidat.candidature == model.id).dicts())
    for n in range(count):
        compte = CompteCandidat.create(numero_dossier=f"X{n:07d}", nom="X", prenom="Y",
                                       email=f"x{n}@example.org", password_hash="-")
        candidat = Candidat.create(compte=compte, nom_patronymique="X", prenom="Y")
        copy = Candidature.create(candidat=candidat, formation=model.formation_id,
                                  campagne=model.campagne_id, statut="RE",
                                  date_transmission=model.date_transmission)
        PieceCandidat.insert_many([
            {**{k: v for k, v in row.items() if k != "id"}, "candidat": candidat.id,
             "candidature": copy.id} for row in rows]).execute()


def count_queries(folder):
    with counting_queries() as counter:
        assert list(invariants.find_violations(folder)) == []
    return counter.count


def test_the_checks_run_the_same_queries_for_few_and_many_candidatures(demo, monkeypatch):
    """Set-based: no query per candidature, per piece or per file (below PAGE_SIZE rows
    per page of file names)."""
    monkeypatch.setattr(invariants, "PAGE_SIZE", 10_000)
    folder = upload_folder(demo)
    few = count_queries(folder)
    more_transmitted_candidatures(60)
    assert PieceCandidat.select().where(PieceCandidat.fichier.is_null(False)).count() > 300
    assert count_queries(folder) == few


def test_file_names_are_read_page_by_page(demo, monkeypatch):
    """A small page forces several pages: every row is still checked once."""
    monkeypatch.setattr(invariants, "PAGE_SIZE", 3)
    names = [name for _model, _column, _id, name in invariants._references()]
    assert len(names) == sum(
        model.select().where(getattr(model, column).is_null(False)).count()
        for model, column in invariants.STORED_FILE_COLUMNS)
    row, _rows = referenced_row()
    os.remove(os.path.join(upload_folder(demo), row.fichier))
    assert any(v.ids.get("piece_candidat") == (row.id,) for v in invariants.find_violations())


def test_the_unique_index_name_is_the_one_dropped_above(demo):
    names = {index.name for index in database.get_indexes("candidature")}
    assert UNIQUE_LIVE_INDEX in names, (names, is_postgres())
