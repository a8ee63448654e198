"""Passwords, one-time tokens and the Flask-Login user loader."""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import JOIN

from ecandidat.db import PreparedSelect
from ecandidat.models import Candidat, CompteCandidat, User

_hasher = PasswordHasher()


def hash_password(password):
    return _hasher.hash(password)


# Verified when the account does not exist, so that a login answers in the same
# time whether or not the address has an account.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password(password_hash, password):
    """True when `password` matches; always costs one argon2 verification, even
    without a hash (unknown account), so timing tells nothing."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token():
    """A URL-safe random token and the hash stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password(length=16):
    return secrets.token_urlsafe(length)[:length]


# The attribute of a candidate account that holds its Candidat, read with it.
SESSION_CANDIDAT = "session_candidat"

# Every signed-in request runs one of these: prepared once (ecandidat.db.PreparedSelect).
# A candidate's pages all need its Candidat: it comes in the same query (one round trip
# less on PostgreSQL), None when the file was never opened.
ACCOUNT_BY_SESSION_TOKEN = {
    "c": PreparedSelect(lambda token: (
        CompteCandidat.select(CompteCandidat, Candidat)
        .join(Candidat, JOIN.LEFT_OUTER, on=(Candidat.compte == CompteCandidat.id),
              attr=SESSION_CANDIDAT)
        .where(CompteCandidat.session_token == token).limit(1))),
    "u": PreparedSelect(lambda token: User.select().where(User.session_token == token)
                        .limit(1)),
}


def load_user(session_id):
    """Flask-Login loader: "c:<token>" is a candidate, "u:<token>" a console user."""
    prefix, _, token = (session_id or "").partition(":")
    query = ACCOUNT_BY_SESSION_TOKEN.get(prefix)
    if query is None or not token:
        return None
    account = query.first(token)
    # A console user deactivated (or a candidate invalidated) is signed out at once.
    if account is None or not account.is_active:
        return None
    return account
