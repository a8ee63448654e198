"""Passwords, one-time tokens and the Flask-Login user loader."""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecandidat.models import CompteCandidat, User

_hasher = PasswordHasher()


def hash_password(password):
    return _hasher.hash(password)


def check_password(password_hash, password):
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
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


def load_user(session_id):
    """Flask-Login loader: "c:<token>" is a candidate, "u:<token>" a console user."""
    prefix, _, token = (session_id or "").partition(":")
    model = {"c": CompteCandidat, "u": User}.get(prefix)
    if model is None or not token:
        return None
    return model.get_or_none(model.session_token == token)
