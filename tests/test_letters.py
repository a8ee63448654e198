"""Admission and refusal letters (ecandidat.letters): which candidature has one, the
real PDF (read back with pypdf), the commission's editable text and its fallback,
the candidate's and the console's downloads in scope only, the console form's
check (CSRF on), and the letter attached to the decision mail through a real SMTP
server, never holding the mail back. Time frozen; SQLite and PostgreSQL."""
import datetime
import html
import io
import logging
import re

import pytest
import time_machine
from pypdf import PdfReader

from conftest import outbox, sign_in
from ecandidat import letters, storage, workflow
from ecandidat.mail import send_pending
from ecandidat.models import Candidature, Commission, Formation, MotivationAvis, User
from ecandidat.users import create_user
from ecandidat.workflow import commission as actions, decision
from factories import PNG_BYTES
from test_console import STRONG, console_login, flashes, page_text
from test_console_candidatures import candidate, transmitted, world  # noqa: F401
from test_console_setup import edit, field_error, form_values

# Monday 15 June 2026, 10:00 in Paris.
NOW = datetime.datetime(2026, 6, 15, 8, 0, tzinfo=datetime.timezone.utc)
DEADLINE = datetime.date(2026, 7, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def admin(world):
    user, _ = create_user("admin-lettres@example.org", "admin", password=STRONG)
    return workflow.Actor.user(User.get_by_id(user.id))


@pytest.fixture
def sent(world):
    """The transmitted candidature of DURAND Alix to M1AES: its formation has a
    confirmation date and a jury date, its commission a signataire and a signature."""
    formation = world["formation"]
    Formation.update(date_confirmation=DEADLINE, date_jury=datetime.date(2026, 6, 25)).where(
        Formation.id == formation.id).execute()
    signature, _mime, _size = storage.save_upload(PNG_BYTES)
    Commission.update(signataire="La présidente du jury Claire VIDAL",
                      signature_fichier=signature).where(
        Commission.id == formation.commission_id).execute()
    return fresh(world["sent"])


def fresh(candidature):
    return Candidature.get_by_id(candidature.id)


def commission_of(candidature):
    return Commission.get_by_id(candidature.formation.commission_id)


def set_commission(candidature, **values):
    Commission.update(**values).where(
        Commission.id == candidature.formation.commission_id).execute()


def decide(admin, candidature, type_avis, **fields):
    """Enter and validate an avis; returns the validated Avis."""
    actions.saisir_avis(admin, [fresh(candidature)], type_avis, **fields)
    actions.valider_avis(admin, [fresh(candidature)])
    return workflow.published_avis(fresh(candidature))


def motif():
    return MotivationAvis.get_or_none(MotivationAvis.code == "CAP") or MotivationAvis.create(
        code="CAP", libelle="Capacité d'accueil atteinte")


def pdf_text(data):
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(data)).pages)


# --- Which letter ----------------------------------------------------------------------------

def test_letter_kind_follows_the_last_validated_avis(sent, admin):
    assert letters.letter_kind(sent) is None  # no avis yet
    actions.saisir_avis(admin, [sent], "FA")
    assert letters.letter_kind(fresh(sent)) is None  # not validated: not published
    actions.valider_avis(admin, [fresh(sent)])
    assert letters.letter_kind(fresh(sent)) == letters.ADMISSION
    # A newer avis, not yet validated, takes the letter away until it is published.
    actions.saisir_avis(admin, [fresh(sent)], "DE", motivation_id=motif().id)
    assert letters.letter_kind(fresh(sent)) is None
    actions.valider_avis(admin, [fresh(sent)])
    assert letters.letter_kind(fresh(sent)) == letters.REFUS
    decide(admin, sent, "LA")
    assert letters.letter_kind(fresh(sent)) is None  # liste d'attente: no letter


def test_no_admission_letter_after_the_desistement(sent, admin):
    decide(admin, sent, "FA")
    decision.confirmer(admin, fresh(sent))
    assert letters.letter_kind(fresh(sent)) == letters.ADMISSION  # confirmed: still there
    decision.desister(admin, fresh(sent), motif="Autre formation")
    assert letters.letter_kind(fresh(sent)) is None
    with pytest.raises(letters.NoLetter):
        letters.letter_pdf(fresh(sent))


