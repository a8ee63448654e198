"""A candidate's whole journey in a real browser, driven by the labels the guide uses:
Créer un compte → validation link from the mail → Connexion → Informations perso.,
Adresse, Baccalauréat → Offre de formation → Candidater → pièces, formulaire →
Transmettre ma candidature → "Réceptionné", with the CSRF checks on."""
import io
import re

from pypdf import PdfReader

from conftest import link_in, outbox
from ecandidat.models import Candidature, OutboxMail
from ecandidat.pdf import dossier_summary_pdf
from factories import PDF_BYTES, PNG_BYTES, open_formation, pieces, question
from referential_sample import insert_referential_sample

EMAIL = "lea.durand@example.org"
PASSWORD = "trois pommes vertes sur la table"


def label(page, text):
    """The field whose label is exactly `text` (a required field's label ends with "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(text)}( \*)?$"))


def expect_text(page, text):
    page.get_by_text(text).first.wait_for()


def choose(page, label, option):
    """Pick an option of a <select> once the dependent list has been refreshed."""
    select = page.get_by_role("combobox", name=re.compile(rf"^{re.escape(label)}( \*)?$"))
    wanted = select.locator("option", has_text=option).first
    wanted.wait_for(state="attached")
    select.select_option(value=wanted.get_attribute("value"))


def test_from_account_creation_to_a_received_candidature(app, page):
    # As in production: every form and button posts its CSRF token from the page.
    app.config["WTF_CSRF_ENABLED"] = True
    insert_referential_sample()
    formation = open_formation(code="M1AES", libelle="M1 Administration Economique et Sociale",
                               mots_cles="AES")
    asked = pieces(formation)
    question(formation)

    # Créer un compte
    page.goto("/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Créer un compte").click()
    label(page, "Nom").fill("Durand")
    label(page, "Prénom").fill("Léa")
    label(page, "Adresse mail").fill(EMAIL)
    label(page, "Confirmation Adresse Mail").fill(EMAIL)
    label(page, "Mot de passe").fill(PASSWORD)
    label(page, "Confirmation du mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()
    expect_text(page, "lien de validation")

    # The validation link of the CPT_MIN_CREATE mail
    [mail] = outbox("CPT_MIN_CREATE")
    page.goto(link_in(mail.corps_texte, "/compte/"))
    expect_text(page, "validé")

    # Connexion
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Connexion").click()
    label(page, "Utilisateur").fill(EMAIL)
    label(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mon compte").click()
    expect_text(page, "À compléter (obligatoire)")

    # Informations perso.
    page.get_by_role("link", name="Informations perso.").first.click()
    label(page, "Nationalité").select_option(label="Français(e)")
    label(page, "INE").fill("1234567890")
    label(page, "Clé INE").fill("A")
    label(page, "Civilité").select_option(label="Mme")
    label(page, "Nom patronymique").fill("Durand")
    label(page, "Prénom").fill("Léa")
    label(page, "Date naissance").fill("2004-05-12")
    label(page, "Pays de naissance").select_option(label="France")
    choose(page, "Département de naissance", "Vienne")
    choose(page, "Ville de naissance", "Poitiers")
    label(page, "Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("button", name="Suivant").click()

    # Adresse: the postal code fills the list of its communes
    page.get_by_role("heading", name="Edition d'adresse").wait_for()
    label(page, "Code postal").fill("86000")
    label(page, "Code postal").blur()
    choose(page, "Commune", "Poitiers")
    label(page, "Adresse").fill("15 rue de la Cathédrale")
    page.get_by_role("button", name="Suivant").click()

    # Baccalauréat: the year fills the series, the series shows the spécialités
    page.get_by_role("heading", name="Edition du baccalauréat").wait_for()
    label(page, "Année d'obtention").fill("2022")
    label(page, "Année d'obtention").blur()
    choose(page, "Série du bac ou équivalence", "Baccalauréat général")
    choose(page, "Mention", "Bien")
    choose(page, "Spécialité 1 (terminale)", "Mathématiques")
    choose(page, "Spécialité 2 (terminale)", "Sciences économiques et sociales")
    choose(page, "Département", "Vienne")
    choose(page, "Commune", "Poitiers")
    choose(page, "Etablissement", "Lycée Camille Guérin")
    page.get_by_role("button", name="Suivant").click()

    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mon compte").click()
    expect_text(page, "Les rubriques obligatoires sont complètes")

    # Offre de formation → the formation (double-click, as in the guide) → Candidater
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Offre de formation").click()
    label(page, "Rechercher une formation").fill("AES")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="M1 Administration Economique et Sociale").dblclick()
    page.get_by_role("button", name="Candidater").click()
    expect_text(page, "Votre candidature à « M1 Administration Economique et Sociale » est créée")
    assert re.search(r"/candidatures/\d+$", page.url)

    # Pièces justificatives; the conditional one does not concern this candidate
    files = {"lettre": ("lettre.pdf", "application/pdf", PDF_BYTES),
             "identite": ("identite.png", "image/png", PNG_BYTES)}
    for key, (name, mime, data) in files.items():
        row = page.locator(f"#piece-{asked[key].id}")
        row.get_by_label(f"Fichier pour « {asked[key].libelle} »").set_input_files(
            {"name": name, "mimeType": mime, "buffer": data})
        row.get_by_role("button", name="Déposer").click()
        page.locator(f"#piece-{asked[key].id}").get_by_role("link", name=name).wait_for()
    page.locator(f"#piece-{asked['handicap'].id}").get_by_role(
        "button", name="Non concerné par cette pièce").click()
    page.locator(f"#piece-{asked['handicap'].id}").get_by_text("Non concerné").first.wait_for()

    # Formulaires complémentaires
    answer = page.get_by_role("group", name="En alternance ?")
    answer.get_by_label("Non").check()
    answer.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("group", name="En alternance ?").get_by_label("Non").wait_for()
    assert page.get_by_role("group", name="En alternance ?").get_by_label("Non").is_checked()

    # Transmettre ma candidature, after the confirmation
    help_box = page.locator("#transmission-help")
    assert not help_box.count(), help_box.inner_text()
    page.get_by_role("button", name="Transmettre ma candidature").click()
    page.get_by_role("button", name="Oui, transmettre").click()
    expect_text(page, "Réceptionné")
    assert Candidature.get().statut == "RE"
    assert {m.code for m in OutboxMail.select()} >= {"CANDIDATURE", "STATUT_RE"}

    # Télécharger mon dossier: a real PDF with the two uploaded pieces merged in
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger mon dossier").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = PdfReader(download.path())
    assert "Durand" in pdf.pages[0].extract_text()
    summary = PdfReader(io.BytesIO(dossier_summary_pdf(Candidature.get())))
    assert len(pdf.pages) == len(summary.pages) + 2  # the letter's page, the ID's page
    assert not any("illisible" in page.extract_text() for page in pdf.pages)

    # Candidatures: the list shows the new status
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Candidatures").click()
    row = page.get_by_role("row", name=re.compile("M1 Administration Economique et Sociale"))
    assert "Réceptionné" in row.inner_text()
