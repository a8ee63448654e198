"""The console's actions in the workflow (ecandidat.workflow.commission): each
action's writes, audit rows and mails, and its refusals (role, scope, read-only,
statut, bad input, a selection blocked by one row). Runs on SQLite and PostgreSQL."""
import datetime

import pytest

from conftest import outbox
from ecandidat import clock, workflow
from ecandidat.models import (AuditLog, Avis, Candidature, CandidatureTag, MotivationAvis,
                              PieceCandidat, Tag, TypeDecision, User)
from ecandidat.users import create_user
from ecandidat.workflow import commission as actions
from ecandidat.workflow.engine import BulkRefused
from factories import PDF_BYTES, PNG_BYTES
from test_console_candidatures import candidate, pieces_of, transmitted, world  # noqa: F401


def actor(role, scope=None, email=None, president=False, lecture_seule=False):
    user, _ = create_user(email or f"{role}-{scope}@example.org", role, scope=scope)
    if president:
        from ecandidat.models import CommissionMembre
        CommissionMembre.update(president=True).where(CommissionMembre.user == user.id).execute()
    if lecture_seule:
        User.update(lecture_seule=True).where(User.id == user.id).execute()
    return workflow.Actor.user(User.get_by_id(user.id))


@pytest.fixture
def membre(world):
    return actor("commission", "COM-M1AES")


@pytest.fixture
def gestionnaire(world):
    return actor("gestionnaire", "DSS")


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def audit(action):
    return list(AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id))


def codes_sent():
    return [mail.code for mail in outbox()]


# --- Selection and scope ----------------------------------------------------------------

def test_a_selection_with_an_id_out_of_scope_or_forged_is_refused_whole(world, membre):
    sent, other, draft = world["sent"], world["other"], world["draft"]
    assert [c.id for c in actions.candidatures_for(membre, [sent.id])] == [sent.id]
    for ids in ([sent.id, other.id], [sent.id, draft.id], [sent.id, 999999], ["1 OR 1=1"], []):
        with pytest.raises(workflow.WorkflowError):
            actions.candidatures_for(membre, ids)


def test_the_workflow_refuses_out_of_scope_and_read_only_even_given_the_row(world):
    sent = world["sent"]
    ailleurs = actor("commission", "COM-LLCE")
    lecteur = actor("commission", "COM-M1AES", email="lecteur@example.org", lecture_seule=True)
    before = len(outbox())
    with pytest.raises(workflow.WorkflowError, match="périmètre"):
        actions.changer_statut(ailleurs, [sent], "CO")
    with pytest.raises(workflow.WorkflowError, match="lecture seule"):
        actions.changer_statut(lecteur, [sent], "CO")
    assert fresh(sent).statut == "RE" and len(outbox()) == before


# --- Statut du dossier -------------------------------------------------------------------

def test_statut_complet_then_incomplet_with_dates_audit_and_mails(world, membre):
    sent = actions.candidatures_for(membre, [world["sent"].id])
    actions.changer_statut(membre, sent, "CO")
    saved = fresh(sent[0])
    assert saved.statut == "CO" and saved.date_complet is not None
    assert codes_sent()[-1] == "STATUT_CO"
    row = audit("statut_CO")[-1]
    assert row.actor == membre.label and '"statut": "RE"' in row.before
    yesterday = clock.today() - datetime.timedelta(days=1)
    actions.changer_statut(membre, [saved], "IN", date=yesterday)
    saved = fresh(saved)
    assert saved.statut == "IN" and clock.local(saved.date_incomplet).date() == yesterday
    assert codes_sent()[-1] == "STATUT_IN"
    # The candidate may now complete the file again.
    assert workflow.may("deposer_piece", workflow.Actor.candidat(saved.candidat), saved)


def test_statut_refusals(world, membre):
    sent = world["sent"]
    with pytest.raises(workflow.WorkflowError, match="Réceptionné"):
        actions.changer_statut(membre, [sent], "RE")  # already there
    with pytest.raises(actions.InvalidInput) as error:
        actions.changer_statut(membre, [sent], "CO",
                               date=clock.today() + datetime.timedelta(days=1))
    assert "date" in error.value.errors
    with pytest.raises(actions.InvalidInput):
        actions.changer_statut(membre, [sent], "XX")
    assert fresh(sent).statut == "RE"


