"""After the decision in a real browser, CSRF on and the site's CSP (issue 9, the end
of the candidate guide). Set up through the workflow: ALIX and CHLOE have a
validated Favorable avis, BRUNO is first on the liste complémentaire. ALIX confirms
(the confirmation page with the deadline, then only "Désistement candidature") and
downloads her admission letter;
CHLOE withdraws with a reason; BRUNO is promoted: he receives the AVIS_FAVORABLE
mail and sees "Confirmation candidature" on his page."""
import datetime
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import outbox
from ecandidat import clock
from ecandidat.models import Avis, Candidature
from factories import complete_candidat, open_formation, pieces, question
from test_console_actions import quick_passwords  # noqa: F401 (autouse)
from test_console_candidatures import transmitted
from test_e2e_commission import tab  # noqa: F401 (fixture)
from test_e2e_console import contrast_problems

DEADLINE = clock.today() + datetime.timedelta(days=40)


def candidate_sign_in(page, email, password):
    page.goto("/connexion")
    page.get_by_label(re.compile(r"^Utilisateur")).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("navigation", name="Menu principal").wait_for()


def flash(page, text):
    expect(page.locator(".flash", has_text=text).first).to_be_visible()


def actions(page):
    return page.locator(".actions").first


@pytest.fixture
def decided(app, make_compte):
    formation = open_formation("M1AES", liste_complementaire=True, date_confirmation=DEADLINE)
    pieces(formation)
    question(formation)
    people = {}
    for name, avis in (("alix", "FA"), ("chloe", "FA"), ("bruno", "LC")):
        compte, password = make_compte(email=f"{name}@example.org", nom=name.upper(),
                                       prenom=name.capitalize())
        candidature = transmitted(complete_candidat(compte), formation)
        Avis.create(candidature=candidature, type_avis=avis, valide=True,
                    valide_le=clock.now(), rang=1 if avis == "LC" else None)
        people[name] = (compte.email, password, candidature)
    return people


def test_confirmation_desistement_and_the_list_that_moves(app, page, tab, decided):
    app.config["WTF_CSRF_ENABLED"] = True
    deadline = DEADLINE.strftime("%d/%m/%Y")

    # ALIX sees both answers and the deadline, and confirms.
    email, password, alix = decided["alix"]
    candidate_sign_in(page, email, password)
    page.goto(f"/candidatures/{alix.id}")
    expect(page.locator("#date-limite-confirmation")).to_have_text(deadline)
    expect(actions(page).get_by_role("button", name="Désistement candidature")).to_be_visible()
    actions(page).get_by_role("button", name="Confirmation candidature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmation candidature")
    expect(page.locator("body")).to_contain_text("la confirmation est définitive")
    expect(page.locator("#date-limite")).to_have_text(
        f"Date limite de confirmation : {deadline}.")
    page.wait_for_load_state("load")
    assert contrast_problems(page) == []
    page.get_by_role("button", name="Oui, confirmer ma candidature").click()
    flash(page, "Votre candidature à « Formation M1AES » est confirmée.")
    expect(actions(page).get_by_role("button", name="Confirmation candidature")).to_have_count(0)
    expect(actions(page).get_by_role("button", name="Désistement candidature")).to_be_visible()
    expect(page.locator("#reponse")).to_contain_text("Confirmée le")
    assert Candidature.get_by_id(alix.id).confirmation == "CONFIRME"
    assert [m.destinataire for m in outbox("CANDIDATURE_CONFIRM")] == ["alix@example.org"]
    # The admission letter: a real PDF with her name.
    with page.expect_download() as download_info:
        actions(page).get_by_role("button", name="Télécharger lettre d'admission").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    letter = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(download.path()).pages)
    assert "ALIX" in letter and "Alix" in letter and "Formation M1AES" in letter

    # CHLOE withdraws with a reason.
    email, password, chloe = decided["chloe"]
    other = tab()
    candidate_sign_in(other, email, password)
    other.goto(f"/candidatures/{chloe.id}")
    actions(other).get_by_role("button", name="Désistement candidature").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Désistement candidature")
    expect(other.locator("body")).to_contain_text("le désistement est définitif")
    other.get_by_label("Motif du désistement (facultatif)").fill(
        "J'ai accepté une autre proposition.")
    other.wait_for_load_state("load")
    assert contrast_problems(other) == []
    other.get_by_role("button", name="Oui, me désister").click()
    flash(other, "Votre désistement de « Formation M1AES » est enregistré.")
    expect(other.locator("#reponse")).to_contain_text("Désistée le")
    expect(actions(other).get_by_role("button", name="Désistement candidature")).to_have_count(0)
    expect(actions(other).get_by_role("button", name="Télécharger lettre d'admission")
           ).to_have_count(0)  # withdrawn: no admission letter any more
    saved = Candidature.get_by_id(chloe.id)
    assert (saved.confirmation, saved.motif_desistement) == (
        "DESISTE", "J'ai accepté une autre proposition.")

    # BRUNO, first on the liste complémentaire, is promoted: the mail, then his page.
    email, password, bruno = decided["bruno"]
    [mail] = outbox("AVIS_FAVORABLE")
    assert mail.destinataire == "bruno@example.org"
    third = tab()
    candidate_sign_in(third, email, password)
    third.goto(f"/candidatures/{bruno.id}")
    expect(third.locator("dt:text-is('Décision') + dd")).to_have_text("Favorable")
    expect(actions(third).get_by_role("button", name="Confirmation candidature")).to_be_visible()
    expect(third.locator("#reponse")).to_have_text("En attente de votre réponse")


def test_a_gestionnaire_withdraws_for_a_candidate_in_the_console(app, page, tab, decided):
    """The console's Désistement candidature, CSRF on: from Ouvrir, with a reason; the
    first of the liste complémentaire is promoted and reported."""
    from ecandidat.users import create_user
    from test_console import STRONG
    from test_e2e_commission import console_sign_in
    app.config["WTF_CSRF_ENABLED"] = True
    create_user("gestion@example.org", "gestionnaire", scope="DSS", password=STRONG)
    _email, _password, alix = decided["alix"]
    _email, _password, bruno = decided["bruno"]
    gestion = tab()
    console_sign_in(gestion, "gestion@example.org")
    gestion.goto(f"/admin/candidature/details/?id={alix.id}")
    gestion.wait_for_load_state("load")
    gestion.get_by_role("link", name="Désistement candidature").first.click()
    expect(gestion.get_by_role("heading", level=1)).to_have_text("Désistement candidature")
    gestion.get_by_label("Motif du désistement (facultatif)").fill("Appel : part à l'étranger.")
    gestion.get_by_label(re.compile(r"^Je confirme cette action")).check()
    gestion.get_by_role("button", name="Désistement candidature").click()
    gestion.locator(".alert", has_text="Désistement enregistré pour 1 candidature.").first \
        .wait_for()
    expect(gestion.locator("body")).to_contain_text("Promue depuis la liste complémentaire")
    saved = Candidature.get_by_id(alix.id)
    assert (saved.confirmation, saved.motif_desistement) == (
        "DESISTE", "Appel : part à l'étranger.")
    assert Avis.select().where(Avis.candidature == bruno.id).order_by(
        Avis.id.desc()).get().type_avis == "FA"
