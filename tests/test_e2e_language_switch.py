"""The language switch of a signed-in person, and the English version of the mail
templates, in a real browser with CSRF on (every token taken from the page):

- a signed-in candidate presses "English" in the header: the page comes back in
  English, the choice is kept on the account and found again at the next login from
  a French browser; the same for a console user (User.langue);
- a console administrator writes the English subject and body of a mail template and
  saves them; a broken placeholder in the English body is refused next to that field,
  in French, and the French text typed in the same form is kept.

The English texts looked for are the English catalogue's (test_e2e_english.english),
each checked to be translated."""
import re

from playwright.sync_api import expect

from ecandidat.mail import ensure_templates
from ecandidat.models import Candidat, CompteCandidat, MailTemplate, User
from test_console import STRONG
from test_e2e_console import console  # noqa: F401 (fixture)
from test_e2e_english import english

PASSWORD = "trois pommes vertes sur la table"


def language_switch(page):
    return page.locator("form.language-switch")


def expect_language(page, language):
    expect(page.locator("html")).to_have_attribute("lang", language)


def press_english(page):
    """Press "English" in the header; the switch posts the token its page gave it."""
    switch = language_switch(page)
    token = switch.locator("input[name=language_csrf_token]")
    expect(token).to_have_count(1)
    assert token.get_attribute("value")
    switch.get_by_role("button", name="English").click()


def french_browser(browser, live_server):
    """Another browser, reading French, with nobody signed in."""
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(10_000)
    return context


def candidate_sign_in(page, email):
    page.goto("/connexion")
    page.get_by_label(re.compile(r"^Utilisateur")).fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("navigation", name=re.compile("^(Menu principal|Main menu)$")).wait_for()


def console_sign_in(page, email):
    page.goto("/admin/")
    page.get_by_label("Adresse mail").fill(email)
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Connexion").click()


def open_template(console, code):
    console.goto("/admin/mailtemplate/")
    row = console.locator("tr").filter(has=console.get_by_role("cell", name=code, exact=True))
    row.locator("a[href*='/edit/']").click()
    console.get_by_label("Texte en anglais").wait_for()


def saved(template_id):
    """(sujet, corps, sujet_en, corps_en) as stored, line ends as typed: a browser sends a
    textarea's lines ended by CRLF, and the view stores them so (mails are sent with
    the SMTP line ends whatever the stored ones)."""
    stored = MailTemplate.get_by_id(template_id)
    return tuple(value.replace("\r\n", "\n") if value else value
                 for value in (stored.sujet, stored.corps, stored.sujet_en, stored.corps_en))


def form_group(console, name):
    """The block of one field of the Flask-Admin form: its label, input and errors."""
    return console.locator(".form-group", has=console.locator(f"[name={name}]"))


# --- (a) The signed-in switch -------------------------------------------------------------------

def test_a_signed_in_candidate_presses_english_and_reads_english_again_at_the_next_login(
        app, page, browser, live_server, make_compte):
    app.config["WTF_CSRF_ENABLED"] = True
    en = english(app)
    compte, _ = make_compte(email="jane.smith@example.org", password=PASSWORD,
                            nom="SMITH", prenom="Jane")
    Candidat.create(compte=compte, nom_patronymique="SMITH", prenom="Jane")

    candidate_sign_in(page, compte.email)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mon compte").click()
    expect_language(page, "fr")
    expect(language_switch(page).get_by_role("button", name="Français")).to_have_attribute(
        "aria-pressed", "true")
    account_page = page.url

    press_english(page)
    expect_language(page, "en")
    assert page.url == account_page  # back on the page the switch was pressed on
    menu = page.get_by_role("navigation", name=en("Menu principal"))
    expect(menu.get_by_role("link", name=en("Mon compte"))).to_be_visible()
    expect(menu.get_by_role("link", name=en("Informations perso."))).to_be_visible()
    assert page.title() == f"{en('Mon compte')} · eCandidat"
    expect(language_switch(page).get_by_role("button", name="English")).to_have_attribute(
        "aria-pressed", "true")
    assert CompteCandidat.get_by_id(compte.id).langue == "en"
    assert Candidat.get(Candidat.compte == compte.id).langue == "en"

    # Log out, then sign in again from another browser, which reads French.
    menu.get_by_role("button", name=en("Déconnexion")).click()
    page.get_by_text(en("Vous êtes déconnecté.")).wait_for()
    other = french_browser(browser, live_server)
    try:
        tab = other.new_page()
        tab.goto("/")
        expect_language(tab, "fr")
        candidate_sign_in(tab, compte.email)
        expect_language(tab, "en")
        tab.get_by_role("navigation", name=en("Menu principal")).get_by_role(
            "link", name=en("Mon compte")).click()
        expect_language(tab, "en")
        tab.get_by_role("link", name=en("Informations perso.")).first.wait_for()
    finally:
        other.close()