def test_a_bulk_statut_is_all_or_nothing_and_names_the_blocking_rows(world, gestionnaire,
                                                                      make_compte):
    second = transmitted(candidate(make_compte, "deux@example.org", nom="ROUX"),
                         world["formation"])
    actions.changer_statut(gestionnaire, [fresh(second)], "CO")
    mails = len(outbox())
    selection = actions.candidatures_for(gestionnaire, [world["sent"].id, second.id])
    with pytest.raises(BulkRefused) as refused:
        actions.changer_statut(gestionnaire, selection, "CO")
    assert [c.id for c, _message in refused.value.rows] == [second.id]
    assert fresh(world["sent"]).statut == "RE" and len(outbox()) == mails


# --- Type de traitement -------------------------------------------------------------------

def test_type_de_traitement_set_and_validated_acces_direct_creates_a_favourable_avis(
        world, gestionnaire, membre):
    fav = TypeDecision.create(code="FAV", libelle="Favorable", type_avis="FA")
    world["formation"].type_decision_fav = fav
    world["formation"].save()
    sent = actions.candidatures_for(gestionnaire, [world["sent"].id])
    with pytest.raises(workflow.WorkflowError, match="gestionnaires"):
        actions.changer_type_traitement(membre, sent, "AD")
    actions.changer_type_traitement(gestionnaire, sent, "AD")
    saved = fresh(sent[0])
    assert (saved.type_traitement, saved.type_traitement_valide) == ("AD", False)
    actions.valider_type_traitement(gestionnaire, [saved])
    saved = fresh(saved)
    assert saved.type_traitement_valide
    avis = Avis.get(Avis.candidature == saved.id)
    assert (avis.type_avis, avis.valide, avis.type_decision_id) == ("FA", True, fav.id)
    assert codes_sent()[-1] == "TYPE_TRAIT_AD"
    with pytest.raises(workflow.WorkflowError, match="déjà validé"):
        actions.valider_type_traitement(gestionnaire, [saved])
    # Accès contrôlé is validated at once, with its mail.
    actions.changer_type_traitement(gestionnaire, [saved], "AC")
    assert fresh(saved).type_traitement_valide and codes_sent()[-1] == "TYPE_TRAIT_AC"


# --- Pièces ------------------------------------------------------------------------------

def test_pieces_validated_and_refused_with_a_comment_the_candidate_reads(world, membre):
    sent = world["sent"]
    lettre, identite = pieces_of(world["formation"])["lettre"], pieces_of(world["formation"])[
        "identite"]
    mails = len(outbox())
    actions.changer_statut_piece(membre, sent, lettre.id, "VA")
    with pytest.raises(actions.InvalidInput) as error:
        actions.changer_statut_piece(membre, sent, identite.id, "RE", "  ")
    assert "commentaire" in error.value.errors
    actions.changer_statut_piece(membre, sent, identite.id, "RE", "Illisible")
    rows = {piece.id: row for piece, row in workflow.piece_rows(fresh(sent))}
    assert rows[lettre.id].statut == "VA"
    assert (rows[identite.id].statut, rows[identite.id].commentaire) == ("RE", "Illisible")
    assert len(outbox()) == mails  # no mail for a piece
    assert [r.actor for r in audit("statut_piece")] == [membre.label] * 2
    # The candidate replaces it once the dossier is Incomplet, then sends it again.
    actions.changer_statut(membre, [fresh(sent)], "IN")
    candidat = fresh(sent).candidat
    as_candidate = workflow.Actor.candidat(candidat)
    with pytest.raises(workflow.WorkflowError, match="validée"):
        workflow.deposer_piece(as_candidate, fresh(sent), lettre, PDF_BYTES, "autre.pdf")
    workflow.deposer_piece(as_candidate, fresh(sent), identite, PDF_BYTES, "id.pdf")
    workflow.transmettre(as_candidate, fresh(sent))
    rows = {piece.id: row for piece, row in workflow.piece_rows(fresh(sent))}
    assert fresh(sent).statut == "RE"
    assert (rows[identite.id].statut, rows[lettre.id].statut) == ("TR", "VA")
    with pytest.raises(workflow.WorkflowError):
        actions.changer_statut_piece(membre, sent, 999999, "VA")


def test_a_piece_statut_needs_a_received_file(world, gestionnaire):
    with pytest.raises(workflow.WorkflowError, match="transmis"):
        actions.changer_statut_piece(gestionnaire, world["draft"], world["lettre"].id, "VA")


# --- Avis ------------------------------------------------------------------------------

