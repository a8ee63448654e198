"""Issue 10, done when: in a real browser (CSRF on, tokens from the pages) a visitor
switches to English on the home page, creates an account from the English pages,
validates it with the link of the real (English) mail, signs in, fills Mon compte,
applies to a formation and transmits it, seeing English pages throughout, and receives
English mails through a real SMTP server. The texts the test looks for are the English
catalogue's (the compiled .mo the app reads), each checked to be translated."""
import re
import time

from flask_babel import force_locale, gettext

from conftest import link_in
from ecandidat.models import Candidature, CompteCandidat
from factories import PDF_BYTES, PNG_BYTES, open_formation, pieces, question
from referential_sample import insert_referential_sample
from test_e2e_candidate import choose, expect_text, label

EMAIL = "jane.smith@example.org"
PASSWORD = "three green apples on the table"
FORMATION = "M1 Administration Economique et Sociale"


def english(app):
    """en("Texte français", **values): the page's English text, which must differ from
    the French one (a message left untranslated fails here) unless `same` says the two
    languages may write it alike (INE, a département…)."""
    def en(french, same=False, **values):
        with app.test_request_context(), force_locale("en"):
            text = gettext(french, **values)
        with app.test_request_context(), force_locale("fr"):
            source = gettext(french, **values)
        assert same or text != source, f"pas de traduction anglaise pour {french!r}"
        return text
    return en


