"""Mails: templates → outbox (same transaction as the change) → SMTP with retries.

A mail is never dropped: a failed send stays in the outbox with its error and
is retried later, with a growing delay, by `flask --app app mail send`.

A request never waits on the mail server: the mails it queued are sent after it
answers, by a small pool of threads of the process, each SMTP exchange bounded
by MAIL_TIMEOUT seconds. A process that stops meanwhile loses nothing: the mails
are still in the outbox for `mail send`."""
import datetime
import logging
import os
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import current_app, g, has_request_context
from flask_mail import Connection, Mail, Message
from jinja2 import StrictUndefined
from jinja2.exceptions import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ecandidat import clock
from ecandidat.db import database
from ecandidat.mail_defaults import DEFAULT_TEMPLATES, ENGLISH_TEMPLATES, default_template
from ecandidat.models import MailTemplate, OutboxMail

log = logging.getLogger(__name__)


class _BoundedConnection(Connection):
    """Flask-Mail 0.10 opens smtplib connections without a timeout: a server that
    accepts and never answers would block its caller for good."""

    def configure_host(self):
        kind = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = kind(self.mail.server, self.mail.port,
                    timeout=current_app.config["MAIL_TIMEOUT"])
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class BoundedMail(Mail):
    def connect(self):
        return _BoundedConnection(current_app.extensions["mail"])


flask_mail = BoundedMail()

# Templates are edited in the console: render them in a sandbox.
_jinja = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                              keep_trailing_newline=True)

MAX_DELAY = datetime.timedelta(hours=6)
CLAIM_DELAY = datetime.timedelta(minutes=10)


class MailTemplateError(ValueError):
    pass


def ensure_templates():
    """Store the default template of every code that has none yet (idempotent), with
    its English version."""
    existing = {t.code for t in MailTemplate.select(MailTemplate.code)}
    missing = []
    for code, (libelle, sujet, corps) in DEFAULT_TEMPLATES.items():
        if code in existing:
            continue
        sujet_en, corps_en = ENGLISH_TEMPLATES.get(code, (None, None))
        missing.append({"code": code, "libelle": libelle, "sujet": sujet, "corps": corps,
                        "sujet_en": sujet_en, "corps_en": corps_en})
    if missing:
        MailTemplate.insert_many(missing).execute()
    return len(missing)


def stored_version(template, langue):
    """(sujet, corps) of a stored template in `langue`: its English version when asked
    for and written, else the French one (an English reader gets French rather than
    nothing)."""
    if langue == "en" and (template.sujet_en or "").strip() and (template.corps_en or "").strip():
        return template.sujet_en, template.corps_en
    return template.sujet, template.corps


def template_for(code, langue="fr"):
    """(sujet, corps) of the stored template in `langue`, its default when none is
    stored, or None when the stored template is disabled."""
    stored = MailTemplate.get_or_none(MailTemplate.code == code)
    if stored is not None:
        return stored_version(stored, langue) if stored.actif else None
    return default_template(code, langue)


def render(sujet, corps, variables):
    """(subject, body) of a template, or MailTemplateError with the reason."""
    try:
        subject = _jinja.from_string(sujet).render(variables)
        body = _jinja.from_string(corps).render(variables)
    except TemplateError as error:
        raise MailTemplateError(str(error)) from error
    except Exception as error:  # a sandboxed expression may still fail: {{ nom + 1 }}, 1/0…
        raise MailTemplateError(f"{type(error).__name__}: {error}") from error
    return " ".join(subject.split()), body


def queue_mail(code, to, variables, attachment=None, langue="fr"):
    """Render the template `code` in `langue` and store the mail in the outbox.

    `langue`: the recipient's (a candidate's CompteCandidat.langue; the institution's
    for the console's staff). The caller formats the variables (dates) in that
    language too (flask_babel.force_locale).

    `attachment`: a reference to a document produced when the mail is sent
    (OutboxMail.piece_jointe, see `_attachment`), e.g. "lettre:<avis id>".

    Call it inside the transaction of the change that causes the mail, so
    both commit or neither does. Returns the OutboxMail, or None when the
    template is disabled.

    A stored (console-edited) template that fails to render never fails the
    change: the mail is written with the default template of its code and the
    failure is kept in its `last_error`. The default rather than holding the mail
    back: the variables are not stored, so a held mail could never be rendered
    again, and these mails carry what the candidate needs now (a validation link,
    a deadline)."""
    template = template_for(code, langue)
    if template is None:
        return None
    problem = None
    try:
        subject, body = render(*template, variables)
    except MailTemplateError as error:
        problem = f"Modèle {code} en erreur, modèle par défaut utilisé : {error}"[:2000]
        log.warning("%s (mail à %s)", problem, to)
        subject, body = render(*default_template(code, langue), variables)
    mail = OutboxMail.create(destinataire=to, sujet=subject, corps_texte=body, code=code,
                             last_error=problem, piece_jointe=attachment)
    if has_request_context():
        g.setdefault("outbox_ids", []).append(mail.id)
    return mail