def test_avis_entry_needs_its_motivation_or_rang_and_each_is_a_new_row(world, membre):
    sent = world["sent"]
    with pytest.raises(actions.InvalidInput) as error:
        actions.saisir_avis(membre, [sent], "DE")
    assert "motivation" in error.value.errors
    with pytest.raises(actions.InvalidInput) as error:
        actions.saisir_avis(membre, [sent], "LC")
    assert set(error.value.errors) == {"rang", "type_avis"}  # and no liste complémentaire
    motif = MotivationAvis.create(code="CAP", libelle="Capacité atteinte")
    actions.saisir_avis(membre, [sent], "DE", motivation_id=motif.id, commentaire=" Désolé ")
    actions.saisir_avis(membre, [sent], "FA")
    rows = list(Avis.select().where(Avis.candidature == sent.id).order_by(Avis.id))
    assert [(a.type_avis, a.valide) for a in rows] == [("DE", False), ("FA", False)]
    assert rows[0].commentaire == "Désolé" and rows[0].created_by_id == membre.id
    assert len(audit("avis")) == 2
    assert '"motivation": "Capacité atteinte"' in audit("avis")[0].after
    assert "AVIS_FAVORABLE" not in codes_sent()  # published only when validated


def test_validation_publishes_the_last_avis_with_its_mail(world, membre, gestionnaire):
    sent = world["sent"]
    with pytest.raises(workflow.WorkflowError, match="Aucun avis"):
        actions.valider_avis(gestionnaire, [sent])
    actions.saisir_avis(membre, [sent], "FA", commentaire="Bon dossier")
    assert workflow.published_avis(sent) is None
    with pytest.raises(workflow.WorkflowError, match="président"):
        actions.valider_avis(membre, [sent])
    actions.valider_avis(gestionnaire, [sent])
    published = workflow.published_avis(sent)
    assert published.type_avis == "FA" and published.valide_par_id == gestionnaire.id
    mail = outbox("AVIS_FAVORABLE")[-1]
    assert "Bon dossier" in mail.corps_texte
    with pytest.raises(workflow.WorkflowError, match="déjà validé"):
        actions.valider_avis(gestionnaire, [sent])


def test_a_president_validates_the_avis_of_their_commission(world):
    president = actor("commission", "COM-M1AES", email="pres@example.org", president=True)
    actions.saisir_avis(president, [world["sent"]], "LA")
    actions.valider_avis(president, [world["sent"]])
    assert outbox("AVIS_LISTE_ATT")


def test_a_bulk_avis_is_refused_where_an_avis_is_validated(world, gestionnaire, make_compte):
    second = transmitted(candidate(make_compte, "deux@example.org", nom="ROUX"),
                         world["formation"])
    actions.saisir_avis(gestionnaire, [second], "FA")
    actions.valider_avis(gestionnaire, [fresh(second)])
    count = Avis.select().count()
    selection = actions.candidatures_for(gestionnaire, [world["sent"].id, second.id])
    with pytest.raises(BulkRefused) as refused:
        actions.saisir_avis(gestionnaire, selection, "DE",
                            motivation_id=MotivationAvis.create(code="M", libelle="M").id)
    assert [c.id for c, _ in refused.value.rows] == [second.id]
    assert Avis.select().count() == count


def test_a_new_avis_resets_the_confirmation(world, gestionnaire):
    sent = world["sent"]
    Candidature.update(confirmation="CONFIRME").where(Candidature.id == sent.id).execute()
    actions.saisir_avis(gestionnaire, [fresh(sent)], "DE",
                        motivation_id=MotivationAvis.create(code="M", libelle="M").id)
    assert fresh(sent).confirmation is None


# --- Tags, dates, bloc-notes ---------------------------------------------------------------

def test_tags_dates_and_bloc_notes(world, gestionnaire, membre):
    sent = world["sent"]
    commun = Tag.create(libelle="Boursier")
    lettres = Tag.create(libelle="Lettres", centre=world["other"].formation.commission.centre)
    actions.changer_tags(membre, [sent], [commun.id])
    assert [t.libelle for t in actions.tags_of([sent.id])[sent.id]] == ["Boursier"]
    with pytest.raises(workflow.WorkflowError):
        actions.changer_tags(membre, [sent], [lettres.id])  # another centre's tag
    actions.changer_tags(membre, [sent], [])
    assert not CandidatureTag.select().exists()
    assert [(r.before, r.after) for r in audit("tags")][-1] == (
        '{"tags": ["Boursier"]}', '{"tags": []}')
    later = clock.today() + datetime.timedelta(days=60)
    with pytest.raises(workflow.WorkflowError, match="gestionnaires"):
        actions.changer_date_retour(membre, [sent], later)
    actions.changer_date_retour(gestionnaire, [sent], later)
    actions.changer_date_confirmation(gestionnaire, [sent], later)
    actions.changer_bloc_notes(membre, fresh(sent), "  Appeler le candidat  ")
    saved = fresh(sent)
    assert workflow.date_retour(saved) == later and saved.date_confirmation_manuelle == later
    assert saved.bloc_notes == "Appeler le candidat"
    assert audit("bloc_notes")[-1].actor == membre.label


