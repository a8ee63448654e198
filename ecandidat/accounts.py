"""Candidate accounts: creation, e-mail validation, login, forgotten credentials.

No answer here tells whether an address has an account, except the creation
form (an address serves one account only, as in eCandidat)."""
import datetime

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from peewee import IntegrityError
from zxcvbn import zxcvbn

from ecandidat import clock
from ecandidat.i18n import format_moment, language_of
from ecandidat.db import database
from ecandidat.mail import queue_mail
from ecandidat.models import CompteCandidat
from ecandidat.models.accounts import new_numero_dossier
from ecandidat.security import check_password, hash_password, hash_token, new_token

VALIDATION_DELAY = datetime.timedelta(days=5)
RESET_DELAY = datetime.timedelta(hours=2)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


class AccountError(ValueError):
    """A refusal with a French message, optionally tied to a form field."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def normalise_email(email):
    return (email or "").strip().lower()


def password_problems(password, nom="", prenom="", email=""):
    """French messages for a password refused by the rules (empty when accepted).

    ASVS: length counts, composition rules do not; common and contextual
    passwords are refused."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return [_("Le mot de passe doit contenir au moins %(n)s caractères.",
                  n=PASSWORD_MIN_LENGTH)]
    if len(password) > PASSWORD_MAX_LENGTH:
        return [_("Le mot de passe ne doit pas dépasser %(n)s caractères.",
                  n=PASSWORD_MAX_LENGTH)]
    lowered = password.lower()
    context = [w.lower() for w in (nom, prenom, email.split("@")[0]) if w and len(w) >= 3]
    if any(word in lowered for word in context):
        return [_("Le mot de passe ne doit pas contenir votre nom, votre prénom ni votre "
                  "adresse mail.")]
    if zxcvbn(password, user_inputs=context + ["ecandidat", "candidature", "universite"])["score"] < 3:
        return [_("Ce mot de passe est trop courant ou trop facile à deviner : choisissez une "
                  "phrase de plusieurs mots, par exemple.")]
    return []


def _link(endpoint_path, token):
    return current_app.config["BASE_URL"].rstrip("/") + endpoint_path + token


def _variables(compte, **extra):
    return dict(nom=compte.nom, prenom=compte.prenom, numero_dossier=compte.numero_dossier,
                **extra)


def _queue_account_mail(code, compte, link_name, link, expires_at):
    """Queue `code` to the account in its language, the expiry written in that language."""
    langue = language_of(compte)
    with force_locale(langue):
        variables = _variables(compte, date_expiration=format_moment(expires_at),
                               **{link_name: link})
    queue_mail(code, compte.email, variables, langue=langue)


def _issue_validation(compte, code, now):
    token, token_hash = new_token()
    compte.validation_token_hash = token_hash
    compte.validation_expires_at = now + VALIDATION_DELAY
    compte.save()
    _queue_account_mail(code, compte, "lien_validation", _link("/compte/valider/", token),
                        compte.validation_expires_at)
    return token


def create_account(nom, prenom, email, password, langue="fr", now=None):
    """Create an unvalidated account and queue CPT_MIN_CREATE with its link."""
    now = now or clock.now()
    email = normalise_email(email)
    if CompteCandidat.select().where(CompteCandidat.email == email).exists():
        raise AccountError(_l("Cette adresse mail est déjà utilisée par un compte. Si c'est le "
                              "vôtre, utilisez « J'ai oublié mes identifiants »."), "email")
    problems = password_problems(password, nom, prenom, email)
    if problems:
        raise AccountError(problems[0], "password")
    for _attempt in range(5):
        try:
            with database.atomic():
                compte = CompteCandidat.create(
                    numero_dossier=new_numero_dossier(), nom=nom.strip().upper(),
                    prenom=prenom.strip(), email=email, password_hash=hash_password(password),
                    langue=langue, created_at=now)
                _issue_validation(compte, "CPT_MIN_CREATE", now)
                return compte
        except IntegrityError:
            # A concurrent creation took the address, or (rarely) the random number.
            if CompteCandidat.select().where(CompteCandidat.email == email).exists():
                raise AccountError(_l("Cette adresse mail est déjà utilisée par un compte."),
                                   "email")
    raise AccountError(_l("Le compte n'a pas pu être créé, réessayez."))


def validate_account(token, now=None):
    """Validate the account of a mailed link: single use, expiring."""
    now = now or clock.now()
    compte = CompteCandidat.get_or_none(CompteCandidat.validation_token_hash == hash_token(token))
    if compte is None:
        raise AccountError(_l("Ce lien de validation n'est pas valide ou a déjà été utilisé."))
    if compte.validation_expires_at < now:
        raise AccountError(_l("Ce lien de validation a expiré. Demandez-en un nouveau avec "
                              "« J'ai perdu mon code d'activation »."))
    with database.atomic():
        compte.valide = True
        compte.validation_token_hash = None
        compte.validation_expires_at = None
        compte.save()
    return compte


