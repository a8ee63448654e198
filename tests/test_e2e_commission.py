"""The commission's work in a real browser, CSRF on and the site's CSP, after the
candidate transmitted (set up through the workflow): a membre de commission
validates one piece and refuses another with a comment, marks the dossier
Incomplet; the candidate reads the comment, replaces the piece and transmits
again; the membre marks it Complet and enters a Favorable avis (a Défavorable
without its motivation refused first); a gestionnaire validates it from the
list's selection (Valider les avis); the candidate sees "Favorable" and the
AVIS_FAVORABLE mail is queued for them."""
import re

import pytest
from playwright.sync_api import expect

from conftest import outbox
from ecandidat.models import Avis, Candidature
from ecandidat.users import create_user
from factories import PNG_BYTES, complete_candidat, open_formation, pieces, question
from test_console import STRONG
from test_console_actions import quick_passwords  # noqa: F401 (autouse)
from test_console_candidatures import numero, transmitted
from test_e2e_console import contrast_problems

EMAIL = "alix.durand@example.org"


@pytest.fixture
def tab(browser, live_server):
    """Open another browser (its own cookies) on the test server."""
    contexts = []

    def open_tab():
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()
    yield open_tab
    for context in contexts:
        context.close()


def console_sign_in(page, email):
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill(email)
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Candidatures", exact=True).wait_for()


def flash(page, text):
    page.locator(".alert", has_text=text).first.wait_for()