# --- What a commission decides stays with its candidature ----------------------------------

def piece_by_code(candidature):
    return {piece.code: row for piece, row in workflow.piece_rows(fresh(candidature))}


def test_a_decision_on_a_shared_piece_never_reaches_the_candidates_other_candidatures(
        world, gestionnaire):
    """In Incomplet the candidate replaces a shared piece (one row for all their
    candidatures); the commission's refusal is written on this candidature's own
    copy, not on the row a draft at another centre uses."""
    from ecandidat.models import Formation
    sent = world["sent"]
    identite = pieces_of(world["formation"])["identite"]
    candidat = fresh(sent).candidat
    me = workflow.Actor.candidat(candidat)
    ailleurs = workflow.candidater(me, candidat, Formation.get(Formation.code == "LLCE"))
    actions.changer_statut(gestionnaire, [fresh(sent)], "IN")
    workflow.deposer_piece(me, fresh(sent), identite, PNG_BYTES, "id2.png")
    actions.changer_statut_piece(gestionnaire, fresh(sent), identite.id, "RE", "Refus DSS")
    mine, theirs = piece_by_code(sent)["ID"], piece_by_code(ailleurs)["ID"]
    assert (mine.statut, mine.commentaire, mine.candidature_id) == ("RE", "Refus DSS", sent.id)
    assert (theirs.statut, theirs.commentaire, theirs.candidature_id) == ("TR", None, None)


def test_received_from_the_console_keeps_the_shared_pieces_it_holds(world, gestionnaire):
    """A dossier the centre marks received (a draft, or a file sent back) keeps its
    shared pieces as a transmission does, and counts as transmitted for the SVA."""
    draft, sent = world["draft"], world["sent"]
    identite = pieces_of(world["formation"])["identite"]
    candidat = fresh(draft).candidat
    workflow.deposer_piece(workflow.Actor.candidat(candidat), fresh(draft), identite,
                           PNG_BYTES, "id.png")
    actions.changer_statut(gestionnaire, [fresh(draft)], "RE")
    assert "ID" in piece_by_code(draft) and fresh(draft).date_transmission is not None
    actions.changer_statut(gestionnaire, [fresh(sent)], "IN")
    workflow.deposer_piece(workflow.Actor.candidat(fresh(sent).candidat), fresh(sent),
                           identite, PNG_BYTES, "id3.png")
    actions.changer_statut(gestionnaire, [fresh(sent)], "CO")
    assert piece_by_code(sent)["ID"].candidature_id == sent.id


def test_a_replaced_refused_piece_loses_the_old_comment(world, gestionnaire):
    sent, lettre = world["sent"], pieces_of(world["formation"])["lettre"]
    actions.changer_statut_piece(gestionnaire, sent, lettre.id, "RE", "Pas signée")
    actions.changer_statut(gestionnaire, [fresh(sent)], "IN")
    workflow.deposer_piece(workflow.Actor.candidat(fresh(sent).candidat), fresh(sent), lettre,
                           PDF_BYTES, "l.pdf")
    row = piece_by_code(sent)[lettre.code]
    assert (row.statut, row.commentaire, row.statut_par) == ("TR", None, None)


def test_a_piece_put_back_en_attente_does_not_block_the_next_transmission(world, gestionnaire):
    sent, lettre = world["sent"], pieces_of(world["formation"])["lettre"]
    actions.changer_statut_piece(gestionnaire, sent, lettre.id, "AT")
    actions.changer_statut(gestionnaire, [fresh(sent)], "IN")
    workflow.transmettre(workflow.Actor.candidat(fresh(sent).candidat), fresh(sent))
    assert fresh(sent).statut == "RE"


def test_the_validated_avis_check_of_a_selection_runs_under_the_lock(
        world, gestionnaire, make_compte, monkeypatch):
    """Another user validates an avis after the page was shown: the selection's
    check sees it (it runs with the rule, on the locked rows)."""
    from ecandidat.workflow import engine
    second = transmitted(candidate(make_compte, "deux@example.org", nom="ROUX"),
                         world["formation"])
    actions.saisir_avis(gestionnaire, [second], "FA")
    real = engine.lock_candidatures

    def validated_meanwhile(candidatures, *args):
        Avis.update(valide=True).where(Avis.candidature == second.id).execute()
        return real(candidatures, *args)
    monkeypatch.setattr(engine, "lock_candidatures", validated_meanwhile)
    selection = actions.candidatures_for(gestionnaire, [world["sent"].id, second.id])
    with pytest.raises(BulkRefused) as refused:
        actions.saisir_avis(gestionnaire, selection, "LA")
    assert [c.id for c, _ in refused.value.rows] == [second.id]