def send_pending(ids=None, now=None, limit=200):
    """Send due outbox mails (only `ids` if given). Returns (sent, failed).

    Each mail is claimed first (its next attempt pushed forward), so two
    senders running at once never send the same mail twice."""
    now = now or clock.now()
    if not current_app.config.get("MAIL_SERVER"):
        for mail in _due(ids, now, limit):
            log.info("Mail non envoyé (MAIL_SERVER absent), gardé dans la boîte d'envoi : "
                     "à %s — %s\n%s", mail.destinataire, mail.sujet, mail.corps_texte)
        return 0, 0
    sent = failed = 0
    for mail in _due(ids, now, limit):
        if not _claim(mail, now):
            continue
        message = Message(subject=mail.sujet, recipients=[mail.destinataire],
                          body=mail.corps_texte, html=mail.corps_html)
        problem = _attach(message, mail)
        try:
            flask_mail.send(message)
        except Exception as error:  # any SMTP or network failure: keep it for later
            failed += 1
            _record_failure(mail, error, now)
        else:
            sent += 1
            # last_error stays: the last problem met (a failed attempt, a template
            # replaced by its default, an attachment left out) remains readable
            # once the mail is sent.
            changes = {"sent_at": clock.now()}
            if problem:
                changes["last_error"] = problem[:2000]
            OutboxMail.update(changes).where(OutboxMail.id == mail.id).execute()
    return sent, failed


def _attachment(reference):
    """(file name, content type, bytes) of an attachment reference. Produced at send
    time, from the rows as they are then: "lettre:<avis id>" is the admission or
    refusal letter of that avis (ecandidat.letters)."""
    from ecandidat import letters  # letters → pdf → workflow → this module
    return letters.mail_attachment(reference)


def _attach(message, mail):
    """Attach the mail's document to `message`; the reason (for last_error) when it
    cannot be produced: the mail then leaves without it, never held back."""
    if not mail.piece_jointe:
        return None
    try:
        name, content_type, data = _attachment(mail.piece_jointe)
        message.attach(filename=name, content_type=content_type, data=data)
    except Exception as error:  # a letter that cannot be rendered never holds the mail
        problem = (f"Pièce jointe {mail.piece_jointe} non jointe : "
                   f"{type(error).__name__}: {error}")
        log.warning("%s (mail %s à %s)", problem, mail.id, mail.destinataire)
        return " — ".join(p for p in (mail.last_error, problem) if p)
    return None


def _due(ids, now, limit):
    query = OutboxMail.select().where(OutboxMail.sent_at.is_null(),
                                      OutboxMail.next_attempt_at <= now)
    if ids is not None:
        query = query.where(OutboxMail.id.in_(ids))
    return list(query.order_by(OutboxMail.id).limit(limit))


def _claim(mail, now):
    claimed = (OutboxMail.update(next_attempt_at=now + CLAIM_DELAY)
               .where(OutboxMail.id == mail.id, OutboxMail.sent_at.is_null(),
                      OutboxMail.next_attempt_at == mail.next_attempt_at)
               .execute())
    return claimed == 1


def _record_failure(mail, error, now):
    attempts = mail.attempts + 1
    delay = min(datetime.timedelta(minutes=2 ** attempts), MAX_DELAY)
    log.warning("Échec d'envoi du mail %s à %s (tentative %s) : %s",
                mail.id, mail.destinataire, attempts, error)
    OutboxMail.update(attempts=attempts, last_error=str(error)[:2000],
                      next_attempt_at=now + delay).where(OutboxMail.id == mail.id).execute()


_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def _sender_pool():
    """The process's sending threads, started on first use (after a fork, too:
    threads do not survive into gunicorn's workers)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
            _pool_pid = os.getpid()
        return _pool


def _send_in_background(app, ids):
    try:
        with app.app_context(), database.connection_context():
            send_pending(ids)
    except Exception:  # the outbox keeps it; `mail send` retries
        log.exception("Envoi immédiat impossible, le mail reste dans la boîte d'envoi")


def init_app(app):
    flask_mail.init_app(app)

    @app.after_request
    def _send_queued_mails(response):
        # Runs once the view's transactions are committed; a mail of a rolled
        # back change no longer exists and is simply not found.
        ids = g.pop("outbox_ids", None)
        if ids and not app.config.get("MAIL_SERVER"):
            send_pending(ids)  # only writes them to the log: nothing to wait for
        elif ids:
            _sender_pool().submit(_send_in_background, app, ids)
        return response
    return flask_mail