def test_commission_flags_govern_download_and_mail(sent, admin):
    decide(admin, sent, "FA")
    set_commission(sent, lettre_editable=False, lettre_par_mail=True)
    candidature = fresh(sent)
    assert letters.letter_kind(candidature) is None
    assert letters.letter_kind(candidature, mail=True) == letters.ADMISSION
    set_commission(sent, lettre_editable=True, lettre_par_mail=False)
    candidature = fresh(sent)
    assert letters.letter_kind(candidature) == letters.ADMISSION
    assert letters.letter_kind(candidature, mail=True) is None


# --- The PDF ---------------------------------------------------------------------------------

def test_admission_letter_is_a_real_pdf_with_what_was_decided(sent, admin):
    avis = decide(admin, sent, "FA", commentaire="Entretien très convaincant")
    candidature = fresh(sent)
    numero = candidature.candidat.compte.numero_dossier
    name, data = letters.letter_download(candidature)
    assert name == f"lettre_admission-{numero}_DURAND_Alix-M1AES.pdf"
    text = pdf_text(data)
    for expected in ("DURAND", "Alix", "Mme", numero, "2 avril 2001",
                     "Formation M1AES", "M1AES", "Commission M1AES",
                     "2 rue Jean Carbonnier", "86000 Poitiers",  # the commission's address
                     "Calle Mayor 1", "Madrid",  # the candidate's
                     "25 juin 2026",  # date du jury
                     "10 juillet 2026",  # date limite de confirmation
                     "15 juin 2026",  # date of the decision (validation, local time)
                     "Favorable", "Entretien très convaincant",
                     "La présidente du jury Claire VIDAL", "avis favorable"):
        assert expected in text, expected
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert page.images, "the signature image is drawn"
    assert avis.valide_le is not None
    # The commentaire stays out when the commission does not show it.
    set_commission(sent, afficher_commentaire=False)
    assert "Entretien très convaincant" not in pdf_text(letters.letter_pdf(fresh(sent)))


def test_refusal_letter_has_the_motif_and_no_deadline(sent, admin):
    decide(admin, sent, "DE", motivation_id=motif().id)
    candidature = fresh(sent)
    name, data = letters.letter_download(candidature)
    assert name.startswith("lettre_refus-") and name.endswith("-M1AES.pdf")
    text = pdf_text(data)
    assert "Capacité d'accueil atteinte" in text and "DURAND" in text
    assert "avis défavorable" in text and "Défavorable" in text
    assert "10 juillet 2026" not in text


def test_the_file_name_is_plain_ascii(sent, admin):
    decide(admin, sent, "FA")
    candidat = fresh(sent).candidat
    candidat.nom_patronymique, candidat.prenom = "N'GUYỄN / Lê", "Zoé-Chloé"
    candidat.save()
    name = letters.letter_filename(fresh(sent), letters.ADMISSION)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", name), name
    assert name.endswith("_N_GUYEN_Le_Zoe-Chloe-M1AES.pdf")


def test_a_missing_signature_file_leaves_the_image_out(sent, admin):
    decide(admin, sent, "FA")
    storage.delete_stored(commission_of(sent).signature_fichier)
    data = letters.letter_pdf(fresh(sent))
    assert "DURAND" in pdf_text(data)
    assert not PdfReader(io.BytesIO(data)).pages[0].images


# --- The commission's text --------------------------------------------------------------------

def test_a_commission_text_is_used(sent, admin):
    decide(admin, sent, "FA")
    set_commission(sent, lettre_admission=(
        "Chère candidate {{ prenom }} {{ nom }}, bienvenue en {{ code_formation }} : "
        "réponse attendue avant le {{ date_confirmation }}.{% if commentaire %} "
        "{{ commentaire }}{% endif %}"))
    text = pdf_text(letters.letter_pdf(fresh(sent)))
    assert ("Chère candidate Alix DURAND, bienvenue en M1AES : réponse attendue avant le "
            "10 juillet 2026.") in text
    assert "J'ai le plaisir" not in text  # the default text is replaced


def test_a_broken_stored_text_falls_back_to_the_default(sent, admin, caplog):
    decide(admin, sent, "FA")
    for broken in ("Bonjour {{ inconnue }}", "{% if %}", "{% if nom > 1 %}x{% endif %}",
                   "{{ nom.__class__.__mro__ }}", "{% for i in range(9) %}x{% endfor %}"):
        set_commission(sent, lettre_admission=broken)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ecandidat.letters"):
            text = pdf_text(letters.letter_pdf(fresh(sent)))
        assert "J'ai le plaisir de vous informer" in text, broken
        assert "texte par défaut utilisé" in caplog.text, broken