def test_a_console_user_presses_english_on_a_console_form_and_keeps_it_at_the_next_login(
        app, console, browser, live_server):
    en = english(app)
    ensure_templates()
    console.get_by_text("Vous êtes connecté en tant que : Administrateur.").wait_for()
    open_template(console, "CANDIDATURE")  # a page with a form of its own (csrf_token)
    expect_language(console, "fr")
    form_page = console.url

    press_english(console)
    expect_language(console, "en")
    assert console.url == form_page
    expect(console.get_by_label(en("Objet en anglais"))).to_be_visible()
    expect(console.get_by_role("button", name=en("Prévisualiser"))).to_be_visible()
    expect(language_switch(console).get_by_role("button", name="English")).to_have_attribute(
        "aria-pressed", "true")
    assert User.get(User.email == "admin@example.org").langue == "en"

    # The other console pages: English too, Flask-Admin's own texts included.
    console.goto("/admin/formation/")
    expect_language(console, "en")
    expect(console.locator("#console-main h4")).to_have_text(en("Formations"))
    expect(console.get_by_text("There are no items in the table.")).to_be_visible()
    console.goto("/admin/")
    console.get_by_text(en("Vous êtes connecté en tant que : %(role)s.",
                           role=en("Administrateur"))).wait_for()
    console.get_by_role("button", name=en("Déconnexion")).click()
    console.get_by_label(en("Adresse mail")).wait_for()

    # Signing in again from another browser, which reads French: English.
    other = french_browser(browser, live_server)
    try:
        tab = other.new_page()
        console_sign_in(tab, "admin@example.org")
        tab.get_by_text(en("Vous êtes connecté en tant que : %(role)s.",
                           role=en("Administrateur"))).wait_for()
        expect_language(tab, "en")
    finally:
        other.close()


# --- (b) The English version of a mail template -------------------------------------------------

def test_a_console_admin_saves_the_english_subject_and_body_of_a_mail_template(app, console):
    ensure_templates()
    before = MailTemplate.get(MailTemplate.code == "CANDIDATURE")
    open_template(console, "CANDIDATURE")
    assert console.locator("form input[name=csrf_token]").count() == 1
    expect(console.get_by_label("Objet en anglais")).to_have_value(before.sujet_en)

    console.get_by_label("Objet en anglais").fill("We have your application to {{ formation }}")
    console.get_by_label("Texte en anglais").fill("Dear {{ prenom }},\n\nThank you.")
    console.get_by_role("button", name="Enregistrer", exact=True).click()

    console.wait_for_url(re.compile(r"/admin/mailtemplate/(\?.*)?$"))  # back to the list
    expect(console.locator(".alert-success")).to_contain_text("A été enregistrée avec succès.")
    expect(console.locator(".alert-danger")).to_have_count(0)
    assert "CSRF" not in console.content()
    assert saved(before.id) == (before.sujet, before.corps,
                                "We have your application to {{ formation }}",
                                "Dear {{ prenom }},\n\nThank you.")

    # The edit form shows what was saved.
    open_template(console, "CANDIDATURE")
    expect(console.get_by_label("Objet en anglais")).to_have_value(
        "We have your application to {{ formation }}")
    expect(console.get_by_label("Texte en anglais")).to_have_value(
        "Dear {{ prenom }},\n\nThank you.")


def test_a_broken_placeholder_in_the_english_body_is_shown_under_it_and_the_french_text_stays(
        app, console):
    ensure_templates()
    before = MailTemplate.get(MailTemplate.code == "CANDIDATURE")
    open_template(console, "CANDIDATURE")
    french_subject = "Votre candidature à {{ formation }} est enregistrée"
    french_body = "Bonjour {{ prenom }},\n\nvotre candidature est enregistrée."
    console.get_by_label("Sujet", exact=True).fill(french_subject)
    console.get_by_label("Corps du message").fill(french_body)
    console.get_by_label("Objet en anglais").fill("Your application to {{ formation }}")
    console.get_by_label("Texte en anglais").fill("Dear {{ surname }},\n\nThank you.")
    console.get_by_role("button", name="Enregistrer", exact=True).click()

    # Refused: the French message under the English body, nothing saved.
    english_body = form_group(console, "corps_en")
    expect(english_body).to_contain_text("Variable inconnue pour ce modèle : surname.")
    expect(form_group(console, "corps")).not_to_contain_text("Variable inconnue")
    expect(console.locator(".alert-danger", has_text="Enregistrement impossible")).to_be_visible()
    assert "CSRF" not in console.content()
    expect_language(console, "fr")
    assert saved(before.id) == (before.sujet, before.corps, before.sujet_en, before.corps_en)

    # The French text typed in the same form is still there: corrected, all is saved.
    expect(console.get_by_label("Sujet", exact=True)).to_have_value(french_subject)
    expect(console.get_by_label("Corps du message")).to_have_value(french_body)
    expect(console.get_by_label("Texte en anglais")).to_have_value(
        "Dear {{ surname }},\n\nThank you.")
    console.get_by_label("Texte en anglais").fill("Dear {{ prenom }},\n\nThank you.")
    console.get_by_role("button", name="Enregistrer", exact=True).click()
    console.wait_for_url(re.compile(r"/admin/mailtemplate/(\?.*)?$"))
    expect(console.locator(".alert-danger")).to_have_count(0)
    assert saved(before.id) == (french_subject, french_body,
                                "Your application to {{ formation }}",
                                "Dear {{ prenom }},\n\nThank you.")