def test_commission_processes_a_candidature_to_a_published_favourable_avis(
        app, page, tab, make_compte):
    app.config["WTF_CSRF_ENABLED"] = True
    formation = open_formation("M1AES")
    asked = pieces(formation)
    question(formation)
    compte, password = make_compte(email=EMAIL, nom="DURAND", prenom="Alix")
    sent = transmitted(complete_candidat(compte), formation)
    create_user("membre@example.org", "commission", scope="COM-M1AES", password=STRONG)
    create_user("gestion@example.org", "gestionnaire", scope="DSS", password=STRONG)
    lettre, identite = asked["lettre"], asked["identite"]

    # The membre opens the candidature from the list.
    membre = page
    console_sign_in(membre, "membre@example.org")
    membre.get_by_role("link", name="Candidatures", exact=True).click()
    membre.locator("tr", has_text="DURAND").get_by_role("link", name=numero(sent)).click()
    expect(membre.get_by_role("heading", level=1)).to_contain_text("DURAND Alix")

    # One piece validated, the other refused with a comment.
    row = membre.locator(f"#piece-{lettre.id}")
    row.get_by_label("Statut de la pièce").select_option(label="Validée")
    row.get_by_role("button", name="Enregistrer le statut").click()
    flash(membre, "Statut de la pièce enregistré : Validée.")
    row = membre.locator(f"#piece-{identite.id}")
    row.get_by_label("Statut de la pièce").select_option(label="Refusée")
    row.get_by_role("button", name="Enregistrer le statut").click()
    expect(membre.locator(f"#piece-{identite.id}")).to_contain_text(
        "Indiquez au candidat pourquoi la pièce est refusée.")
    row = membre.locator(f"#piece-{identite.id}")
    row.get_by_label("Commentaire").fill("Document illisible, merci de le déposer à nouveau.")
    row.get_by_role("button", name="Enregistrer le statut").click()
    flash(membre, "Statut de la pièce enregistré : Refusée.")
    membre.wait_for_load_state("load")
    assert contrast_problems(membre) == []

    # The dossier is Incomplet: back to the candidate.
    membre.get_by_role("link", name="Statut du dossier").click()
    membre.get_by_label("Statut du dossier").select_option(label="Incomplet")
    membre.get_by_role("button", name="Enregistrer").click()
    flash(membre, "Statut du dossier enregistré pour 1 candidature.")
    assert Candidature.get_by_id(sent.id).statut == "IN"

    # The candidate reads the comment, replaces the refused piece and transmits again.
    candidat = tab()
    candidat.goto("/connexion")
    candidat.get_by_label(re.compile(r"^Utilisateur")).fill(EMAIL)
    candidat.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    candidat.get_by_role("button", name="Connexion").click()
    candidat.get_by_role("navigation", name="Menu principal").wait_for()
    candidat.goto(f"/candidatures/{sent.id}")
    piece_row = candidat.locator(f"#piece-{identite.id}")
    expect(piece_row).to_contain_text("Document illisible, merci de le déposer à nouveau.")
    expect(piece_row).to_contain_text("Refusée")
    piece_row.get_by_label(f"Fichier pour « {identite.libelle} »").set_input_files(
        {"name": "identite-lisible.png", "mimeType": "image/png", "buffer": PNG_BYTES})
    piece_row.get_by_role("button", name="Remplacer").click()
    candidat.locator(f"#piece-{identite.id}").get_by_role(
        "link", name="identite-lisible.png").wait_for()
    candidat.get_by_role("button", name="Transmettre ma candidature").click()
    candidat.get_by_role("button", name="Oui, transmettre").click()
    expect(candidat.locator("#statut-dossier")).to_have_text("Réceptionné")

    # The membre marks the dossier Complet and enters a Favorable avis.
    membre.reload()
    expect(membre.locator(f"#piece-{identite.id}")).to_contain_text("identite-lisible.png")
    membre.get_by_role("link", name="Statut du dossier").click()
    membre.get_by_label("Statut du dossier").select_option(label="Complet")
    membre.get_by_role("button", name="Enregistrer").click()
    flash(membre, "Statut du dossier enregistré pour 1 candidature.")
    expect(membre.get_by_role("link", name="Valider les avis")).to_have_count(0)
    membre.get_by_role("link", name="Saisir un avis").click()
    membre.get_by_label("Type d'avis").select_option(label="Défavorable")
    membre.get_by_role("button", name="Enregistrer").click()
    expect(membre.locator("#motivation-error")).to_have_text(
        "La motivation est obligatoire pour un avis défavorable.")
    membre.wait_for_load_state("load")
    assert contrast_problems(membre) == []
    membre.get_by_label("Type d'avis").select_option(label="Favorable")
    membre.get_by_label("Commentaire").fill("Très bon dossier.")
    membre.get_by_role("button", name="Enregistrer").click()
    flash(membre, "Avis saisi pour 1 candidature")
    expect(membre.locator("body")).to_contain_text("Non validé")
    assert not outbox("AVIS_FAVORABLE")

    # A gestionnaire validates it, from the list's selection.
    gestion = tab()
    gestion.on("dialog", lambda dialog: dialog.accept())
    console_sign_in(gestion, "gestion@example.org")
    gestion.get_by_role("link", name="Candidatures", exact=True).click()
    # The menu opens through Bootstrap's script: wait for the page's scripts to run.
    gestion.wait_for_url("**/admin/candidature/")
    gestion.wait_for_load_state("load")
    gestion.locator("tr", has_text="DURAND").locator("input.action-checkbox").check()
    gestion.get_by_role("button", name="Avec la sélection").click()
    expect(gestion.locator("[data-action=valider_avis]")).to_be_visible()
    gestion.locator("[data-action=valider_avis]").click()
    expect(gestion.get_by_role("heading", level=1)).to_have_text("Valider les avis")
    expect(gestion.locator(".console-selection")).to_contain_text("DURAND Alix")
    gestion.get_by_label("Je confirme cette action").check()
    gestion.get_by_role("button", name="Valider les avis").click()
    flash(gestion, "Avis validé pour 1 candidature")
    gestion.wait_for_url("**/admin/candidature/**")
    gestion.wait_for_load_state("load")
    assert contrast_problems(gestion) == []
    assert Avis.get(Avis.candidature == sent.id).valide

    # The candidate sees "Favorable" and has the decision mail.
    candidat.reload()
    expect(candidat.locator("dt:text-is('Décision') + dd")).to_have_text("Favorable")
    [mail] = outbox("AVIS_FAVORABLE")
    assert mail.destinataire == EMAIL and "Très bon dossier." in mail.corps_texte