def test_check_refuses_what_would_fail():
    assert letters.check("") == [] and letters.check(None) == []
    assert letters.check("Bonjour {{ prenom }} {{ nom }}, le {{ date_decision }}.") == []
    assert "Variable inconnue" in letters.check("Bonjour {{ prenon }}")[0]
    assert "prenon" in letters.check("Bonjour {{ prenon }}")[0]
    assert "Erreur de syntaxe ligne 2" in letters.check("Bonjour\n{{ nom ")[0]
    assert "ne peut pas être rendu" in letters.check("{% if nom > 1 %}x{% endif %}")[0]
    # Only text, variables, {% if %} and a few filters: nothing whose rendering time or
    # size a text could make unbounded, nothing reaching Python's internals.
    assert letters.check("{% if commentaire and motif != '' %}{{ nom|upper ~ '!' }}"
                         "{% elif prenom is defined %}{{ prenom|default('') }}{% endif %}") == []
    for refused in ("{% for i in range(99999) %}{{ nom }}{% endfor %}", "{{ nom * 99999 }}",
                    "{{ nom|center(999999999) }}", "{{ '%0999999999d' % 1 }}",
                    "{{ nom.__class__.__mro__ }}", "{{ nom.upper() }}", "{% set x = nom %}",
                    "{% macro m() %}{% endmacro %}", "{{ nom + 1 }}"):
        assert "Construction non permise" in letters.check(refused)[0], refused
    for kind in letters.KINDS:
        assert letters.check(letters.default_text(kind)) == []


# --- The console form -------------------------------------------------------------------------

def test_the_commission_form_checks_the_letter_texts(app, sent, client):
    commission = commission_of(sent)
    console_login(client, role="gestionnaire", scope="DSS")
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/admin/commission/edit/?id={commission.id}"
    page = page_text(client, url)
    assert "Texte de la lettre d'admission" in html.unescape(page)
    assert "Texte de la lettre de refus" in page
    assert "J&#39;ai le plaisir de vous informer" in page  # the default, as placeholder
    assert form_values(page).get("lettre_admission", "") == ""
    response = edit(client, url, {"lettre_admission": "Bonjour {{ prenom }} {{ dossier }}",
                                  "lettre_refus": "Motif : {{ motif }"})
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    assert "dossier" in field_error(shown, "lettre_admission")
    assert "Variable inconnue" in field_error(shown, "lettre_admission")
    assert "Erreur de syntaxe" in field_error(shown, "lettre_refus")
    assert "Enregistrement impossible" in flashes(shown)
    saved = Commission.get_by_id(commission.id)
    assert saved.lettre_admission is None and saved.lettre_refus is None
    # Without the token, nothing is saved either.
    data = form_values(page)
    data.pop("csrf_token", None)
    data["lettre_admission"] = "Bonjour {{ prenom }}"
    client.post(url, data=data, content_type="multipart/form-data")
    assert Commission.get_by_id(commission.id).lettre_admission is None
    # A valid text is saved; emptied again, the default text comes back (None).
    response = edit(client, url, {"lettre_admission": "Bonjour {{ prenom }} {{ nom }}",
                                  "lettre_refus": ""})
    assert response.status_code == 302, flashes(response.get_data(as_text=True))
    saved = Commission.get_by_id(commission.id)
    assert saved.lettre_admission == "Bonjour {{ prenom }} {{ nom }}"
    assert saved.lettre_refus is None
    assert "Bonjour {{ prenom }} {{ nom }}" in page_text(
        client, f"/admin/commission/details/?id={commission.id}")
    response = edit(client, url, {"lettre_admission": "  "})
    assert response.status_code == 302
    assert Commission.get_by_id(commission.id).lettre_admission is None


# --- Downloads ----------------------------------------------------------------------------

def test_the_candidate_downloads_their_letter_only(sent, admin, client, make_compte):
    compte = sent.candidat.compte
    sign_in(client, compte)
    url = f"/candidatures/{sent.id}/lettre.pdf"
    detail = page_text(client, f"/candidatures/{sent.id}")
    assert "Télécharger lettre" not in detail
    assert client.get(url).status_code == 404  # no letter yet
    decide(admin, sent, "FA")
    detail = page_text(client, f"/candidatures/{sent.id}")
    assert "Télécharger lettre d'admission" in html.unescape(detail)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "lettre_admission-" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "DURAND" in pdf_text(response.data)
    # Another candidate's candidature (with a letter) is not found.
    other = transmitted(candidate(make_compte, "autre@example.org", nom="BLANC"),
                        Formation.get_by_id(sent.formation_id))
    decide(admin, other, "DE", motivation_id=motif().id)
    assert client.get(f"/candidatures/{other.id}/lettre.pdf").status_code == 404
    assert client.get("/candidatures/999999/lettre.pdf").status_code == 404
    # A refusal gives its own label.
    decide(admin, sent, "DE", motivation_id=motif().id)
    detail = page_text(client, f"/candidatures/{sent.id}")
    assert "Télécharger lettre de refus" in detail
    assert "Capacité" in pdf_text(client.get(url).data)
    # Commission flag off: no button, 404.
    set_commission(sent, lettre_editable=False)
    assert "Télécharger lettre" not in page_text(client, f"/candidatures/{sent.id}")
    assert client.get(url).status_code == 404