def test_forged_motivation_and_huge_rang_are_refused_on_both_databases(world, gestionnaire):
    world["formation"].liste_complementaire = True
    world["formation"].save()
    for kwargs, field in ((dict(type_avis="DE", motivation_id="abc"), "motivation"),
                          (dict(type_avis="LC", rang=3_000_000_000), "rang")):
        with pytest.raises(actions.InvalidInput) as error:
            actions.saisir_avis(gestionnaire, [world["sent"]], **kwargs)
        assert field in error.value.errors
    assert not Avis.select().exists()


def test_a_paper_file_s_pieces_are_recorded_as_they_arrive_by_post(world, make_compte,
                                                                   client):
    from factories import open_formation, pieces
    from test_console import console_login
    papier = open_formation("ORTHO", demat=False)
    gestionnaire = actor("gestionnaire", "DSS")  # its scope includes the new commission
    lettre = pieces(papier)["lettre"]
    candidat = candidate(make_compte, "papier@example.org", nom="POSTE")
    candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat, papier)
    actions.changer_statut(gestionnaire, [fresh(candidature)], "RE")
    actions.changer_statut_piece(gestionnaire, fresh(candidature), lettre.id, "VA")
    actions.changer_statut_piece(gestionnaire, fresh(candidature), lettre.id, "RE",
                                 "Non signée")
    row = piece_by_code(candidature)[lettre.code]
    assert (row.statut, row.commentaire, row.fichier) == ("RE", "Non signée", None)
    assert PieceCandidat.select().where(PieceCandidat.candidature == candidature.id).count() == 1
    console_login(client, role="gestionnaire", email="g2@example.org", scope="DSS")
    page = client.get(f"/admin/candidature/details/?id={candidature.id}").get_data(as_text=True)
    identite = pieces_of(world["formation"])["identite"]
    assert f'piece-{identite.id}-statut' in page  # every asked piece has its form


def test_the_candidate_reads_the_published_decision_with_its_motif_and_comment(
        world, gestionnaire, client):
    """Before validation: "En attente". After: the decision, its motif, and the
    commission's comment unless the commission keeps it to itself."""
    from conftest import sign_in
    sent = world["sent"]
    motif = MotivationAvis.create(code="CAP", libelle="Capacité d'accueil atteinte")
    actions.saisir_avis(gestionnaire, [sent], "DE", motivation_id=motif.id,
                        commentaire="Dossier solide, places limitées")
    sign_in(client, fresh(sent).candidat.compte)
    page = client.get(f"/candidatures/{sent.id}").get_data(as_text=True)
    assert "Capacité" not in page and "places limitées" not in page
    actions.valider_avis(gestionnaire, [fresh(sent)])
    page = client.get(f"/candidatures/{sent.id}").get_data(as_text=True)
    assert "Défavorable" in page and "Capacité d&#39;accueil atteinte" in page
    assert "Dossier solide, places limitées" in page
    assert "places limitées" in outbox("AVIS_DEFAVORABLE")[-1].corps_texte
    commission = world["formation"].commission
    commission.afficher_commentaire = False
    commission.save()
    actions.saisir_avis(gestionnaire, [fresh(sent)], "DE", motivation_id=motif.id,
                        commentaire="Note interne")
    actions.valider_avis(gestionnaire, [fresh(sent)])
    page = client.get(f"/candidatures/{sent.id}").get_data(as_text=True)
    assert "Note interne" not in page
    assert "Note interne" not in outbox("AVIS_DEFAVORABLE")[-1].corps_texte


def test_a_decision_copies_only_the_decided_piece(world, gestionnaire):
    """In Incomplet the candidature follows the candidate's shared rows; deciding on
    one piece gives it its own copy of that piece only."""
    sent = world["sent"]
    asked = pieces_of(world["formation"])
    actions.changer_statut(gestionnaire, [fresh(sent)], "IN")
    me = workflow.Actor.candidat(fresh(sent).candidat)
    workflow.deposer_piece(me, fresh(sent), asked["identite"], PNG_BYTES, "id2.png")
    actions.changer_statut_piece(gestionnaire, fresh(sent), asked["lettre"].id, "RE", "Signez")
    assert piece_by_code(sent)["ID"].candidature_id is None  # still the shared row