def received(smtp_server, subject, timeout=10):
    """The mail with this subject once the real SMTP server has it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp_server.messages:
            if " ".join(str(message["Subject"]).split()) == subject:  # long ones are folded
                return message
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r}: {[m['Subject'] for m in smtp_server.messages]}")


def assert_english_page(page):
    assert page.locator("html").get_attribute("lang") == "en", page.url


def menu_link(page, en, text):
    page.get_by_role("navigation", name=en("Menu principal")).get_by_role(
        "link", name=en(text)).click()


def test_sign_up_and_apply_in_english_receiving_english_mails(app, page, smtp_server):
    app.config["WTF_CSRF_ENABLED"] = True
    en = english(app)
    insert_referential_sample()
    formation = open_formation(code="M1AES", libelle=FORMATION, mots_cles="AES")
    asked = pieces(formation)
    question(formation)

    # The home page in French (the browser asks for French), then the switch.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="English").click()
    page.get_by_role("navigation", name=en("Menu principal")).wait_for()
    assert_english_page(page)
    assert page.title() == f"{en('Accueil')} · eCandidat"

    # Create an account
    menu_link(page, en, "Créer un compte")
    assert_english_page(page)
    label(page, en("Nom")).fill("Smith")
    label(page, en("Prénom")).fill("Jane")
    label(page, en("Adresse mail")).fill(EMAIL)
    label(page, en("Confirmation Adresse Mail")).fill(EMAIL)
    label(page, en("Mot de passe")).fill(PASSWORD)
    label(page, en("Confirmation du mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name=en("Enregistrer")).click()
    expect_text(page, en("Un mail vient d'être envoyé à %(email)s. Cliquez sur le lien de "
                         "validation qu'il contient pour activer votre compte, puis "
                         "connectez-vous.", email=EMAIL))
    assert CompteCandidat.get(CompteCandidat.email == EMAIL).langue == "en"

    # The validation link of the real mail, in English
    mail = received(smtp_server, "Confirm the creation of your eCandidat account")
    body = mail.get_content()
    assert body.startswith("Hello Jane SMITH,") and "This link is valid until" in body
    page.goto(link_in(body, "/compte/valider/"))
    expect_text(page, en("Votre adresse mail est validée. Vous pouvez vous connecter."))
    assert_english_page(page)

    # Sign in
    menu_link(page, en, "Connexion")
    label(page, en("Utilisateur")).fill(EMAIL)
    label(page, en("Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name=en("Connexion")).click()
    menu_link(page, en, "Mon compte")
    expect_text(page, en("À compléter (obligatoire)"))
    assert_english_page(page)

    # Personal information: countries and nationalities named in English
    page.get_by_role("link", name=en("Informations perso.")).first.click()
    label(page, en("Nationalité")).select_option(label="France")
    label(page, en("INE", same=True)).fill("1234567890")
    label(page, en("Clé INE")).fill("A")
    label(page, en("Civilité")).select_option(label=en("Mme", same=True))
    label(page, en("Nom patronymique")).fill("Smith")
    label(page, en("Prénom")).fill("Jane")
    label(page, en("Date naissance")).fill("2004-05-12")
    label(page, en("Pays de naissance")).select_option(label="France")
    choose(page, en("Département de naissance"), "Vienne")
    choose(page, en("Ville de naissance"), "Poitiers")
    label(page, en("Téléphone portable")).fill("06 12 34 56 78")
    page.get_by_role("button", name=en("Suivant")).click()

    # Address
    page.get_by_role("heading", name=en("Edition d'adresse")).wait_for()
    assert_english_page(page)
    label(page, en("Code postal")).fill("86000")
    label(page, en("Code postal")).blur()
    choose(page, en("Commune", same=True), "Poitiers")
    label(page, en("Adresse")).fill("15 rue de la Cathédrale")
    page.get_by_role("button", name=en("Suivant")).click()

    # Baccalauréat (the referential's own labels are French data)
    page.get_by_role("heading", name=en("Edition du baccalauréat")).wait_for()
    assert_english_page(page)
    label(page, en("Année d'obtention")).fill("2022")
    label(page, en("Année d'obtention")).blur()
    choose(page, en("Série du bac ou équivalence"), "Baccalauréat général")
    choose(page, en("Mention", same=True), "Bien")
    choose(page, en("Spécialité 1 (terminale)"), "Mathématiques")
    choose(page, en("Spécialité 2 (terminale)"), "Sciences économiques et sociales")
    choose(page, en("Département", same=True), "Vienne")
    choose(page, en("Commune", same=True), "Poitiers")
    choose(page, en("Etablissement", same=True), "Lycée Camille Guérin")
    page.get_by_role("button", name=en("Suivant")).click()
    menu_link(page, en, "Mon compte")
    expect_text(page, en("Les rubriques obligatoires sont complètes : vous pouvez candidater "
                         "à une formation."))

    # Course offer → the formation → Apply
    menu_link(page, en, "Offre de formation")
    assert_english_page(page)
    label(page, en("Rechercher une formation")).fill("AES")
    page.get_by_role("button", name=en("Rechercher")).click()
    page.get_by_role("link", name=FORMATION).dblclick()
    page.get_by_role("button", name=en("Candidater")).click()
    expect_text(page, en("Votre candidature à « %(formation)s » est créée. Déposez vos "
                         "pièces puis transmettez-la : un dossier non transmis ne constitue "
                         "pas une candidature.", formation=FORMATION))
    assert re.search(r"/candidatures/\d+$", page.url)
    assert_english_page(page)
    mail = received(smtp_server, f"Your application to {FORMATION}")
    assert f"Your application to the programme “{FORMATION}” has been created." in (
        mail.get_content())

    # Supporting documents
    files = {"lettre": ("lettre.pdf", "application/pdf", PDF_BYTES),
             "identite": ("identite.png", "image/png", PNG_BYTES)}
    for key, (name, mime, data) in files.items():
        row = page.locator(f"#piece-{asked[key].id}")
        row.get_by_label(en("Fichier pour « %(piece)s »", piece=asked[key].libelle)
                         ).set_input_files({"name": name, "mimeType": mime, "buffer": data})
        row.get_by_role("button", name=en("Déposer")).click()
        page.locator(f"#piece-{asked[key].id}").get_by_role("link", name=name).wait_for()
    page.locator(f"#piece-{asked['handicap'].id}").get_by_role(
        "button", name=en("Non concerné par cette pièce")).click()
    page.locator(f"#piece-{asked['handicap'].id}").get_by_text(en("Non concerné")).first.wait_for()

    # The additional form (the question is the formation's own French text)
    answer = page.get_by_role("group", name="En alternance ?")
    answer.get_by_label(en("Non")).check()
    answer.get_by_role("button", name=en("Enregistrer")).click()
    page.get_by_role("group", name="En alternance ?").get_by_label(en("Non")).wait_for()

    # Submit, after the confirmation
    page.get_by_role("button", name=en("Transmettre ma candidature")).click()
    assert_english_page(page)
    page.get_by_role("button", name=en("Oui, transmettre")).click()
    expect_text(page, en("Votre candidature est transmise : son statut est « Réceptionné »."))
    assert_english_page(page)
    assert Candidature.get().statut == "RE"
    mail = received(smtp_server, f"Your application file for {FORMATION} has been received")
    assert mail.get_content().startswith("Hello Jane Smith,")  # the name as filled in

    # My applications: the status in English
    menu_link(page, en, "Candidatures")
    row = page.get_by_role("row", name=re.compile(FORMATION))
    assert en("Réceptionné") in row.inner_text()