def test_a_visitor_is_sent_to_the_login(sent, admin, client):
    decide(admin, sent, "FA")
    response = client.get(f"/candidatures/{sent.id}/lettre.pdf")
    assert response.status_code == 302 and "connexion" in response.headers["Location"]


def test_the_console_gives_the_letter_in_scope_only(app, world, sent, admin):
    decide(admin, sent, "FA")
    url = f"/admin/candidature/{sent.id}/lettre.pdf"
    membre = app.test_client()
    console_login(membre, role="commission", scope="COM-M1AES", email="m@example.org")
    details = page_text(membre, f"/admin/candidature/details/?id={sent.id}")
    assert url in details and "Télécharger lettre d'admission" in html.unescape(details)
    response = membre.get(url)
    assert response.status_code == 200 and "DURAND" in pdf_text(response.data)
    ailleurs = app.test_client()
    console_login(ailleurs, role="gestionnaire", scope="LET", email="g@example.org")
    assert ailleurs.get(url).status_code == 404
    other = world["other"]  # in LET's scope, but without a letter
    assert ailleurs.get(f"/admin/candidature/{other.id}/lettre.pdf").status_code == 404
    assert ailleurs.get("/admin/candidature/999999/lettre.pdf").status_code == 404
    candidat = app.test_client()
    sign_in(candidat, sent.candidat.compte)
    response = candidat.get(url)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# --- The decision mail ---------------------------------------------------------------------

def flush(smtp_server):
    """Send what the set-up queued (transmission mails…), and forget it."""
    send_pending()
    smtp_server.messages.clear()


def attachments(message):
    return [(part.get_filename(), part.get_content_type(), part.get_content())
            for part in message.iter_attachments()]


def test_the_decision_mail_carries_the_letter_when_the_commission_says_so(
        sent, admin, smtp_server):
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    avis = decide(admin, sent, "FA")
    [mail] = outbox("AVIS_FAVORABLE")
    assert mail.piece_jointe == f"lettre:{avis.id}"
    assert send_pending() == (1, 0)
    [message] = [m for m in smtp_server.messages if m["To"] == "sent@example.org"]
    [(name, kind, data)] = attachments(message)
    assert kind == "application/pdf" and name.startswith("lettre_admission-")
    text = pdf_text(data)
    assert "DURAND" in text and "10 juillet 2026" in text
    assert "avis favorable" in message.get_body(preferencelist=("plain",)).get_content()
    sent_mail = outbox("AVIS_FAVORABLE")[0]
    assert sent_mail.sent_at is not None and sent_mail.last_error is None


def test_no_letter_in_the_mail_without_the_commission_flag(sent, admin, smtp_server):
    flush(smtp_server)
    assert not commission_of(sent).lettre_par_mail  # the default
    decide(admin, sent, "DE", motivation_id=motif().id)
    [mail] = outbox("AVIS_DEFAVORABLE")
    assert mail.piece_jointe is None
    send_pending()
    [message] = [m for m in smtp_server.messages if m["To"] == "sent@example.org"]
    assert attachments(message) == []


def test_refusal_mail_carries_the_refusal_letter(sent, admin, smtp_server):
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    decide(admin, sent, "LA")  # a liste d'attente mail: no letter
    decide(admin, sent, "DE", motivation_id=motif().id)
    assert outbox("AVIS_LISTE_ATT")[0].piece_jointe is None
    send_pending()
    by_subject = {tuple(a[0] for a in attachments(m)): m for m in smtp_server.messages
                  if m["To"] == "sent@example.org"}
    names = [n for names in by_subject for n in names]
    assert len(names) == 1 and names[0].startswith("lettre_refus-")
    [message] = [m for m in smtp_server.messages if attachments(m)]
    assert "Capacité d'accueil atteinte" in pdf_text(attachments(message)[0][2])


