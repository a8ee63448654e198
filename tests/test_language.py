"""English (issue 10 §1): the language switch (session for visitors, account for the
signed-in), Accept-Language for visitors without a choice, mails, letters and PDFs in
the candidate's language whoever acts, the English mail templates edited in the
console, countries named in English. SQLite and PostgreSQL."""
import io
import re

import pytest
from babel.dates import format_date
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from conftest import link_in, outbox, sign_in, sqlite_migrated_to
from ecandidat import dossiers, i18n, workflow
from ecandidat.mail import ensure_templates, queue_mail, template_for
from ecandidat.mail_defaults import DEFAULT_TEMPLATES, ENGLISH_TEMPLATES
from ecandidat.mail_templates import VARIABLES, check
from ecandidat.models import Candidat, CompteCandidat, MailTemplate, Pays, User
from ecandidat.workflow.queries import date_retour


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def switch(client, language, next_url="/"):
    return client.post("/langue", data={"langue": language, "next": next_url})


# --- Which language a page is in ---------------------------------------------------------------

def test_accept_language_chooses_for_a_visitor_without_a_choice(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})) == "fr"
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE"})) == "fr"
    assert html_lang(client.get("/")) == "fr"


def test_a_visitor_s_choice_is_remembered_over_the_browser_s_language(client):
    response = switch(client, "en", "/assistance")
    assert response.status_code == 302 and response.headers["Location"] == "/assistance"
    page = client.get("/", headers={"Accept-Language": "fr-FR"})
    assert html_lang(page) == "en"
    assert "<title>Home · eCandidat</title>" in page.get_data(as_text=True)
    switch(client, "fr")
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "fr"


def test_the_switch_offers_each_language_in_its_own_language(client):
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/langue".*?</form>', page, re.S).group(0)
    assert re.search(r'<button[^>]*value="fr"[^>]*lang="fr"[^>]*aria-pressed="false"[^>]*>'
                     r'Français</button>', form)
    assert re.search(r'<button[^>]*value="en"[^>]*lang="en"[^>]*aria-pressed="true"[^>]*>'
                     r'English</button>', form)
    # No token for a visitor: the anonymous pages are the same for everyone (views.language).
    assert "csrf_token" not in form


def test_an_unknown_language_or_a_foreign_next_is_refused(client):
    assert switch(client, "de").status_code == 400
    assert html_lang(client.get("/")) == "fr"
    response = switch(client, "en", "https://evil.example.org/")
    assert response.headers["Location"] == "/"


def test_the_signed_in_switch_needs_the_page_s_csrf_token(app, client, make_compte):
    compte, _ = make_compte()
    sign_in(client, compte)
    app.config["WTF_CSRF_ENABLED"] = True
    assert switch(client, "en").status_code == 400
    assert CompteCandidat.get_by_id(compte.id).langue == "fr"
    page = client.get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/langue".*?</form>', page, re.S).group(0)
    csrf = re.search(r'name="language_csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/langue", data={"langue": "en", "next": "/",
                                            "language_csrf_token": csrf})
    assert response.status_code == 302
    assert CompteCandidat.get_by_id(compte.id).langue == "en"
    assert html_lang(client.get("/")) == "en"


