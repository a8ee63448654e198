"""Candidate pages of a candidature: apply, pieces, transmit, cancel, downloads, privacy."""
import datetime
import html
import io

import pytest

from conftest import sign_in
from ecandidat import clock, workflow
from ecandidat.models import Avis, Candidature, Formation, PieceCandidat
from factories import PDF_BYTES, PNG_BYTES, complete_candidat, open_formation, pieces, question


def text(response):
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def offer(app):
    formation = open_formation()
    return formation, pieces(formation), question(formation)


@pytest.fixture
def applicant(candidate_client, offer):
    """A signed-in candidate with a complete file and a candidature to the offer."""
    complete_candidat(candidate_client.compte)
    formation, asked, q = offer
    response = candidate_client.post(f"/candidatures/candidater/{formation.id}")
    candidature = Candidature.get()
    assert response.headers["Location"].endswith(f"/candidatures/{candidature.id}")
    candidate_client.candidature = candidature
    return candidate_client


def upload(client, candidature, piece, data, name):
    return client.post(f"/candidatures/{candidature.id}/pieces/{piece.id}/deposer",
                       data={"fichier": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_candidater_requires_a_complete_file(candidate_client, offer):
    formation, *_ = offer
    response = candidate_client.post(f"/candidatures/candidater/{formation.id}")
    assert response.headers["Location"].endswith("/mon-compte/infos-perso") or \
        "/mon-compte/" in response.headers["Location"]
    page = text(candidate_client.get(response.headers["Location"]))
    assert "Votre dossier est incomplet" in page
    assert Candidature.select().count() == 0


@pytest.mark.parametrize("closed", ["centre", "commission", "formation"])
def test_formations_out_of_the_offer_cannot_be_applied_to(candidate_client, offer, closed):
    """A formation hidden from the Offre de formation (itself, its commission or its centre
    inactive) is not found by a hand-made request either."""
    complete_candidat(candidate_client.compte)
    formation, *_ = offer
    target = {"formation": formation, "commission": formation.commission,
              "centre": formation.commission.centre}[closed]
    type(target).update(actif=False).where(type(target).id == target.id).execute()
    response = candidate_client.post(f"/candidatures/candidater/{formation.id}")
    assert response.status_code == 404
    assert Candidature.select().count() == 0


def test_candidature_page_and_list(applicant, offer):
    formation, asked, q = offer
    page = text(applicant.get(f"/candidatures/{applicant.candidature.id}"))
    for label in ("Informations détaillées", "Dates utiles", "Adresse de contact",
                  "Pièces justificatives", "Formulaires complémentaires",
                  "Informations complémentaires", "Lettre de motivation",
                  "Non concerné par cette pièce", "Annuler la candidature",
                  "Un dossier non transmis ne constitue pas une candidature."):
        assert label in page, label
    liste = text(applicant.get("/candidatures/"))
    for label in ("Formation", "Date limite de retour", "Statut du dossier", "Décision",
                  formation.libelle, "En attente"):
        assert label in liste


def test_upload_download_and_transmit(applicant, offer):
    formation, asked, q = offer
    candidature = applicant.candidature
    page = text(upload(applicant, candidature, asked["lettre"], PDF_BYTES, "../../Lettre été.pdf"))
    assert "La pièce « Lettre de motivation » est déposée." in page
    download = applicant.get(f"/candidatures/{candidature.id}/pieces/{asked['lettre'].id}/fichier")
    assert download.data == PDF_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "Lettre" in download.headers["Content-Disposition"] and ".." not in \
        download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    upload(applicant, candidature, asked["identite"], PNG_BYTES, "id.png")
    applicant.post(f"/candidatures/{candidature.id}/pieces/{asked['handicap'].id}/non-concerne")
    applicant.post(f"/candidatures/{candidature.id}/questions/{q.id}", data={"reponse": "oui"})
    confirm = text(applicant.get(f"/candidatures/{candidature.id}/transmettre"))
    assert "Oui, transmettre" in confirm
    done = text(applicant.post(f"/candidatures/{candidature.id}/transmettre",
                               follow_redirects=True))
    assert "Réceptionné" in done
    assert Candidature.get_by_id(candidature.id).statut == "RE"
    late = text(upload(applicant, candidature, asked["lettre"], PNG_BYTES, "x.png"))
    assert "ne peut plus être modifiée" in late


NOT_A_CANDIDATURE = "Un dossier non transmis ne constitue pas une candidature."


@pytest.mark.parametrize("state, reminded", [
    ("draft", True), ("transmitted", False), ("sent back incomplete", True), ("cancelled", False)])
def test_the_transmission_reminder_only_while_a_transmission_is_ahead(applicant, offer, state,
                                                                      reminded):
    """After transmission (or cancellation) the page no longer says that an untransmitted
    file is no candidature next to a disabled "Transmettre ma candidature"; a file sent
    back incomplete is to be transmitted again, so the reminder comes back."""
    candidature = applicant.candidature
    if state != "draft":
        Candidature.update(**{"transmitted": dict(statut="RE"),
                              "sent back incomplete": dict(statut="IN"),
                              "cancelled": dict(date_annulation=clock.now())}[state]).where(
            Candidature.id == candidature.id).execute()
    page = text(applicant.get(f"/candidatures/{candidature.id}"))
    assert (NOT_A_CANDIDATURE in page) is reminded
    assert ("Transmettre ma candidature" in page) is reminded
    assert ('id="transmission-help"' in page) is reminded


@pytest.mark.parametrize("data, name, message", [
    (b"MZ\x90\x00" + b"\x00" * 100, "programme.pdf", "Ce type de fichier n'est pas accepté"),
    (b"<!doctype html><script>alert(1)</script>", "page.pdf", "Ce type de fichier n'est pas accepté"),
    (b"", "vide.pdf", "Le fichier est vide."),
])
def test_bad_uploads_are_refused_with_a_message(applicant, offer, data, name, message):
    formation, asked, q = offer
    page = text(upload(applicant, applicant.candidature, asked["lettre"], data, name))
    assert message in page
    assert PieceCandidat.select().count() == 0


def test_oversize_upload_is_refused_before_the_view(app, applicant, offer):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.config["MAX_UPLOAD_MB"] = 1
    formation, asked, q = offer
    candidature = applicant.candidature
    response = applicant.post(
        f"/candidatures/{candidature.id}/pieces/{asked['lettre'].id}/deposer",
        data={"fichier": (io.BytesIO(b"%PDF" + b"0" * 2 * 1024 * 1024), "gros.pdf")},
        content_type="multipart/form-data",
        headers={"Referer": f"http://localhost/candidatures/{candidature.id}"},
        follow_redirects=True)
    assert "Le fichier dépasse la taille maximale de 1 Mo." in text(response)
    assert PieceCandidat.select().count() == 0


def test_transmit_with_a_missing_piece_is_refused(applicant):
    candidature = applicant.candidature
    page = text(applicant.get(f"/candidatures/{candidature.id}/transmettre"))
    assert "Pièce manquante : Lettre de motivation." in page and "Oui, transmettre" not in page
    refused = text(applicant.post(f"/candidatures/{candidature.id}/transmettre",
                                  follow_redirects=True))
    assert "Pièce manquante" in refused
    assert Candidature.get_by_id(candidature.id).statut == "AT"


def test_cancel_asks_then_cancels_for_good(applicant):
    candidature = applicant.candidature
    assert "l'annulation est définitive" in text(
        applicant.get(f"/candidatures/{candidature.id}/annuler"))
    page = text(applicant.post(f"/candidatures/{candidature.id}/annuler", follow_redirects=True))
    assert "est annulée" in page
    assert Candidature.get_by_id(candidature.id).date_annulation is not None
    assert applicant.get(f"/candidatures/{candidature.id}").status_code == 404


def test_cancel_after_an_avis_is_refused(applicant):
    from ecandidat.models import Avis
    candidature = applicant.candidature
    Avis.create(candidature=candidature, type_avis="FA")
    page = text(applicant.post(f"/candidatures/{candidature.id}/annuler", follow_redirects=True))
    assert "Un avis a été rendu" in page
    assert Candidature.get_by_id(candidature.id).date_annulation is None


def test_paper_formation_shows_the_address_to_post_to(applicant):
    formation = open_formation(code="ORTHO", demat=False)
    applicant.post(f"/candidatures/candidater/{formation.id}")
    candidature = Candidature.get(Candidature.formation == formation)
    page = text(applicant.get(f"/candidatures/{candidature.id}"))
    assert "Cette formation se candidate par dossier papier." in page
    assert "2 rue Jean Carbonnier" in page
    assert "Transmettre ma candidature" not in page


def candidature_urls(candidature, piece, q):
    base = f"/candidatures/{candidature.id}"
    return [("get", base), ("get", f"{base}/transmettre"), ("post", f"{base}/transmettre"),
            ("get", f"{base}/annuler"), ("post", f"{base}/annuler"),
            ("post", f"{base}/pieces/{piece.id}/deposer"),
            ("post", f"{base}/pieces/{piece.id}/non-concerne"),
            ("post", f"{base}/pieces/{piece.id}/supprimer"),
            ("get", f"{base}/pieces/{piece.id}/fichier"),
            ("post", f"{base}/questions/{q.id}"),
            ("get", f"{base}/dossier.pdf")]


def test_another_candidate_gets_404_everywhere(app, applicant, offer, make_compte):
    formation, asked, q = offer
    candidature = applicant.candidature
    workflow.deposer_piece(workflow.Actor.candidat(candidature.candidat), candidature,
                           asked["lettre"], PDF_BYTES, "lettre.pdf")
    intruder, _ = make_compte(email="intrus@example.org")
    complete_candidat(intruder)
    other = app.test_client()
    sign_in(other, intruder)
    for method, url in candidature_urls(candidature, asked["lettre"], q):
        response = getattr(other, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert Candidature.get_by_id(candidature.id).date_annulation is None
    assert PieceCandidat.select().count() == 1


def test_anonymous_visitors_are_sent_to_connexion(app, applicant, offer):
    formation, asked, q = offer
    anonymous = app.test_client()
    for method, url in candidature_urls(applicant.candidature, asked["lettre"], q) + [
            ("get", "/candidatures/"), ("post", f"/candidatures/candidater/{formation.id}")]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"], url


def test_the_page_shows_the_confirmation_deadline_the_domain_computes(applicant, offer):
    """A délai de confirmation counts from the day the favourable avis was published."""
    formation, asked, q = offer
    Formation.update(delai_confirmation=8).where(Formation.id == formation.id).execute()
    Avis.create(candidature=applicant.candidature, type_avis="FA", valide=True,
                valide_le=datetime.datetime(2025, 6, 1, 10, 0, tzinfo=datetime.timezone.utc))
    page = text(applicant.get(f"/candidatures/{applicant.candidature.id}"))
    assert "Date de confirmation" in page and "09/06/2025" in page
    assert "Favorable" in page