def test_a_letter_that_fails_to_render_never_holds_the_mail(sent, admin, smtp_server,
                                                             monkeypatch):
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    decide(admin, sent, "FA")

    def broken(*args, **kwargs):
        raise RuntimeError("WeasyPrint en panne")
    monkeypatch.setattr(letters, "render_pdf", broken)
    assert send_pending() == (1, 0)
    [message] = [m for m in smtp_server.messages if m["To"] == "sent@example.org"]
    assert attachments(message) == []
    mail = outbox("AVIS_FAVORABLE")[0]
    assert mail.sent_at is not None
    assert "WeasyPrint en panne" in mail.last_error and "lettre:" in mail.last_error


def test_a_letter_gone_before_sending_leaves_the_mail_without_it(sent, admin, smtp_server):
    """The candidate withdrew before the mail left: no admission letter any more."""
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    decide(admin, sent, "FA")
    decision.desister(admin, fresh(sent))
    assert send_pending()[1] == 0
    [message] = [m for m in smtp_server.messages
                 if m["To"] == "sent@example.org" and "avis favorable" in
                 m.get_body(preferencelist=("plain",)).get_content()]
    assert attachments(message) == []
    assert "plus de lettre" in outbox("AVIS_FAVORABLE")[0].last_error


def test_the_promotion_from_the_liste_complementaire_sends_the_letter(
        world, sent, admin, make_compte, smtp_server):
    formation = Formation.get_by_id(sent.formation_id)
    Formation.update(liste_complementaire=True).where(Formation.id == formation.id).execute()
    set_commission(sent, lettre_par_mail=True)
    waiting = transmitted(candidate(make_compte, "attente@example.org", nom="FABRE",
                                    prenom="Jules"), formation)
    decide(admin, waiting, "LC", rang=1)
    decide(admin, sent, "FA")
    send_pending()
    smtp_server.messages.clear()
    decision.desister(admin, fresh(sent))
    promoted = workflow.published_avis(fresh(waiting))
    assert promoted.type_avis == "FA"
    [mail] = [m for m in outbox("AVIS_FAVORABLE") if m.destinataire == "attente@example.org"]
    assert mail.piece_jointe == f"lettre:{promoted.id}"
    send_pending()
    [message] = [m for m in smtp_server.messages if m["To"] == "attente@example.org"
                 and attachments(m)]
    [(name, _kind, data)] = attachments(message)
    assert name.startswith("lettre_admission-") and "FABRE" in name
    assert "FABRE" in pdf_text(data) and "Jules" in pdf_text(data)


def test_a_decision_replaced_before_sending_leaves_its_letter_out(sent, admin, smtp_server):
    """FA validated, then a DE validated before the mails left: the FA mail goes
    without the (now misleading) admission letter, the DE mail with its refusal."""
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    decide(admin, sent, "FA")
    decide(admin, sent, "DE", motivation_id=motif().id)
    assert send_pending() == (2, 0)
    names = sorted(a[0] for m in smtp_server.messages for a in attachments(m))
    assert len(names) == 1 and names[0].startswith("lettre_refus-")
    assert "remplacé" in outbox("AVIS_FAVORABLE")[0].last_error
    assert outbox("AVIS_DEFAVORABLE")[0].last_error is None


def test_an_acces_direct_validated_sends_its_admission_letter(sent, admin, smtp_server):
    flush(smtp_server)
    set_commission(sent, lettre_par_mail=True)
    actions.changer_type_traitement(admin, [fresh(sent)], "AD")
    actions.valider_type_traitement(admin, [fresh(sent)])
    [mail] = outbox("TYPE_TRAIT_AD")
    assert mail.piece_jointe == f"lettre:{workflow.published_avis(fresh(sent)).id}"
    send_pending()
    [message] = [m for m in smtp_server.messages if m["To"] == "sent@example.org"]
    [(name, kind, data)] = attachments(message)
    assert name.startswith("lettre_admission-") and "DURAND" in pdf_text(data)


@pytest.mark.parametrize("text", [
    "{{ " + "(" * 3000 + "nom" + ")" * 3000 + " }}",
    "{{ " + "nom and " * 1200 + "nom }}",
    "{{ " + "not " * 2400 + "nom }}"])
def test_a_deeply_nested_text_is_refused_not_a_crash(app, text):
    with app.test_request_context():
        assert len(text) <= 10_000
        [problem] = letters.check(text)
        assert "trop imbriqué" in problem or "syntaxe" in problem