def test_a_visitor_switches_without_a_token_and_the_offer_page_stays_shared(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert switch(client, "en").status_code == 302
    assert html_lang(client.get("/")) == "en"
    first = app.test_client().get("/offre-de-formation/")
    second = app.test_client().get("/offre-de-formation/")
    assert first.get_data() == second.get_data() and first.headers["ETag"] == second.headers[
        "ETag"]


def test_a_candidate_s_choice_is_saved_on_the_account_and_survives_logout_and_login(
        app, client, make_compte):
    compte, password = make_compte()
    Candidat.create(compte=compte, nom_patronymique=compte.nom, prenom=compte.prenom)
    sign_in(client, compte)
    switch(client, "en")
    assert CompteCandidat.get_by_id(compte.id).langue == "en"
    assert Candidat.get(Candidat.compte == compte.id).langue == "en"
    client.post("/deconnexion")
    # Another browser (French), signing in: the account's language.
    other = app.test_client()
    response = other.post("/connexion", data={"identifier": compte.email,
                                               "password": password},
                          headers={"Accept-Language": "fr-FR"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert html_lang(other.get("/compte", headers={"Accept-Language": "fr-FR"})) == "en"


def test_a_console_user_gets_the_switch_and_keeps_the_choice(app, client):
    from test_console import console_login
    console_login(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'action="/langue"' in page and re.search(r'<html lang="fr"', page)
    switch(client, "en", "/admin/")
    user = User.get()
    assert user.langue == "en"
    assert html_lang(client.get("/admin/", headers={"Accept-Language": "fr"})) == "en"


# --- Mails in the candidate's language ---------------------------------------------------------

def test_a_visitor_reading_english_signs_up_and_gets_the_english_validation_mail(app, client):
    switch(client, "en")
    response = client.post("/compte/creer", data={
        "nom": "Smith", "prenom": "Jane", "email": "jane.smith@example.org",
        "email_confirm": "jane.smith@example.org",
        "password": "a long and solid passphrase", "password_confirm":
        "a long and solid passphrase"})
    assert response.status_code == 200, response.status_code
    compte = CompteCandidat.get(CompteCandidat.email == "jane.smith@example.org")
    assert compte.langue == "en"
    [mail] = outbox("CPT_MIN_CREATE")
    assert mail.sujet == "Confirm the creation of your eCandidat account"
    assert mail.corps_texte.startswith("Hello Jane SMITH,")
    assert re.search(r"valid until \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d\.", mail.corps_texte)
    assert "/compte/valider/" in link_in(mail.corps_texte, "/compte/valider/")


def test_an_english_candidate_gets_english_mails_when_a_french_console_user_acts(
        app, client, smtp_server, make_compte):
    from test_console_actions import login, submit
    from ecandidat import clock
    from test_console_candidatures import candidate, transmitted
    from factories import open_formation, pieces, question
    formation = open_formation("M1AES")
    pieces(formation)
    question(formation)
    candidat = candidate(make_compte, "english@example.org", nom="SMITH", prenom="Jane")
    i18n.choose_language(candidat.compte, "en")
    sent = transmitted(candidat, formation)
    login(app, client, "commission", "COM-M1AES")
    assert html_lang(client.get("/admin/")) == "fr"
    response = submit(client, "statut", [sent], {"statut": "IN",
                                                "date": clock.today().isoformat()})
    assert response.status_code == 302
    mail = outbox("STATUT_IN")[-1]
    assert mail.destinataire == "english@example.org"
    assert mail.sujet == "Your application file for Formation M1AES is incomplete"
    with app.test_request_context():
        deadline = format_date(date_retour(sent), "d MMMM yyyy", locale="en")
    assert f"submit it again before {deadline}." in mail.corps_texte
    # Through the real SMTP server (sent by the request's mail thread).
    import time
    for _ in range(100):
        if any(m["Subject"] == mail.sujet for m in smtp_server.messages):
            break
        time.sleep(0.1)
    [received] = [m for m in smtp_server.messages if m["Subject"] == mail.sujet]
    assert "Hello Jane SMITH," in received.get_content()


def test_a_commission_alert_stays_in_the_institution_s_language(app, make_compte):
    from factories import complete_candidat, open_formation
    formation = open_formation("M1AES")
    commission = formation.commission
    commission.alerte_transmission, commission.mail_alerte = True, "jury@example.org"
    commission.save()
    compte, _ = make_compte(email="english@example.org")
    candidat = complete_candidat(compte)
    i18n.choose_language(compte, "en")
    candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)
    assert outbox("CANDIDATURE")[-1].sujet == f"Your application to {formation.libelle}"
    engine_mail = type("Mail", (), {"code": "COMMISSION_ALERT_TRANSMISSION",
                                    "alert": "alerte_transmission"})
    from ecandidat.workflow.engine import send
    send(engine_mail, candidature)
    assert outbox("COMMISSION_ALERT_TRANSMISSION")[-1].sujet.startswith("[eCandidat] Dossier")


# --- The English mail templates ----------------------------------------------------------------

def test_every_code_has_an_english_default_that_passes_the_check(app):
    assert set(ENGLISH_TEMPLATES) == set(DEFAULT_TEMPLATES) == set(VARIABLES)
    for code, (sujet, corps) in ENGLISH_TEMPLATES.items():
        assert check(code, sujet, corps) == {}, code
        assert sujet != DEFAULT_TEMPLATES[code][1], code


def test_a_missing_english_version_falls_back_to_the_french_one(app):
    ensure_templates()
    stored = MailTemplate.get(MailTemplate.code == "STATUT_RE")
    assert template_for("STATUT_RE", "en") == ENGLISH_TEMPLATES["STATUT_RE"]
    stored.sujet_en = stored.corps_en = None
    stored.sujet = "Dossier {{ formation }} reçu"
    stored.save()
    assert template_for("STATUT_RE", "en") == ("Dossier {{ formation }} reçu", stored.corps)
    mail = queue_mail("STATUT_RE", "x@example.org",
                      {"nom": "N", "prenom": "P", "numero_dossier": "1", "formation": "F",
                       "candidat": "P N", "date_retour": "1 June 2025"}, langue="en")
    assert mail.sujet == "Dossier F reçu"
    MailTemplate.update(actif=False).where(MailTemplate.id == stored.id).execute()
    assert template_for("STATUT_RE", "en") is None


def test_a_broken_english_version_is_replaced_by_the_english_default(app):
    ensure_templates()
    MailTemplate.update(corps_en="{{ inconnue }}").where(
        MailTemplate.code == "STATUT_CO").execute()
    mail = queue_mail("STATUT_CO", "x@example.org",
                      {"nom": "N", "prenom": "P", "numero_dossier": "1", "formation": "F",
                       "candidat": "P N", "date_retour": "1 June 2025"}, langue="en")
    assert mail.sujet == "Your application file for F is complete"
    assert "Hello P N," in mail.corps_texte
    assert "STATUT_CO" in mail.last_error


def test_the_console_edits_the_english_version(app, client):
    from test_console import console_login
    from test_console_mail import field_errors
    ensure_templates()
    console_login(client)
    template = MailTemplate.get(MailTemplate.code == "CANDIDATURE")
    url = f"/admin/mailtemplate/edit/?id={template.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="sujet_en"' in page and 'name="corps_en"' in page
    assert "Aperçu de la version anglaise" in page
    base = {"libelle": template.libelle, "sujet": template.sujet, "corps": template.corps,
            "actif": "y"}
    # Half an English version, or an unknown variable in it: refused, nothing saved.
    refused = client.post(url, data={**base, "sujet_en": "Hi", "corps_en": ""})
    assert "laissez les deux vides" in field_errors(refused.get_data(as_text=True), "corps_en")
    refused = client.post(url, data={**base, "sujet_en": "Hi {{ surname }}",
                                     "corps_en": "Body"})
    assert "surname" in field_errors(refused.get_data(as_text=True), "sujet_en")
    assert MailTemplate.get_by_id(template.id).sujet_en == ENGLISH_TEMPLATES["CANDIDATURE"][0]
    # The preview shows the English version rendered.
    preview = client.post(url, data={**base, "sujet_en": "Applied to {{ formation }}",
                                     "corps_en": "Dear {{ prenom }}", "_preview": "1"})
    assert re.search(r'class="preview-subject-en" lang="en">Applied to M1 Administration',
                     preview.get_data(as_text=True))
    saved = client.post(url, data={**base, "sujet_en": "Applied to {{ formation }}",
                                   "corps_en": "Dear {{ prenom }}"})
    assert saved.status_code == 302
    stored = MailTemplate.get_by_id(template.id)
    assert (stored.sujet_en, stored.corps_en) == ("Applied to {{ formation }}",
                                                  "Dear {{ prenom }}")
    assert stored.sujet == template.sujet
    # A browser sends a textarea's lines as CRLF: stored as the defaults are, with LF.
    client.post(url, data={**base, "corps": template.corps.replace("\n", "\r\n"),
                           "sujet_en": "Hi", "corps_en": "Dear {{ prenom }},\r\n\r\nBye"})
    stored = MailTemplate.get_by_id(template.id)
    assert (stored.corps, stored.corps_en) == (template.corps, "Dear {{ prenom }},\n\nBye")
    # Both left empty: English readers get the French one.
    client.post(url, data={**base, "sujet_en": "", "corps_en": "  "})
    stored = MailTemplate.get_by_id(template.id)
    assert stored.sujet_en is None and stored.corps_en is None
    assert template_for("CANDIDATURE", "en") == (template.sujet, template.corps)


def test_migration_0011_gives_english_only_to_templates_still_at_their_default(tmp_path):
    with sqlite_migrated_to(tmp_path / "old.sqlite3", "0010") as (fresh, runner):
        for code, sujet in (("STATUT_RE", DEFAULT_TEMPLATES["STATUT_RE"][1]),
                            ("STATUT_CO", "Sujet réécrit par l'établissement")):
            fresh.execute_sql("INSERT INTO mail_template (code, libelle, sujet, corps, actif)"
                              " VALUES (?, ?, ?, ?, 1)",
                              (code, "l", sujet, DEFAULT_TEMPLATES[code][2]))
        runner.up()
        rows = dict((code, (sujet_en, corps_en)) for code, sujet_en, corps_en in
                    fresh.execute_sql("SELECT code, sujet_en, corps_en FROM mail_template"))
    assert rows == {"STATUT_RE": ENGLISH_TEMPLATES["STATUT_RE"], "STATUT_CO": (None, None)}


# --- PDFs and countries ------------------------------------------------------------------------

def pdf_text(data):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def english_candidature(app, make_compte):
    from factories import complete_candidat, open_formation, pieces, question
    formation = open_formation("M1AES")
    pieces(formation)
    question(formation)
    compte, _ = make_compte(email="english@example.org", nom="SMITH", prenom="Jane")
    candidat = complete_candidat(compte)  # born in Spain, Spanish
    i18n.choose_language(compte, "en")
    return candidat, formation


def test_the_candidate_s_draft_dossier_is_in_english(app, client, english_candidature):
    candidat, formation = english_candidature
    candidature = workflow.candidater(workflow.Actor.candidat(candidat), candidat, formation)
    sign_in(client, candidat.compte)
    response = client.get(f"/candidatures/{candidature.id}/dossier.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Spain" in text and "Espagne" not in text
    with force_locale("en"):
        heading = gettext("Pièces justificatives")
    assert heading == "Supporting documents" and heading in text
    assert "Pièces justificatives" not in text


def test_a_transmitted_dossier_is_stored_in_french_and_given_in_english_to_its_reader(
        app, client, english_candidature):
    from test_console_candidatures import transmitted
    candidat, formation = english_candidature
    candidature = transmitted(candidat, formation)
    with app.test_request_context():
        stored = dossiers.document(candidature)
        assert stored.stored  # the commission's copy, French
        from ecandidat import storage
        with open(storage.stored_path(stored.stored), "rb") as handle:
            french = pdf_text(handle.read())
    assert "Espagne" in french and "Spain" not in french
    sign_in(client, candidat.compte)
    english = pdf_text(client.get(f"/candidatures/{candidature.id}/dossier.pdf").data)
    assert "Spain" in english and "Espagne" not in english
    # The stored copy is untouched; switching back to French serves it.
    from ecandidat.models import Candidature
    assert Candidature.get_by_id(candidature.id).dossier_pdf == stored.stored
    switch(client, "fr")
    again = pdf_text(client.get(f"/candidatures/{candidature.id}/dossier.pdf").data)
    assert "Espagne" in again


def test_an_admission_letter_is_in_the_candidate_s_language_whoever_asks(app, world):
    """The console (French) asks for the letter of an English candidate: English default
    text, English dates and country; a commission's own text (French only) is kept."""
    import datetime

    import time_machine

    from ecandidat import letters
    from ecandidat.models import Candidature, Commission, Formation
    from ecandidat.users import create_user
    from ecandidat.workflow import commission as actions
    from test_console import STRONG
    with time_machine.travel(datetime.datetime(2026, 6, 15, 8, 0,
                                               tzinfo=datetime.timezone.utc), tick=True):
        sent = world["sent"]
        Formation.update(date_confirmation=datetime.date(2026, 7, 10)).where(
            Formation.id == sent.formation_id).execute()
        Commission.update(lettre_editable=True).where(
            Commission.id == sent.formation.commission_id).execute()
        i18n.choose_language(sent.candidat.compte, "en")
        user, _ = create_user("admin-langue@example.org", "admin", password=STRONG)
        admin = workflow.Actor.user(User.get_by_id(user.id))
        actions.saisir_avis(admin, [Candidature.get_by_id(sent.id)], "FA")
        actions.valider_avis(admin, [Candidature.get_by_id(sent.id)])
        candidature = Candidature.get_by_id(sent.id)
        with app.test_request_context(headers={"Accept-Language": "fr"}):
            name, data = letters.letter_download(candidature)
        text = " ".join(pdf_text(data).split())
        assert "I am pleased to inform you" in text and "by 10 July 2026" in text
        assert "Spain" in text and "Espagne" not in text
        Commission.update(lettre_admission="Texte propre à la commission, {{ prenom }}.").where(
            Commission.id == sent.formation.commission_id).execute()
        with app.test_request_context():
            text = " ".join(pdf_text(letters.letter_pdf(
                Candidature.get_by_id(sent.id))).split())
        assert "Texte propre à la commission, Alix." in text and "Spain" in text


def test_countries_are_named_in_the_reader_s_language(app):
    from ecandidat import profile
    Pays.create(code="100", iso2="FR", libelle="France", nationalite="Française")
    Pays.create(code="109", iso2="DE", libelle="Allemagne", nationalite="Allemande")
    Pays.create(code="134", iso2="ES", libelle="Espagne", nationalite="Espagnole")
    # force_locale: the tests' requests share the app context, where Flask-Babel keeps
    # the first locale it selected.
    with app.test_request_context(), force_locale("en"):
        assert [item["label"] for item in profile.pays()] == ["France", "Germany", "Spain"]
        assert [item["label"] for item in profile.nationalites()] == [
            "France", "Germany", "Spain"]
        assert str(Pays.get_by_id("109")) == "Germany"
    with app.test_request_context(), force_locale("fr"):
        assert [item["label"] for item in profile.pays()] == ["France", "Allemagne", "Espagne"]
        assert [item["label"] for item in profile.nationalites()] == [
            "Allemande", "Espagnole", "Française"]


from test_console_candidatures import world  # noqa: E402,F401


def test_a_template_follows_force_locale_inside_a_request(app):
    """Templates look the catalogue up once per language and request
    (views.templating.request_translations): a mail rendered in English during a French request gets
    English, and the page after it French again."""
    from flask import render_template_string
    page = '{{ _("Mon compte") }}'
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(page) == "Mon compte"
        with force_locale("en"):
            assert render_template_string(page) == "My account"
            assert render_template_string('{{ ngettext("%(num)d stage", "%(num)d stages", 2) }}') \
                == "2 internships"
        assert render_template_string(page) == "Mon compte"
