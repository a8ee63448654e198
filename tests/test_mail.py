"""Outbox: mails stored with the change, sent after the response, retried, never dropped."""
import datetime
import socket
import time

import pytest
import time_machine

from conftest import free_port, link_in, outbox
from ecandidat import clock
from ecandidat.db import database
from ecandidat.mail import (MailTemplateError, _claim, ensure_templates, queue_mail, render,
                            send_pending)
from ecandidat.models import CompteCandidat, MailTemplate, OutboxMail

STRONG = "trois chevaux bleus dansent"
REGISTER = {"nom": "Lefèvre", "prenom": "Hélène", "email": "helene@example.org",
            "email_confirm": "helene@example.org", "password": STRONG,
            "password_confirm": STRONG}


def eventually(condition, timeout=10):
    """Mails leave after the response, from a background thread: wait for it."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the background sender did not finish in time"
        time.sleep(0.05)


def test_validation_mail_through_a_real_smtp_server(client, smtp_server):
    response = client.post("/compte/creer", data=REGISTER)
    assert response.status_code == 200
    eventually(lambda: smtp_server.messages and outbox()[0].sent_at is not None)
    [message] = smtp_server.messages
    assert message["To"] == "helene@example.org"
    assert message["Subject"] == "Validez la création de votre compte eCandidat"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Hélène LEFÈVRE" in body
    link = link_in(body, "/compte/valider/")
    assert client.get(link).status_code == 302
    assert CompteCandidat.get().valide
    assert outbox()[0].sent_at is not None
    login = client.post("/connexion", data={"identifier": "helene@example.org", "password": STRONG})
    assert login.status_code == 302


def test_failed_send_is_kept_and_retried_later(app, smtp_server):
    live_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    from ecandidat.mail import flask_mail
    flask_mail.init_app(app)
    with database.atomic():
        queue_mail("STATUT_RE", "a@example.org", {"nom": "A", "prenom": "B", "formation": "M1"})
    assert send_pending() == (0, 1)
    [mail] = outbox()
    assert mail.sent_at is None and mail.attempts == 1 and mail.last_error
    assert mail.next_attempt_at > clock.now()
    assert send_pending() == (0, 0)  # not due yet
    app.config["MAIL_PORT"] = live_port
    flask_mail.init_app(app)
    with time_machine.travel(clock.now() + datetime.timedelta(minutes=3)):
        runner = app.test_cli_runner()
        result = runner.invoke(args=["mail", "send"])
    assert "envoyés : 1" in result.output
    assert len(smtp_server.messages) == 1 and outbox()[0].sent_at is not None


def test_without_mail_server_mails_stay_in_the_outbox(app, caplog):
    with database.atomic():
        queue_mail("STATUT_CO", "a@example.org", {"nom": "A", "prenom": "B", "formation": "M1"})
    with caplog.at_level("INFO"):
        assert send_pending() == (0, 0)
    assert "a@example.org" in caplog.text
    assert outbox()[0].sent_at is None


def test_a_rolled_back_change_leaves_no_mail(app):
    with pytest.raises(RuntimeError):
        with database.atomic():
            queue_mail("STATUT_CO", "a@example.org", {"nom": "A", "prenom": "B", "formation": "M"})
            raise RuntimeError("crash mid-action")
    assert outbox() == []


def test_a_disabled_template_is_not_sent(app):
    ensure_templates()
    MailTemplate.update(actif=False).where(MailTemplate.code == "STATUT_CO").execute()
    assert queue_mail("STATUT_CO", "a@example.org", {"nom": "A", "prenom": "B",
                                                     "formation": "M"}) is None
    assert outbox() == []


def test_edited_template_is_used_and_rendered_in_a_sandbox(app):
    ensure_templates()
    MailTemplate.update(sujet="Dossier {{ formation }}", corps="Salut {{ prenom }}").where(
        MailTemplate.code == "STATUT_CO").execute()
    mail = queue_mail("STATUT_CO", "a@example.org", {"nom": "A", "prenom": "Zoé",
                                                     "formation": "M1"})
    assert (mail.sujet, mail.corps_texte) == ("Dossier M1", "Salut Zoé")
    MailTemplate.update(corps="{{ prenom.__class__.__mro__ }}").where(
        MailTemplate.code == "STATUT_CO").execute()
    mail = queue_mail("STATUT_CO", "a@example.org", {"nom": "A", "prenom": "Z",
                                                     "formation": "M"})
    assert "unsafe" in mail.last_error and "class" not in mail.corps_texte
    with pytest.raises(MailTemplateError):
        render("{{ prenom.__class__.__mro__ }}", "", {"prenom": "Z"})


@pytest.mark.parametrize("corps, reason", [
    ("Bonjour {{ inconnue }}", "'inconnue' is undefined"),
    ("Bonjour {{ prenom ", "unexpected end of template"),
    ("Bonjour {{ prenom + 1 }}", "TypeError"),
])
def test_a_broken_edited_template_never_fails_the_candidate_action(client, corps, reason):
    """The account is created; its mail goes out in the default wording, the
    template's error kept with it."""
    ensure_templates()
    MailTemplate.update(corps=corps).where(MailTemplate.code == "CPT_MIN_CREATE").execute()
    response = client.post("/compte/creer", data=REGISTER)
    assert response.status_code == 200
    assert CompteCandidat.get().email == "helene@example.org"
    [mail] = outbox("CPT_MIN_CREATE")
    assert "Modèle CPT_MIN_CREATE en erreur" in mail.last_error and reason in mail.last_error
    assert "Bonjour Hélène LEFÈVRE" in mail.corps_texte and "/compte/valider/" in mail.corps_texte


def stalled_smtp_server():
    """A socket that accepts connections and never says a word (no SMTP greeting)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server


def test_a_stalled_smtp_server_never_holds_the_request(app, client):
    server = stalled_smtp_server()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.getsockname()[1],
                      MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=2)
    from ecandidat.mail import flask_mail
    flask_mail.init_app(app)
    try:
        started = time.monotonic()
        response = client.post("/compte/creer", data=REGISTER)
        elapsed = time.monotonic() - started
        assert response.status_code == 200 and elapsed < 1.5, elapsed
        assert CompteCandidat.get().email == "helene@example.org"
        # The sender gives up after MAIL_TIMEOUT and keeps the mail for a retry.
        eventually(lambda: outbox()[0].attempts == 1)
        [mail] = outbox()
        assert mail.sent_at is None and "timed out" in mail.last_error
        assert mail.next_attempt_at > clock.now()
    finally:
        server.close()


def test_smtp_connections_get_the_configured_timeout(app):
    server = stalled_smtp_server()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.getsockname()[1],
                      MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=1)
    from ecandidat.mail import flask_mail
    flask_mail.init_app(app)
    with database.atomic():
        queue_mail("STATUT_RE", "a@example.org", {"nom": "A", "prenom": "B", "formation": "M1"})
    try:
        started = time.monotonic()
        assert send_pending() == (0, 1)
        assert time.monotonic() - started < 5
    finally:
        server.close()


def test_a_mail_is_claimed_by_one_sender_only(app):
    mail = OutboxMail.create(destinataire="a@example.org", sujet="s", corps_texte="c")
    now = clock.now()
    assert _claim(mail, now) is True
    assert _claim(mail, now) is False