def find_account(identifier):
    """The account an identifier typed at Connexion names (its e-mail, or its
    n° dossier in any case), or None. The one lookup shared by the login and its
    per-account limit, so that no spelling of an identifier escapes the limit
    (a n° dossier is ASCII: "ſ".upper() is "S", which would be another key)."""
    identifier = (identifier or "").strip()
    condition = CompteCandidat.email == identifier.lower()
    if identifier.isascii():
        condition |= CompteCandidat.numero_dossier == identifier.upper()
    return CompteCandidat.get_or_none(condition)


def authenticate(identifier, password):
    """The account for an e-mail or n° dossier and its password, or AccountError."""
    compte = find_account(identifier)
    # Verified even without an account (against a dummy hash): an unknown address
    # answers in the same time as a wrong password.
    password_ok = check_password(compte.password_hash if compte else None, password)
    if compte is None or not password_ok:
        raise AccountError(_l("Identifiant ou mot de passe incorrect."))
    if not compte.valide:
        raise AccountError(_l("Votre compte n'est pas encore validé : ouvrez le lien reçu par "
                              "mail, ou demandez-en un nouveau avec « J'ai perdu mon code "
                              "d'activation »."))
    return compte


def request_password_reset(email, now=None):
    """Queue CPT_MIN_MDP_OUBLIE when the address has an account; silent otherwise."""
    now = now or clock.now()
    compte = CompteCandidat.get_or_none(CompteCandidat.email == normalise_email(email))
    if compte is None:
        return None
    token, token_hash = new_token()
    with database.atomic():
        compte.reset_token_hash = token_hash
        compte.reset_expires_at = now + RESET_DELAY
        compte.save()
        _queue_account_mail("CPT_MIN_MDP_OUBLIE", compte, "lien_reinitialisation",
                            _link("/compte/reinitialiser/", token), compte.reset_expires_at)
    return token


def account_for_reset(token, now=None):
    now = now or clock.now()
    compte = CompteCandidat.get_or_none(CompteCandidat.reset_token_hash == hash_token(token))
    if compte is None:
        raise AccountError(_l("Ce lien de réinitialisation n'est pas valide ou a déjà été "
                              "utilisé."))
    if compte.reset_expires_at < now:
        raise AccountError(_l("Ce lien de réinitialisation a expiré (2 heures). Faites une "
                              "nouvelle demande."))
    return compte


def reset_password(token, password, now=None):
    """Set a new password from a reset link; the link then stops working and
    every open session of the account ends."""
    compte = account_for_reset(token, now)
    problems = password_problems(password, compte.nom, compte.prenom, compte.email)
    if problems:
        raise AccountError(problems[0], "password")
    with database.atomic():
        compte.password_hash = hash_password(password)
        compte.reset_token_hash = None
        compte.reset_expires_at = None
        compte.must_change_password = False
        # Following the link proves the address, as the validation link would.
        compte.valide = True
        compte.rotate_session_token()
        compte.save()
    return compte


def resend_validation(email, now=None):
    """Queue a new validation link for an unvalidated account; silent otherwise."""
    now = now or clock.now()
    compte = CompteCandidat.get_or_none(CompteCandidat.email == normalise_email(email))
    if compte is None or compte.valide:
        return None
    with database.atomic():
        return _issue_validation(compte, "CPT_MIN_LIEN_VALID_OUBLIE", now)


def change_email(compte, new_email, password, now=None):
    """Move the account to a new address, which must be validated again: the
    account is invalidated and its sessions end until the link is followed."""
    now = now or clock.now()
    new_email = normalise_email(new_email)
    if not check_password(compte.password_hash, password):
        raise AccountError(_l("Mot de passe incorrect."), "password")
    if new_email == compte.email:
        raise AccountError(_l("C'est déjà l'adresse mail de votre compte."), "email")
    if CompteCandidat.select().where(CompteCandidat.email == new_email).exists():
        raise AccountError(_l("Cette adresse mail est déjà utilisée par un compte."), "email")
    with database.atomic():
        compte.email = new_email
        compte.valide = False
        compte.rotate_session_token()
        return _issue_validation(compte, "CPT_MIN_MOD_MAIL", now)


def end_sessions(compte):
    """Déconnexion: a new session token makes every existing cookie worthless."""
    with database.atomic():
        compte.rotate_session_token()
        compte.save()
